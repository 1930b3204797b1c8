/**
 * The integration suites' processes: the built server (dist/server.js, or FAULTS_SERVER_JS to run a
 * suite against another build, e.g. for a negative control), PostgreSQL's processes (to stall them
 * with SIGSTOP), a local nginx, and a keep-alive HTTP client that counts what happens to its requests.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { DATABASE_URL, serverJs } from './env';

export const SERVER_JS = process.env.FAULTS_SERVER_JS || serverJs;
/** One signing secret for every server a suite starts: replicas accept each other's tokens. */
const JWT_SECRET = randomBytes(32).toString('hex');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** One exchange on a fresh connection. Rejects on a network error or after `timeoutMs`. */
export function request(port: number, method: string, path: string, opts: { body?: unknown; token?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Reply> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        timeout: opts.timeoutMs ?? 10_000,
        headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - t0 }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`)));
    req.end(data);
  });
}

export interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** The built server on PostgreSQL, ready (/readyz 200). */
export async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [SERVER_JS], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL,
      JWT_SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
      LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE: '10000',
      WRITE_RATE_LIMIT_PER_MINUTE: '1000000',
      TASK_QUOTA_PER_USER: '10000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
    const status = await request(port, 'GET', '/readyz', { timeoutMs: 1000 }).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() - t0 > 15_000) throw new Error(`not ready after 15 s:\n${output}`);
    await sleep(20);
  }
  return { child, port, output: () => output, exited };
}

export async function signup(port: number): Promise<string> {
  const r = await request(port, 'POST', '/api/auth/signup', { body: { email: `it-${randomBytes(6).toString('hex')}@example.test`, password: 'integration password' } });
  if (r.status !== 201) throw new Error(`signup: ${r.status} ${r.body}`);
  return JSON.parse(r.body).token;
}

/** PostgreSQL's postmaster and its children (backend.sh exports PG_PIDFILE, the cluster's postmaster.pid). */
export function postgresPids(): number[] {
  const pidfile = process.env.PG_PIDFILE;
  if (!pidfile) throw new Error('PG_PIDFILE is not set: run the integration tests with scripts/ci/backend.sh');
  const postmaster = Number(readFileSync(pidfile, 'utf8').split('\n')[0]);
  const pids = [postmaster];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === postmaster) pids.push(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** Stalls the whole cluster as a hung host would (SIGSTOP); the returned function resumes it. */
export function stallPostgres(): () => void {
  const pids = postgresPids();
  for (const p of pids) process.kill(p, 'SIGSTOP');
  return () => {
    for (const p of pids) {
      try {
        process.kill(p, 'SIGCONT');
      } catch {
        // gone
      }
    }
  };
}

export interface Tally {
  ok: number;
  failed: string[];
  created: string[];
  movedOff: number;
}

/**
 * A client that sends requests back to back on one keep-alive connection to `first`, and once a
 * response from it says `Connection: close`, on a connection to `then` (a Service's client: its
 * connection stays with the pod it has, new ones go to a ready pod).
 */
export function keepAliveClient(first: number, then: number, send: { method: string; path: string; body?: () => unknown; token: string }, tally: Tally, running: () => boolean) {
  const agents = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })];
  let moved = false;
  const once = () =>
    new Promise<void>((resolve) => {
      const data = send.body ? JSON.stringify(send.body()) : undefined;
      const req = http.request(
        {
          host: '127.0.0.1',
          port: moved ? then : first,
          method: send.method,
          path: send.path,
          agent: agents[moved ? 1 : 0],
          headers: { authorization: `Bearer ${send.token}`, ...(data ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => {
            if (res.statusCode! >= 200 && res.statusCode! < 300) {
              tally.ok++;
              if (res.statusCode === 201) tally.created.push(JSON.parse(body).id);
            } else tally.failed.push(`status ${res.statusCode}`);
            if (!moved && res.headers.connection === 'close') {
              moved = true;
              tally.movedOff++;
            }
            resolve();
          });
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        tally.failed.push(e.code ?? e.message);
        resolve();
      });
      req.end(data);
    });
  return (async () => {
    while (running()) await once();
    for (const a of agents) a.destroy();
  })();
}

/** `["ECONNRESET × 3", "status 502 × 1"]`: what went wrong, counted. */
export function counted(failures: string[]): string[] {
  const m = new Map<string, number>();
  for (const f of failures) m.set(f, (m.get(f) ?? 0) + 1);
  return [...m].map(([f, n]) => `${f} × ${n}`);
}

export function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
