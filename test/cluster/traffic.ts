/**
 * HTTP traffic through the Gateway for test/cluster/e2e.sh, as a client outside the cluster sends
 * it: to the Gateway's address with the route's host in the Host header and, over HTTPS (an
 * https:// URL), as the TLS server name, the certificate verified against --ca (PEM) and the host.
 *
 *   tsx test/cluster/traffic.ts flow --url https://ADDR --host todo-e2e.gateway.test --ca ROOT.pem --token-file F
 *     `/` is the web app, /api/... is the API (sign up, create a task, list it), a host the route
 *     does not name is not served (404, or 421 where the server name and Host differ); prints one
 *     `ok`/`FAIL` line per check; writes the session token to F for `load`; exits 1 on any failure.
 *   tsx test/cluster/traffic.ts load --url https://ADDR --host todo-e2e.gateway.test --ca ROOT.pem --token-file F --out R.json
 *     [--concurrency 4]: steady load until SIGTERM/SIGINT (or --seconds): each worker sends, in a
 *     loop, GET /api/tasks (9 in 10) or POST /api/tasks (1 in 10, at most 80 % of the backend's write
 *     limit per minute: one user sends them), over keep-alive connections.
 *     Then writes R.json: { requests, ok, failed, byStatus, errors, firstFailures, seconds } and
 *     prints its one-line summary. Any status other than 200/201 or any socket error is a failure.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import { API_ROUTES, BACKEND, BACKEND_ENV, type Session, type TaskPage } from '@todo/contract';

const { positionals, values: opts } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    host: { type: 'string' },
    ca: { type: 'string' },
    'token-file': { type: 'string' },
    out: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    seconds: { type: 'string' },
  },
});
const mode = positionals[0];
if ((mode !== 'flow' && mode !== 'load') || !opts.url || !opts.host || !opts['token-file'] || (mode === 'load' && !opts.out)) {
  console.error('usage: traffic.ts flow|load --url http[s]://ADDR --host HOST [--ca PEM] --token-file FILE [--out FILE] [--concurrency N] [--seconds S]');
  process.exit(2);
}
const base = new URL(opts.url);
const tls = base.protocol === 'https:';
const agent = tls
  ? new https.Agent({ keepAlive: true, maxSockets: 64, ca: opts.ca ? fs.readFileSync(opts.ca) : undefined, servername: opts.host })
  : new http.Agent({ keepAlive: true, maxSockets: 64 });

interface Reply {
  status: number;
  type: string;
  body: string;
}

function request(method: string, path: string, opt: { host?: string; token?: string; body?: unknown } = {}): Promise<Reply> {
  const payload = opt.body === undefined ? undefined : JSON.stringify(opt.body);
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).request(
      {
        agent,
        hostname: base.hostname,
        port: base.port || (tls ? 443 : 80),
        method,
        path,
        timeout: 10_000,
        headers: {
          host: opt.host ?? opts.host,
          ...(opt.token ? { authorization: `Bearer ${opt.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout after 10 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function flow(): Promise<number> {
  let failures = 0;
  const check = async (name: string, fn: () => Promise<string | undefined>) => {
    try {
      const problem = await fn();
      if (problem) throw new Error(problem);
      console.log(`ok   ${name}`);
    } catch (e) {
      failures++;
      console.log(`FAIL ${name}: ${(e as Error).message}`);
    }
  };
  const expect = (r: Reply, status: number, what: string) =>
    r.status === status ? undefined : `${what}: HTTP ${r.status} (expected ${status}): ${r.body.slice(0, 200)}`;

  await check(`GET / with Host ${opts.host}: the web app (frontend)`, async () => {
    const r = await request('GET', '/');
    return expect(r, 200, 'GET /') ?? (r.type.startsWith('text/html') && r.body.includes('<div id="root">') ? undefined : `not the web app: ${r.type} ${r.body.slice(0, 120)}`);
  });
  await check(`GET ${BACKEND.openApiPath}: the API (backend)`, async () => {
    const r = await request('GET', BACKEND.openApiPath);
    return expect(r, 200, BACKEND.openApiPath) ?? (JSON.parse(r.body).openapi?.startsWith('3.') ? undefined : 'not an OpenAPI document');
  });
  await check('a host the route does not name is not served (404, or 421 where it differs from the TLS server name)', async () => {
    const r = await request('GET', '/', { host: 'not-routed.localhost' });
    return r.status === 421 ? undefined : expect(r, 404, 'GET / with another host');
  });
  let token = '';
  const email = `e2e-${Date.now()}-${process.pid}@example.com`;
  await check(`POST ${API_ROUTES.signup}, POST ${API_ROUTES.tasks}, GET ${API_ROUTES.tasks} through the entry point`, async () => {
    const s = await request('POST', API_ROUTES.signup, { body: { email, password: 'correct horse battery' } });
    const p1 = expect(s, 201, 'signup');
    if (p1) return p1;
    token = (JSON.parse(s.body) as Session).token;
    const c = await request('POST', API_ROUTES.tasks, { token, body: { title: 'through the ingress', priority: 'high', tags: ['e2e'] } });
    const p2 = expect(c, 201, 'create');
    if (p2) return p2;
    const l = await request('GET', `${API_ROUTES.tasks}?tag=e2e`, { token });
    const p3 = expect(l, 200, 'list');
    if (p3) return p3;
    const page = JSON.parse(l.body) as TaskPage;
    return page.total === 1 && page.items[0]?.title === 'through the ingress' ? undefined : `unexpected list: ${l.body.slice(0, 200)}`;
  });
  await check(`GET ${API_ROUTES.tasks} without a token: 401`, async () => expect(await request('GET', API_ROUTES.tasks), 401, 'list without a token'));
  if (token) fs.writeFileSync(opts['token-file']!, token, { mode: 0o600 });
  return failures ? 1 : 0;
}

async function load(): Promise<number> {
  const token = fs.readFileSync(opts['token-file']!, 'utf8').trim();
  const concurrency = Number(opts.concurrency);
  const started = Date.now();
  const result = { requests: 0, ok: 0, failed: 0, byStatus: {} as Record<string, number>, errors: {} as Record<string, number>, firstFailures: [] as string[], seconds: 0 };
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (opts.seconds) setTimeout(stop, Number(opts.seconds) * 1000);
  const note = (what: string) => {
    result.failed++;
    if (result.firstFailures.length < 10) result.firstFailures.push(`${new Date().toISOString()} ${what}`);
  };
  // One user's creates stay below the backend's write limit (WRITE_RATE_LIMIT_PER_MINUTE, the environment keeps
  // the default): beyond it a POST is answered 429, correctly, which is no failure of a rollout.
  const writesPerMinute = Math.floor(Number(BACKEND_ENV.writeRateLimitPerMinute.default) * 0.8);
  const writes: number[] = [];
  const worker = async (w: number) => {
    for (let i = 0; !stopping; i++) {
      while (writes.length && writes[0] < Date.now() - 60_000) writes.shift();
      const post = (i + w) % 10 === 0 && writes.length < writesPerMinute;
      if (post) writes.push(Date.now());
      result.requests++;
      try {
        const r = post
          ? await request('POST', API_ROUTES.tasks, { token, body: { title: `load ${w}-${i}`, tags: ['load'] } })
          : await request('GET', `${API_ROUTES.tasks}?pageSize=20`, { token });
        result.byStatus[r.status] = (result.byStatus[r.status] ?? 0) + 1;
        if (r.status === (post ? 201 : 200)) result.ok++;
        else note(`${post ? 'POST' : 'GET'} ${r.status} ${r.body.slice(0, 120)}`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        result.errors[code] = (result.errors[code] ?? 0) + 1;
        note(`${post ? 'POST' : 'GET'} ${code}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  fs.writeFileSync(opts.out!, JSON.stringify(result, null, 2));
  console.log(
    `load: ${result.requests} requests in ${result.seconds} s (${Math.round(result.requests / result.seconds)} req/s, ${concurrency} connections): ${result.ok} ok, ${result.failed} failed`,
  );
  agent.destroy();
  return 0;
}

(mode === 'flow' ? flow() : load()).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`traffic: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
