/**
 * The backend under the faults production produces, on PostgreSQL, with the built server:
 * - a database that stops answering (all its processes stopped with SIGSTOP, as on a hung host):
 *   503 with Retry-After within 2 s, readiness 503 within 2 s, SIGTERM still ends the process
 *   within the drain timeout;
 * - a drain with keep-alive clients that keep sending through it, straight and through a local
 *   nginx with ingress-nginx's upstream keep-alive (60 s): 0 failed requests, 0 resets, 0 × 502,
 *   and every acknowledged create is in the database.
 * FAULTS_SERVER_JS runs it against another build (a negative control).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DATABASE_URL } from './env';
import { counted, freePort, keepAliveClient, request, signup, sleep, stallPostgres, startServer, type Tally, which } from './servers';

const DRAIN_TIMEOUT_S = 5;

describe('a stalled database (SIGSTOP)', () => {
  it('gives 503 with Retry-After within 2 s, readiness 503 within 2 s, and SIGTERM exits within the drain timeout', async () => {
    const s = await startServer({ SHUTDOWN_TIMEOUT_SECONDS: String(DRAIN_TIMEOUT_S) });
    const token = await signup(s.port);
    // Warm the pool: several connections open and idle when the database stalls.
    await Promise.all(Array.from({ length: 6 }, (_, i) => request(s.port, 'POST', '/api/tasks', { token, body: { title: `before ${i}` } })));
    expect((await request(s.port, 'GET', '/api/tasks', { token })).status).toBe(200);
    const resume = stallPostgres();
    try {
      const replies = await Promise.all([
        request(s.port, 'GET', '/api/tasks', { token }),
        request(s.port, 'POST', '/api/tasks', { token, body: { title: 'during the stall' } }),
        request(s.port, 'GET', '/api/auth/me', { token }),
        ...Array.from({ length: 12 }, () => request(s.port, 'GET', '/api/tasks?page=2', { token })),
      ]);
      const ready = await request(s.port, 'GET', '/readyz');
      const summary = replies.map((r) => `${r.status} in ${r.ms} ms, retry-after ${r.headers['retry-after']}`);
      console.log(`stall: API ${summary.slice(0, 3).join('; ')}; …; /readyz ${ready.status} in ${ready.ms} ms`);
      for (const r of replies) {
        expect(r.status).toBe(503);
        expect(r.ms).toBeLessThanOrEqual(2000);
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(ready.status).toBe(503);
      expect(ready.ms).toBeLessThanOrEqual(2000);

      // SIGTERM while the database is still stalled: an in-flight request ends with a clean error.
      const inFlight = request(s.port, 'GET', '/api/tasks?page=3', { token });
      await sleep(50);
      const sigterm = Date.now();
      s.child.kill('SIGTERM');
      const exit = await Promise.race([s.exited, sleep((DRAIN_TIMEOUT_S + 10) * 1000).then(() => null)]);
      const last = await inFlight.catch((e: Error) => ({ status: 0, ms: 0, body: e.message }));
      expect(exit).not.toBeNull();
      const took = exit!.at - sigterm;
      console.log(`stall: SIGTERM → exit ${exit!.code} after ${took} ms (drain timeout ${DRAIN_TIMEOUT_S} s); in-flight request: ${last.status}`);
      expect(exit!.code).toBe(0);
      expect(took).toBeLessThanOrEqual(DRAIN_TIMEOUT_S * 1000);
      expect(last.status).toBe(503);
    } finally {
      resume();
    }
  }, 60_000);
});

async function countRows(ids: string[]): Promise<number> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query('select count(*)::int as n from tasks where id = any($1::uuid[])', [ids]);
    return rows[0].n;
  } finally {
    await c.end();
  }
}

describe('a drain with keep-alive clients sending through it', () => {
  it('loses nothing: 0 failed requests, 0 resets, every acknowledged create stored', async () => {
    const a = await startServer({ SHUTDOWN_DELAY_SECONDS: '1', SHUTDOWN_TIMEOUT_SECONDS: String(DRAIN_TIMEOUT_S) });
    const b = await startServer();
    const token = await signup(a.port);
    const tally: Tally = { ok: 0, failed: [], created: [], movedOff: 0 };
    let running = true;
    let n = 0;
    const clients = Array.from({ length: 16 }, () => keepAliveClient(a.port, b.port, { method: 'POST', path: '/api/tasks', token, body: () => ({ title: `drain ${n++}` }) }, tally, () => running));
    await sleep(1500);
    const sigterm = Date.now();
    a.child.kill('SIGTERM');
    const exit = await a.exited;
    running = false;
    await Promise.all(clients);
    b.child.kill('SIGTERM');
    await b.exited;
    const stored = await countRows(tally.created);
    console.log(
      `drain: ${tally.ok + tally.failed.length} requests, ${tally.ok} ok, ${tally.failed.length} failed ${JSON.stringify(counted(tally.failed))}; ` +
        `${tally.movedOff}/16 clients told to move by Connection: close; A exited ${exit.code} after ${exit.at - sigterm} ms; ${stored}/${tally.created.length} acknowledged creates stored`,
    );
    expect(counted(tally.failed)).toEqual([]);
    expect(exit.code).toBe(0);
    expect(tally.movedOff).toBe(16);
    expect(stored).toBe(tally.created.length);
    expect(tally.ok).toBeGreaterThan(100);
  }, 60_000);

  it('through nginx with a 60 s upstream keep-alive (ingress-nginx defaults): 0 × 502 on POST', async () => {
    const nginx = which('nginx') ?? (which('/usr/sbin/nginx') && '/usr/sbin/nginx');
    if (!nginx) throw new Error('nginx is not installed: scripts/ci/backend.sh installs Debian\'s nginx-light');
    const a = await startServer({ SHUTDOWN_DELAY_SECONDS: '1', SHUTDOWN_TIMEOUT_SECONDS: String(DRAIN_TIMEOUT_S) });
    const b = await startServer();
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'it-nginx-'));
    // ingress-nginx's upstream defaults: keepalive 320 connections, 60 s, 10000 requests; retries only
    // for errors before a request was sent (proxy_next_upstream error timeout; a POST is never re-sent).
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream backend { server 127.0.0.1:${a.port}; server 127.0.0.1:${b.port}; keepalive 320; keepalive_timeout 60s; keepalive_requests 10000; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_next_upstream error timeout; }
  }
}
`,
    );
    const proc = spawn(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
    try {
      for (let i = 0; (await request(port, 'GET', '/healthz', { timeoutMs: 500 }).then((r) => r.status, () => 0)) !== 200; i++) {
        if (i > 100) throw new Error('nginx did not start');
        await sleep(50);
      }
      const token = await signup(port);
      const tally: Tally = { ok: 0, failed: [], created: [], movedOff: 0 };
      let running = true;
      let n = 0;
      // Clients keep their connections to nginx; nginx keeps its own to both replicas.
      const clients = Array.from({ length: 16 }, () => keepAliveClient(port, port, { method: 'POST', path: '/api/tasks', token, body: () => ({ title: `nginx ${n++}` }) }, tally, () => running));
      await sleep(1500);
      const sigterm = Date.now();
      a.child.kill('SIGTERM');
      const exit = await a.exited;
      await sleep(500);
      running = false;
      await Promise.all(clients);
      const stored = await countRows(tally.created);
      const bad = tally.failed.filter((f) => f === 'status 502').length;
      console.log(`nginx: ${tally.ok + tally.failed.length} POSTs, ${tally.ok} ok, ${bad} × 502, failures ${JSON.stringify(counted(tally.failed))}; A exited ${exit.code} after ${exit.at - sigterm} ms; ${stored}/${tally.created.length} stored`);
      expect(bad).toBe(0);
      expect(counted(tally.failed)).toEqual([]);
      expect(stored).toBe(tally.created.length);
      expect(tally.ok).toBeGreaterThan(100);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      b.child.kill('SIGTERM');
      await b.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
