/**
 * HTTP traffic through the entry point for test/cluster/e2e.sh, as a client outside the cluster sends
 * it: to the Gateway's (or ingress controller's) address with the route's host in the Host header
 * and, over HTTPS (an https:// URL), as the TLS server name, the certificate verified against --ca
 * (PEM) and the host.
 *
 *   tsx test/cluster/traffic.ts flow --url https://ADDR --host todo-e2e.gateway.test --ca ROOT.pem --token-file F
 *     `/` is the web app, /api/... is the API (sign up, create a task, list it), a host the route
 *     does not name is not served (404, or 421 where the server name and Host differ); prints one `ok`/`FAIL` line per check; writes the session
 *     token to F for `load`; exits 1 on any failure.
 *   tsx test/cluster/traffic.ts load --url https://ADDR --host todo-e2e.gateway.test --ca ROOT.pem --token-file F --out R.json
 *     [--readers 4] [--rate 200] [--users 6] [--idle 4] [--marks FILE] [--seconds S]: production-shaped
 *     load until SIGTERM/SIGINT (or --seconds), over keep-alive connections:
 *       readers  GET /api/tasks, RATE a second together (0: each as fast as it gets answers), F's session;
 *       users    each its own account: signs up, then in a loop paced to one round per USER_ROUND_MS:
 *                log-in (every RELOGIN_MS, after logging the previous session out: scrypt, the
 *                expensive path), list, create (Idempotency-Key), update and delete (If-Match), and
 *                the web app's `/`;
 *       idle     each on one connection of its own: a create and a delete, then a pause longer than
 *                the servers' keep-alive timeout (HTTP_TIMEOUTS.keepAliveSeconds + 5 s), staggered.
 *     Sized below every backend limit (log-ins per address and per account, writes per user: see
 *     docs/testing.md), so any answer but the expected status (429 included), any socket error or a
 *     10 s timeout is a failure. While the phase (--marks, test/cluster/phases.ts) is `idle`, readers
 *     and users send nothing: every connection, and the proxy's to the servers, sits idle past the
 *     keep-alive timeout. Writes R.json: per phase, requests and failures by operation, latency
 *     percentiles, the requests sent on a connection idle longer than the keep-alive timeout; prints
 *     one line per phase: `phase NAME requests=N failed=N logins=N idle_reuses=N | ...`.
 *     --concurrency is the old name of --readers.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { parseArgs } from 'node:util';
import { API_HEADERS, API_ROUTES, BACKEND, HTTP_TIMEOUTS, type Session, type Task, type TaskPage } from '@todo/contract';
import { PhaseClock, phaseOrder } from './phases';

const { positionals, values: opts } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    host: { type: 'string' },
    ca: { type: 'string' },
    'token-file': { type: 'string' },
    out: { type: 'string' },
    concurrency: { type: 'string' },
    readers: { type: 'string' },
    rate: { type: 'string', default: '200' },
    users: { type: 'string', default: '6' },
    idle: { type: 'string', default: '4' },
    marks: { type: 'string' },
    seconds: { type: 'string' },
  },
});
const mode = positionals[0];
if ((mode !== 'flow' && mode !== 'load') || !opts.url || !opts.host || !opts['token-file'] || (mode === 'load' && !opts.out)) {
  console.error('usage: traffic.ts flow|load --url http[s]://ADDR --host HOST [--ca PEM] --token-file FILE [--out FILE] [--readers N] [--rate R] [--users N] [--idle N] [--marks FILE] [--seconds S]');
  process.exit(2);
}
const base = new URL(opts.url);
const tls = base.protocol === 'https:';
const ca = opts.ca ? fs.readFileSync(opts.ca) : undefined;
/** A keep-alive agent for the URL's scheme (over HTTPS: the server name is the host, verified against --ca). */
const newAgent = (maxSockets: number): http.Agent =>
  tls ? new https.Agent({ keepAlive: true, maxSockets, ca, servername: opts.host }) : new http.Agent({ keepAlive: true, maxSockets });
const agent = newAgent(64);

interface Reply {
  status: number;
  type: string;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** How long the connection had been idle when this request was sent on it (0: a new connection). */
  idleMs: number;
}

/** When each pooled connection last finished a response (for `Reply.idleMs`). */
const lastUsed = new WeakMap<net.Socket, number>();

interface RequestOptions {
  host?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  agent?: http.Agent;
}

function request(method: string, path: string, opt: RequestOptions = {}): Promise<Reply> {
  const payload = opt.body === undefined ? undefined : JSON.stringify(opt.body);
  return new Promise((resolve, reject) => {
    let idleMs = 0;
    let sock: net.Socket | undefined;
    const req = (tls ? https : http).request(
      {
        agent: opt.agent ?? agent,
        hostname: base.hostname,
        port: base.port || (tls ? 443 : 80),
        method,
        path,
        timeout: 10_000,
        headers: {
          host: opt.host ?? opts.host,
          ...(opt.token ? { authorization: `Bearer ${opt.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...opt.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (sock) lastUsed.set(sock, Date.now());
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString(), headers: res.headers, idleMs });
        });
        res.on('error', reject);
      },
    );
    req.on('socket', (s) => {
      sock = s;
      if (req.reusedSocket) idleMs = Date.now() - (lastUsed.get(s) ?? Date.now());
    });
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
    const c = await request('POST', API_ROUTES.tasks, { token, body: { title: 'through the entry point', priority: 'high', tags: ['e2e'] } });
    const p2 = expect(c, 201, 'create');
    if (p2) return p2;
    const l = await request('GET', `${API_ROUTES.tasks}?tag=e2e`, { token });
    const p3 = expect(l, 200, 'list');
    if (p3) return p3;
    const page = JSON.parse(l.body) as TaskPage;
    return page.total === 1 && page.items[0]?.title === 'through the entry point' ? undefined : `unexpected list: ${l.body.slice(0, 200)}`;
  });
  await check(`GET ${API_ROUTES.tasks} without a token: 401`, async () => expect(await request('GET', API_ROUTES.tasks), 401, 'list without a token'));
  if (token) fs.writeFileSync(opts['token-file']!, token, { mode: 0o600 });
  return failures ? 1 : 0;
}

/** A pause that ends early when the load stops. */
const stopped = new AbortController();
setMaxListeners(Infinity, stopped.signal); // one per worker waiting at a time
const pause = (ms: number) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      stopped.signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    stopped.signal.addEventListener('abort', done, { once: true });
  });

/** Log-in rate per user and the pace of a user's round: together below every backend limit (docs/testing.md). */
const RELOGIN_MS = 12_000;
const USER_ROUND_MS = 1_500;
/** An idle client's pause: longer than the servers' keep-alive timeout. */
const IDLE_GAP_MS = (HTTP_TIMEOUTS.keepAliveSeconds + 5) * 1000;
const EXPECTED: Record<string, number> = { signup: 201, login: 200, logout: 204, list: 200, create: 201, update: 200, delete: 204, web: 200 };

interface OpStats {
  n: number;
  failed: number;
  byStatus: Record<string, number>;
  ms: number[];
}
interface PhaseStats {
  requests: number;
  failed: number;
  /** Requests sent on a connection idle longer than the servers' keep-alive timeout. */
  idleReuses: number;
  maxIdleSeconds: number;
  errors: Record<string, number>;
  firstFailures: string[];
  ops: Record<string, OpStats>;
  first: number;
  last: number;
}

async function load(): Promise<number> {
  const readerToken = fs.readFileSync(opts['token-file']!, 'utf8').trim();
  const readers = Number(opts.readers ?? opts.concurrency ?? '4');
  const users = Number(opts.users);
  const idlers = Number(opts.idle);
  const clock = new PhaseClock(opts.marks);
  const started = Date.now();
  const phases: Record<string, PhaseStats> = {};
  const stop = () => stopped.abort();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (opts.seconds) setTimeout(stop, Number(opts.seconds) * 1000);

  /** Sends one request of operation `op` and records it under the phase current when it was sent. */
  const send = async (op: string, method: string, path: string, o: RequestOptions = {}): Promise<Reply | undefined> => {
    const phase = clock.now();
    const s = (phases[phase] ??= { requests: 0, failed: 0, idleReuses: 0, maxIdleSeconds: 0, errors: {}, firstFailures: [], ops: {}, first: Date.now(), last: 0 });
    const st = (s.ops[op] ??= { n: 0, failed: 0, byStatus: {}, ms: [] });
    const t0 = Date.now();
    s.requests++;
    st.n++;
    const failure = (what: string) => {
      s.failed++;
      st.failed++;
      if (s.firstFailures.length < 10) s.firstFailures.push(`${new Date().toISOString()} ${op} ${method} ${path}: ${what}`);
    };
    try {
      const r = await request(method, path, o);
      st.ms.push(Date.now() - t0);
      st.byStatus[r.status] = (st.byStatus[r.status] ?? 0) + 1;
      if (r.idleMs >= HTTP_TIMEOUTS.keepAliveSeconds * 1000) s.idleReuses++;
      s.maxIdleSeconds = Math.max(s.maxIdleSeconds, Math.round(r.idleMs / 1000));
      if (r.status !== EXPECTED[op]) {
        failure(`HTTP ${r.status}${r.headers['retry-after'] ? ` (Retry-After ${r.headers['retry-after']})` : ''} ${r.body.slice(0, 120)}`);
        return undefined;
      }
      return r;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      s.errors[code] = (s.errors[code] ?? 0) + 1;
      failure(code);
      return undefined;
    } finally {
      s.last = Date.now();
    }
  };
  /** Readers and users send nothing while the phase is `idle`. */
  const quiet = async () => {
    while (clock.now() === 'idle' && !stopped.signal.aborted) await pause(200);
  };

  // each reader sends at most rate/readers requests a second (0: as fast as answers come)
  const rate = Number(opts.rate);
  const reader = async () => {
    const every = rate > 0 ? (1000 * readers) / rate : 0;
    let next = Date.now();
    while (!stopped.signal.aborted) {
      await quiet();
      if (stopped.signal.aborted) break;
      await send('list', 'GET', `${API_ROUTES.tasks}?pageSize=20`, { token: readerToken });
      next = Math.max(next + every, Date.now() - 1000); // behind by more than a second: no burst to catch up
      await pause(next - Date.now());
    }
  };
  const account = (kind: string, i: number) => ({ email: `load-${kind}${i}-${started}-${process.pid}@example.com`, password: `load ${kind} ${i} ${started} staple` });
  /** A create, an update (unless `agent`: an idle client's one connection) and a delete, each conditional on the last answer (If-Match). */
  const createAndDelete = async (token: string, tag: string, o: { agent?: http.Agent } = {}) => {
    const c = await send('create', 'POST', API_ROUTES.tasks, { ...o, token, body: { title: `load ${tag}`, tags: ['load'] }, headers: { [API_HEADERS.idempotencyKey]: `${tag}-${Date.now()}-${Math.random()}` } });
    if (!c) return;
    const task = JSON.parse(c.body) as Task;
    let etag = String(c.headers.etag ?? `"${task.version}"`);
    if (o.agent === undefined) {
      const u = await send('update', 'PATCH', API_ROUTES.task(task.id), { token, body: { completed: true }, headers: { [API_HEADERS.ifMatch]: etag } });
      if (!u) return;
      etag = String(u.headers.etag ?? etag);
    }
    await send('delete', 'DELETE', API_ROUTES.task(task.id), { ...o, token, headers: { [API_HEADERS.ifMatch]: etag } });
  };
  const user = async (i: number) => {
    const { email, password } = account('user', i);
    let token = JSON.parse((await send('signup', 'POST', API_ROUTES.signup, { body: { email, password } }))?.body ?? '{}').token as string | undefined;
    let loginAt = Date.now();
    while (!stopped.signal.aborted) {
      await quiet();
      const t0 = Date.now();
      if (!token || t0 - loginAt >= RELOGIN_MS) {
        if (token) await send('logout', 'POST', API_ROUTES.logout, { token });
        token = JSON.parse((await send('login', 'POST', API_ROUTES.login, { body: { email, password } }))?.body ?? '{}').token as string | undefined;
        loginAt = Date.now();
        if (!token) {
          await pause(USER_ROUND_MS);
          continue;
        }
      }
      await send('list', 'GET', `${API_ROUTES.tasks}?pageSize=20`, { token });
      await createAndDelete(token, `user${i}`);
      await send('web', 'GET', '/');
      await pause(Math.max(0, USER_ROUND_MS - (Date.now() - t0)));
    }
  };
  const idler = async (i: number) => {
    const own = newAgent(1);
    const { email, password } = account('idle', i);
    const token = (JSON.parse((await send('signup', 'POST', API_ROUTES.signup, { body: { email, password }, agent: own }))?.body ?? '{}') as Partial<Session>).token;
    if (!token) return;
    await pause((i * IDLE_GAP_MS) / Math.max(1, idlers));
    while (!stopped.signal.aborted) {
      await createAndDelete(token, `idle${i}`, { agent: own });
      await pause(IDLE_GAP_MS);
    }
    own.destroy();
  };

  await Promise.all([
    ...Array.from({ length: readers }, () => reader()),
    ...Array.from({ length: users }, (_, i) => user(i)),
    ...Array.from({ length: idlers }, (_, i) => idler(i)),
  ]);
  agent.destroy();

  const pct = (xs: number[], q: number) => (xs.length ? xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] : 0);
  const order = [...new Set([...phaseOrder(clock.all()), ...Object.keys(phases)])].filter((p) => phases[p]);
  const report = Object.fromEntries(
    order.map((p) => {
      const s = phases[p];
      const ops = Object.fromEntries(Object.entries(s.ops).map(([op, o]) => [op, { n: o.n, failed: o.failed, byStatus: o.byStatus, p50: pct(o.ms, 0.5), p99: pct(o.ms, 0.99), max: pct(o.ms, 1) }]));
      return [p, { ...s, seconds: Math.round((s.last - s.first) / 100) / 10, ops }];
    }),
  );
  fs.writeFileSync(opts.out!, JSON.stringify({ readers, users, idle: idlers, keepAliveSeconds: HTTP_TIMEOUTS.keepAliveSeconds, idleGapSeconds: IDLE_GAP_MS / 1000, phases: report }, null, 2));
  for (const [p, s] of Object.entries(report)) {
    const ops = Object.entries(s.ops).map(([op, o]) => `${op} ${o.n}`).join(', ');
    const login = s.ops.login ? `; log-in p50 ${s.ops.login.p50} ms, p99 ${s.ops.login.p99} ms` : '';
    console.log(
      `phase ${p} requests=${s.requests} failed=${s.failed} logins=${s.ops.login?.n ?? 0} idle_reuses=${s.idleReuses} | ${s.requests} requests in ${s.seconds} s (${ops}), ${s.failed} failed, ${s.idleReuses} on connections idle > ${HTTP_TIMEOUTS.keepAliveSeconds} s (longest idle ${s.maxIdleSeconds} s)${login}${s.firstFailures.length ? `; first failures: ${s.firstFailures.join(' | ')}` : ''}`,
    );
  }
  return 0;
}

(mode === 'flow' ? flow() : load()).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`traffic: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
