// Container test driver (run by scripts/ci/images.sh once PostgreSQL, the backend and the frontend run
// as containers on one Docker network, with ports published on 127.0.0.1):
//   1. /healthz and /readyz of both tiers answer 200;
//   2. API smoke test through the FRONTEND's origin (its /api proxy): sign up, create a task, list it;
//   3. drain: a bounded load of authenticated GET /api/tasks straight to the backend, SIGTERM to the
//      backend container (`docker kill -s TERM`), and every request counted below must succeed.
// What counts (printed): every request that was in flight when the signal was sent, or that was sent
// before the load saw the backend's /readyz answer anything but 200 (polled every 50 ms, as a load
// balancer would); no request is sent after that. A request fails if it gets no response or a status
// other than 200. Then the container must exit by itself with code 0 within the drain bound.
// Usage: node container-test.mjs <frontend-url> <backend-url> <backend-container>
//        node container-test.mjs memory <backend|frontend> <url> <container> <cpus> <memory-limit-bytes>
//   (memory under an environment's limits: see memory-test.mjs)
import { execFileSync, spawn } from 'node:child_process';

if (process.argv[2] === 'memory') {
  const { memoryTest } = await import('./memory-test.mjs');
  process.exit(await memoryTest(process.argv.slice(3)));
}

const [frontend, backend, backendContainer] = process.argv.slice(2);
if (!frontend || !backend || !backendContainer) {
  console.error('usage: container-test.mjs <frontend-url> <backend-url> <backend-container>');
  process.exit(2);
}
const WORKERS = 8;
const LOAD_BEFORE_SIGTERM_MS = 1500;
const MAX_TEST_MS = 45_000;
// The backend container runs with SHUTDOWN_DELAY_SECONDS=2 and the default drain timeout (15 s): open
// keep-alive connections (this load's own, idle) are left to their client until then.
const EXIT_BOUND_MS = (2 + 15 + 5) * 1000;
let failures = 0;
const fail = (msg) => { failures++; console.error(`FAIL ${msg}`); };
const ok = (msg) => console.log(`ok   ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
setTimeout(() => { console.error(`FAIL container test did not finish within ${MAX_TEST_MS / 1000} s`); process.exit(1); }, MAX_TEST_MS).unref();

async function get(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body; try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, body };
}

// 1. probes
for (const [name, base] of [['frontend', frontend], ['backend', backend]]) {
  for (const path of ['/healthz', '/readyz']) {
    try {
      const r = await get(base + path);
      r.status === 200 ? ok(`${name} ${path} → 200`) : fail(`${name} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    } catch (e) { fail(`${name} ${path}: ${e.message}`); }
  }
}

// 2. smoke test through the frontend
const email = `smoke-${Date.now()}@example.test`;
const password = `pw-${Math.random().toString(36).slice(2)}-long`;
const json = (body, token) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});
let token;
try {
  const s = await get(`${frontend}/api/auth/signup`, json({ email, password }));
  if ((s.status === 200 || s.status === 201) && s.body.token) { token = s.body.token; ok(`signup through the frontend → ${s.status}, user ${s.body.user?.email}`); }
  else fail(`signup → ${s.status} ${JSON.stringify(s.body)}`);
  const title = `container test task ${Date.now()}`;
  const c = await get(`${frontend}/api/tasks`, json({ title, priority: 'high', tags: ['ci'] }, token));
  (c.status === 201 || c.status === 200) && c.body.id ? ok(`create task → ${c.status}, id ${c.body.id}`) : fail(`create task → ${c.status} ${JSON.stringify(c.body)}`);
  const l = await get(`${frontend}/api/tasks`, { headers: { authorization: `Bearer ${token}` } });
  const found = l.status === 200 && Array.isArray(l.body.items) && l.body.items.some((t) => t.title === title);
  found ? ok(`list tasks → 200, ${l.body.total} task(s), the new one among them`) : fail(`list tasks → ${l.status} ${JSON.stringify(l.body).slice(0, 300)}`);
} catch (e) { fail(`smoke test: ${e.message}`); }

// 3. drain under load
if (token) {
  let ready = true;
  let sent = 0, succeeded = 0, inFlightAtSigterm = -1, inFlight = 0, afterSigterm = 0, sigtermAt = 0;
  const errors = [];
  const one = async () => {
    sent++; inFlight++;
    if (sigtermAt) afterSigterm++;
    try {
      const r = await fetch(`${backend}/api/tasks?pageSize=5`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      await r.arrayBuffer();
      if (r.status === 200) succeeded++; else errors.push(`status ${r.status}`);
    } catch (e) { errors.push(e.cause?.code || e.message); }
    finally { inFlight--; }
  };
  const worker = async () => { while (ready) await one(); };
  const poller = (async () => {
    while (ready) {
      try {
        const r = await fetch(`${backend}/readyz`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.status !== 200) ready = false;
      } catch { ready = false; }
      if (ready) await sleep(50);
    }
  })();
  const exited = new Promise((resolve) => {
    // `docker wait` prints the exit code when the container stops.
    const w = spawn('docker', ['wait', backendContainer], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = ''; w.stdout.on('data', (d) => (out += d));
    w.on('close', () => resolve({ code: Number(out.trim()), at: Date.now() }));
  });
  const workers = Array.from({ length: WORKERS }, worker);
  await sleep(LOAD_BEFORE_SIGTERM_MS);
  inFlightAtSigterm = inFlight;
  sigtermAt = Date.now();
  execFileSync('docker', ['kill', '-s', 'TERM', backendContainer], { stdio: 'ignore' });
  await Promise.all([poller, ...workers]);
  const notReadyAfter = Date.now() - sigtermAt;
  const exit = await Promise.race([exited, sleep(EXIT_BOUND_MS).then(() => null)]);
  console.log(`drain: ${sent} requests counted (${inFlightAtSigterm} in flight at SIGTERM, ${afterSigterm} sent after SIGTERM before the load saw /readyz ≠ 200 at +${notReadyAfter} ms), ${succeeded} succeeded, ${errors.length} failed`);
  if (errors.length) fail(`drain: failed requests: ${[...new Set(errors)].join(', ')}`);
  else if (sent < 20) fail(`drain: only ${sent} requests were sent: the load did not run`);
  else ok('drain: zero failed requests');
  if (!exit) fail(`drain: the backend did not exit within ${EXIT_BOUND_MS / 1000} s of SIGTERM`);
  else if (exit.code !== 0) fail(`drain: the backend exited with code ${exit.code}`);
  else ok(`drain: the backend exited with code 0, ${((exit.at - sigtermAt) / 1000).toFixed(1)} s after SIGTERM`);
}

console.log(failures ? `container test: ${failures} check(s) FAILED` : 'container test: all checks passed');
process.exit(failures ? 1 : 0);
