#!/usr/bin/env node
// Synth benchmark (not a test): median wall time of 5 cold runs (a new process each) of
//   1. npm run synth                       (the command users run; bundle and V8 code cache warm)
//   2. npm run synth, forced rebuild       (TODO_SYNTH_REBUILD=1: first run after a source change)
//   3. npx cdk8s synth                     (the committed cdk8s.yaml; CDK8S_CHECK_UPGRADE=false,
//                                           otherwise the CLI asks the npm registry for a newer version)
//   4. npx ts-node app/main.ts             (the cdk8s template's way, with a plain CommonJS tsconfig)
// and one run of `npm test`. Usage: node scripts/bench-synth.mjs [--runs N] [--skip-test] [--skip-ts-node]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 5);
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'todo-bench-'));
const env = { ...process.env, TODO_SYNTH_QUIET: '1', CDK8S_CHECK_UPGRADE: 'false', TODO_IMAGE_TAG: process.env.TODO_IMAGE_TAG ?? 'bench' };

function time(cmd, argv, extraEnv = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: root, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return s;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function bench(label, cmd, argv, extraEnv, n = runs) {
  const xs = Array.from({ length: n }, () => time(cmd, argv, extraEnv));
  const m = median(xs);
  console.log(`${label.padEnd(44)} median ${m.toFixed(2)} s   runs: ${xs.map((x) => x.toFixed(2)).join(' ')}`);
  return m;
}

const tsconfig = path.join(outdir, 'tsconfig.ts-node.json');
fs.writeFileSync(
  tsconfig,
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'commonjs', moduleResolution: 'node', esModuleInterop: true, strict: true, skipLibCheck: true, types: ['node'],
      baseUrl: root, paths: { '@todo/contract': ['contract/src/index.ts'] },
    },
  }),
);

console.log(`synth benchmark: ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
time('node', ['scripts/synth.mjs', '--outdir', path.join(outdir, 'warm')]); // warm the bundle + code cache
const npmSynth = bench('npm run synth', 'npm', ['run', '-s', 'synth', '--', '--outdir', path.join(outdir, 'a')]);
bench('node scripts/synth.mjs (without npm)', 'node', ['scripts/synth.mjs', '--outdir', path.join(outdir, 'b')]);
bench('npm run synth, forced rebuild', 'npm', ['run', '-s', 'synth', '--', '--outdir', path.join(outdir, 'c')], { TODO_SYNTH_REBUILD: '1' });
time('node', ['scripts/synth.mjs', '--outdir', path.join(outdir, 'warm')]);
bench('npx cdk8s synth', 'npx', ['cdk8s', 'synth', '--output', path.join(outdir, 'd')]);
if (!args.includes('--skip-ts-node')) {
  bench('ts-node baseline (npx ts-node app/main.ts)', 'npx', ['ts-node', '--project', tsconfig, 'app/main.ts', '--outdir', path.join(outdir, 'e')]);
}
if (!args.includes('--skip-test')) {
  const t = time('npm', ['test', '--silent']);
  console.log(`${'npm test (typecheck + all jest projects)'.padEnd(44)} ${t.toFixed(2)} s`);
}
console.log(`goal: npm run synth <= 1 s: ${npmSynth <= 1 ? 'met' : 'NOT met'} (${npmSynth.toFixed(2)} s)`);
fs.rmSync(outdir, { recursive: true, force: true });
