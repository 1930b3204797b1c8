// Benchmark of the built backend (dist/server.js) on the PostgreSQL in DATABASE_URL (migrated),
// run by scripts/ci/backend.sh. This process is the load generator (autocannon); the servers are
// child processes, all on loopback:
//   - start-to-ready: from spawning `node dist/server.js` to the first 200 from /readyz (median of 5);
//   - a bare Node `http` server answering a constant JSON body (the same bytes as the list below);
//   - the backend: authenticated GET /api/tasks of a 50-task page, and POST /api/tasks.
// Prints req/s, p50 and p99 latency for each. Goals (printed, not enforced): start-to-ready < 1 s,
// list >= 1/3 of the bare server's req/s. Exits non-zero only if a run did not work at all
// (no requests, errors, or non-2xx answers).
// Env: DATABASE_URL (required), BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 20),
// BENCH_LOG_LEVEL (the backend's LOG_LEVEL, default warn; production's default is info),
// BENCH_SERVER (another build's server.js, to compare two builds on the same machine and database).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverJs = process.env.BENCH_SERVER ? path.resolve(process.env.BENCH_SERVER) : path.join(root, 'dist/server.js');
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const READY_GOAL_MS = 1000;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
if (!process.env.DATABASE_URL) {
  console.error('bench: DATABASE_URL is required (a migrated PostgreSQL database); scripts/ci/backend.sh sets it');
  process.exit(2);
}

const children = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function request(port, method, p, { body, token } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: p,
        agent: false,
        timeout: 2000,
        headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(data);
  });
}

function spawnNode(args, env) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

const backendEnv = (port) => ({
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: LOG_LEVEL,
  JWT_SECRET: randomBytes(32).toString('hex'),
  LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
  LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE: '10000',
  // The write run makes thousands of tasks for one user within seconds.
  WRITE_RATE_LIMIT_PER_MINUTE: '1000000',
  TASK_QUOTA_PER_USER: '10000000',
  DB_POOL_MAX: '10',
});

async function startBackend() {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawnNode([serverJs], backendEnv(port));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the backend exited with code ${child.exitCode} before it was ready`);
    const status = await request(port, 'GET', '/readyz').then((r) => r.status, () => 0);
    if (status === 200) return { child, port, readyMs: Number(process.hrtime.bigint() - t0) / 1e6 };
    if (Number(process.hrtime.bigint() - t0) > 15e9) throw new Error('the backend was not ready after 15 s');
    await sleep(5);
  }
}

function run(name, opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts }, (err, result) => (err ? reject(err) : resolve({ name, result })));
  });
}

const problems = [];
function row({ name, result }) {
  const rps = result.requests.average;
  const bad = result.errors + result.timeouts + result.non2xx;
  if (result.requests.total === 0) problems.push(`${name}: no request completed`);
  if (bad > 0) problems.push(`${name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  return `  ${name.padEnd(50)} ${rps.toFixed(0).padStart(8)} req/s   p50 ${String(result.latency.p50).padStart(4)} ms   p99 ${String(result.latency.p99).padStart(4)} ms   (${result.requests.total} requests${bad ? `, ${bad} failed` : ''})`;
}

async function main() {
  console.log(`bench: ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, node ${process.version}; autocannon ${CONNECTIONS} connections × ${DURATION} s per run, from this process; backend LOG_LEVEL=${LOG_LEVEL}; server ${path.relative(process.cwd(), serverJs)}`);

  // 1. start-to-ready
  const times = [];
  for (let i = 0; i < 5; i++) {
    const b = await startBackend();
    times.push(b.readyMs);
    await stop(b.child);
  }
  times.sort((a, b) => a - b);
  const readyMedian = times[2];

  // 2. data: one user with 50 tasks (listed), another one that the POST run writes to.
  const backend = await startBackend();
  const signup = async () => {
    const r = await request(backend.port, 'POST', '/api/auth/signup', { body: { email: `bench-${randomBytes(6).toString('hex')}@example.test`, password: 'benchmark password' } });
    if (r.status !== 201) throw new Error(`signup: ${r.status} ${r.body}`);
    return JSON.parse(r.body).token;
  };
  const reader = await signup();
  const writer = await signup();
  const priorities = ['high', 'medium', 'low'];
  for (let i = 0; i < 50; i++) {
    const r = await request(backend.port, 'POST', '/api/tasks', {
      token: reader,
      body: { title: `Benchmark task ${i}`, description: `Task number ${i} of the benchmark list`, priority: priorities[i % 3], tags: ['bench', `t${i % 5}`], dueDate: `2030-01-${String((i % 28) + 1).padStart(2, '0')}` },
    });
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.body}`);
  }
  const listPath = '/api/tasks?pageSize=50';
  const listed = await request(backend.port, 'GET', listPath, { token: reader });
  if (listed.status !== 200 || JSON.parse(listed.body).items.length !== 50) throw new Error(`list: ${listed.status} ${listed.body.slice(0, 200)}`);

  // 3. the bare server: the same JSON bytes as the list, constant.
  const barePort = await freePort();
  const bareSrc = `const body = Buffer.from(process.env.BODY); require('node:http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }); res.end(body); }).listen(${barePort}, '127.0.0.1');`;
  const bare = spawnNode(['-e', bareSrc], { BODY: listed.body });
  for (let i = 0; (await request(barePort, 'GET', '/').then((r) => r.status, () => 0)) !== 200; i++) {
    if (i > 200) throw new Error('the bare server did not start');
    await sleep(10);
  }

  const results = [];
  // Warm-up (JIT, pool connections), not reported.
  await run('warm-up', { url: `http://127.0.0.1:${backend.port}${listPath}`, headers: { authorization: `Bearer ${reader}` }, duration: 1 });
  results.push(await run('bare node http, constant JSON (same bytes)', { url: `http://127.0.0.1:${barePort}/` }));
  results.push(await run('backend GET /api/tasks (50 tasks, authenticated)', { url: `http://127.0.0.1:${backend.port}${listPath}`, headers: { authorization: `Bearer ${reader}` } }));
  results.push(
    await run('backend GET /api/tasks, Accept-Encoding: br, gzip', {
      url: `http://127.0.0.1:${backend.port}${listPath}`,
      headers: { authorization: `Bearer ${reader}`, 'accept-encoding': 'gzip, deflate, br' },
    }),
  );
  results.push(
    await run('backend POST /api/tasks (authenticated)', {
      url: `http://127.0.0.1:${backend.port}/api/tasks`,
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Benchmark write', description: 'Created by the benchmark', priority: 'high', tags: ['bench'], dueDate: '2030-06-01' }),
    }),
  );
  await stop(bare);
  await stop(backend.child);

  const [bareR, listR] = results.map((r) => r.result.requests.average);
  const ratio = listR / bareR;
  console.log(`bench: list body ${listed.body.length} bytes; PostgreSQL with fsync off (throwaway cluster)`);
  for (const r of results) console.log(row(r));
  console.log(`  start-to-ready (spawn → /readyz 200), runs: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  console.log(`bench: start-to-ready ${readyMedian.toFixed(0)} ms median (goal < ${READY_GOAL_MS} ms) — ${readyMedian < READY_GOAL_MS ? 'met' : 'MISSED'}`);
  console.log(`bench: list ${listR.toFixed(0)} req/s = ${ratio.toFixed(2)} × the bare server's ${bareR.toFixed(0)} req/s (goal >= 0.33) — ${ratio >= 1 / 3 ? 'met' : 'MISSED'}`);
  if (problems.length) {
    console.error(`bench: the runs did not work:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
