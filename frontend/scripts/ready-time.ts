// Measures the production web server's start-to-ready time: from spawning `node dist/server.js`
// to the first 200 from its readiness path. Runs it several times and prints each run and the
// median. Needs `npm run build -w frontend` first. Usage: tsx scripts/ready-time.ts [runs]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FRONTEND, FRONTEND_ENV } from '@todo/contract';
import { freePort, statusOf } from './local-http';

const root = path.resolve(__dirname, '..');
const serverJs = path.join(root, 'dist/server.js');
const runs = Number(process.argv[2] ?? 5);
const GOAL_MS = 1000;

if (!existsSync(serverJs)) {
  console.error(`${serverJs} is missing: run npm run build -w frontend first`);
  process.exit(1);
}

async function once(): Promise<number> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [serverJs], {
    env: {
      ...process.env,
      [FRONTEND_ENV.port.name]: String(port),
      [FRONTEND_ENV.host.name]: '127.0.0.1',
      [FRONTEND_ENV.logLevel.name]: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error('the server exited before it was ready');
      if ((await statusOf(port, FRONTEND.readinessPath, 200)) === 200) return Number(process.hrtime.bigint() - t0) / 1e6;
      if (Number(process.hrtime.bigint() - t0) / 1e6 > 10_000) throw new Error('not ready after 10 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise<void>((r) => (exited ? r() : child.on('exit', () => r())));
  }
}

async function main() {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`frontend start-to-ready runs (ms): ${times.map((t) => t.toFixed(0)).join(', ')}`);
  console.log(`frontend start-to-ready: ${median.toFixed(0)} ms median of ${runs} (goal < ${GOAL_MS} ms) — ${median < GOAL_MS ? 'met' : 'MISSED'}`);
}

main().catch((err: Error) => {
  console.error(`ready-time: ${err.message}`);
  process.exit(1);
});
