// Memory and CPU of one container under an environment's limits (run by scripts/ci/images.sh through
// container-test.mjs, the container started with exactly the manifest's `--memory` and `--cpus`).
//
// The load is the one the environment is sized for, per CPU of its limit, for LOAD_SECONDS:
//   backend:  LOGINS_PER_CPU log-ins per second (a third with a wrong password, a tenth for unknown
//             emails: each costs a full scrypt either way) and API_PER_CPU list/create requests per
//             second, arriving at a steady rate (open loop: a slow server does not slow the load);
//   frontend: PAGES_PER_CPU page loads per second (the page, its runtime configuration and an asset).
// Then it reads the container's cgroup: peak memory (v1 memory.max_usage_in_bytes, v2 memory.peak)
// and CPU throttling (cpu.stat), and whether it was OOM-killed. It passes when the peak leaves at least
// HEADROOM of the limit, nothing was OOM-killed, no request failed and (backend) the log-in p99 is
// below LOGIN_P99_MS. Prints one line: `memory <tier>: peak … / limit … (x %), throttled …, …`.
// MEMORY_LOAD_SECONDS and MEMORY_LOGINS_PER_CPU change the load (by hand: a heavier log-in load).
import { execFileSync } from 'node:child_process';

const LOAD_SECONDS = Number(process.env.MEMORY_LOAD_SECONDS ?? 30);
const LOGINS_PER_CPU = Number(process.env.MEMORY_LOGINS_PER_CPU ?? 6);
const API_PER_CPU = 150;
const PAGES_PER_CPU = 100;
const HEADROOM = 0.2;
const LOGIN_P99_MS = 500;
const USERS = 20;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function cgroup(container) {
  const read = (...files) => {
    for (const f of files) {
      try {
        return execFileSync('docker', ['exec', container, 'cat', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        // not this cgroup version
      }
    }
    return '';
  };
  const peak = Number(read('/sys/fs/cgroup/memory.peak', '/sys/fs/cgroup/memory/memory.max_usage_in_bytes'));
  const stat = Object.fromEntries(read('/sys/fs/cgroup/cpu.stat', '/sys/fs/cgroup/cpu,cpuacct/cpu.stat', '/sys/fs/cgroup/cpu/cpu.stat').split('\n').map((l) => l.split(' ')));
  return { peak, periods: Number(stat.nr_periods ?? 0), throttled: Number(stat.nr_throttled ?? 0) };
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

/** Calls `fn` `perSecond` times a second for `seconds`, whatever the previous calls do; waits for all. */
async function steady(perSecond, seconds, fn) {
  const pending = [];
  const t0 = Date.now();
  for (let i = 0; i < perSecond * seconds; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(fn(i));
  }
  await Promise.all(pending);
}

async function call(url, init = {}) {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch (e) {
    return { status: 0, ms: performance.now() - t0, error: e.cause?.code ?? e.name };
  }
}

const post = (body, token) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

async function backendLoad(url, cpus) {
  const password = 'memory test passphrase';
  const users = [];
  for (let i = 0; i < USERS; i++) {
    const email = `mem-${Date.now()}-${i}@example.test`;
    const res = await fetch(`${url}/api/auth/signup`, post({ email, password }));
    if (res.status !== 201) throw new Error(`signup: ${res.status} ${await res.text()}`);
    users.push({ email, token: (await res.json()).token });
  }
  const logins = [];
  const failures = [];
  const loginRate = Math.max(1, Math.round(LOGINS_PER_CPU * cpus));
  const apiRate = Math.max(1, Math.round(API_PER_CPU * cpus));
  await Promise.all([
    steady(loginRate, LOAD_SECONDS, async (i) => {
      const u = users[i % USERS];
      const kind = i % 10 === 0 ? 'unknown' : i % 3 === 0 ? 'wrong' : 'right';
      const r = await call(`${url}/api/auth/login`, post({ email: kind === 'unknown' ? `nobody-${i}@example.test` : u.email, password: kind === 'right' ? password : 'not the password' }));
      logins.push(r.ms);
      if (r.status !== (kind === 'right' ? 200 : 401)) failures.push(`login ${r.status || r.error}`);
    }),
    steady(apiRate, LOAD_SECONDS, async (i) => {
      const u = users[i % USERS];
      const r = i % 5 === 0 ? await call(`${url}/api/tasks`, post({ title: `memory ${i}`, description: 'x'.repeat(500), tags: ['mem'] }, u.token)) : await call(`${url}/api/tasks?pageSize=50`, { headers: { authorization: `Bearer ${u.token}`, 'accept-encoding': 'gzip, br' } });
      if (r.status !== 200 && r.status !== 201) failures.push(`api ${r.status || r.error}`);
    }),
  ]);
  return { failures, detail: `${loginRate} log-ins/s + ${apiRate} API req/s for ${LOAD_SECONDS} s; log-in p50 ${percentile(logins, 50).toFixed(0)} ms, p99 ${percentile(logins, 99).toFixed(0)} ms`, loginP99: percentile(logins, 99) };
}

async function frontendLoad(url, cpus) {
  const index = await (await fetch(`${url}/`)).text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1] ?? '/runtime-config.json';
  const failures = [];
  const rate = Math.max(1, Math.round(PAGES_PER_CPU * cpus));
  await steady(rate, LOAD_SECONDS, async (i) => {
    for (const p of ['/tasks', '/runtime-config.json', asset]) {
      const r = await call(`${url}${p}`, { headers: { 'accept-encoding': i % 2 ? 'br, gzip' : 'gzip' } });
      if (r.status !== 200) failures.push(`${p} ${r.status || r.error}`);
    }
  });
  return { failures, detail: `${rate} page loads/s (page, runtime configuration, ${asset}) for ${LOAD_SECONDS} s` };
}

export async function memoryTest([tier, url, container, cpusText, limitText]) {
  const cpus = Number(cpusText);
  const limit = Number(limitText);
  if (!['backend', 'frontend'].includes(tier) || !url || !container || !(cpus > 0) || !(limit > 0)) {
    console.error('usage: container-test.mjs memory <backend|frontend> <url> <container> <cpus> <memory-limit-bytes>');
    return 2;
  }
  const before = cgroup(container);
  const run = tier === 'backend' ? await backendLoad(url, cpus) : await frontendLoad(url, cpus);
  const after = cgroup(container);
  const oom = execFileSync('docker', ['inspect', '--format', '{{.State.OOMKilled}} {{.State.Running}}', container], { encoding: 'utf8' }).trim();
  const periods = after.periods - before.periods;
  const throttled = after.throttled - before.throttled;
  const share = after.peak / limit;
  const problems = [];
  if (oom !== 'false true') problems.push(`container state (OOMKilled Running): ${oom}`);
  if (!(after.peak > 0)) problems.push('no cgroup memory figure');
  else if (share > 1 - HEADROOM) problems.push(`peak ${(share * 100).toFixed(0)} % of the limit leaves less than ${HEADROOM * 100} % headroom`);
  if (run.failures.length) problems.push(`${run.failures.length} failed requests: ${[...new Set(run.failures)].slice(0, 5).join(', ')}`);
  if (run.loginP99 !== undefined && !(run.loginP99 < LOGIN_P99_MS)) problems.push(`log-in p99 ${run.loginP99.toFixed(0)} ms is not below ${LOGIN_P99_MS} ms`);
  console.log(
    `memory ${tier}: peak ${mib(after.peak)} / limit ${mib(limit)} (${(share * 100).toFixed(0)} %), CPU limit ${cpus}: throttled in ${throttled} of ${periods} periods (${periods ? ((throttled / periods) * 100).toFixed(0) : 0} %), OOM killed: ${oom.startsWith('true') ? 'yes' : 'no'}; ${run.detail}${problems.length ? `\n  FAIL ${problems.join('\n  FAIL ')}` : ''}`,
  );
  return problems.length ? 1 : 0;
}
