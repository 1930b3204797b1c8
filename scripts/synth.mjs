#!/usr/bin/env node
// `npm run synth` and cdk8s.yaml's `app`. Arguments pass through to app/main.ts
// (--env NAME, --outdir DIR, --image-registry, --image-tag, --backend-image, --frontend-image,
// --ingress-host; or the TODO_* environment variables).
//
// Speed (the goal is all environments in <= 1 s): no ts-node. esbuild bundles app/main.ts with
// every dependency into one file, .build/main.cjs (type checking is `npm run typecheck`, part of
// `npm test`). The bundle is rebuilt only when an input changed (a fingerprint of the sources'
// sizes and modification times, and of this script, is kept in .build/stamp.json), and it is run
// in this process through vm.Script with a V8 code cache (.build/main.cjs.v8cache), which saves
// most of the time Node otherwise spends compiling 1 MB of JavaScript on every start.
// TODO_SYNTH_REBUILD=1 forces a rebuild; deleting .build/ does too.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, '.build');
const outfile = path.join(buildDir, 'main.cjs');
const cacheFile = `${outfile}.v8cache`;
const stampFile = path.join(buildDir, 'stamp.json');

function fingerprint() {
  const parts = [process.version];
  const walk = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) if (e !== 'node_modules' && e !== '__snapshots__') walk(path.join(p, e));
    } else if (/\.(ts|mts|cts|js|mjs|cjs|json)$/.test(p)) {
      parts.push(`${path.relative(root, p)}:${st.size}:${st.mtimeMs}`);
    }
  };
  for (const p of ['app', 'charts', 'imports', 'contract/src', 'package-lock.json', 'scripts/synth.mjs']) walk(path.join(root, p));
  return parts.join('\n');
}

const stamp = fingerprint();
let current = false;
try {
  current = !process.env.TODO_SYNTH_REBUILD && fs.readFileSync(stampFile, 'utf8') === stamp && fs.existsSync(outfile);
} catch {}
if (!current) {
  const { build } = await import('esbuild');
  fs.mkdirSync(buildDir, { recursive: true });
  // Build to a private file and rename: two concurrent synths never see a half-written bundle.
  const tmpOut = `${outfile}.${process.pid}.tmp`;
  await build({
    entryPoints: [path.join(root, 'app', 'main.ts')],
    outfile: tmpOut,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    // the workspace package is TypeScript source
    alias: { '@todo/contract': path.join(root, 'contract', 'src', 'index.ts') },
  });
  fs.rmSync(cacheFile, { force: true });
  fs.renameSync(tmpOut, outfile);
  fs.writeFileSync(stampFile, stamp);
}

// Run the bundle as a CommonJS module, with a V8 code cache.
const code = fs.readFileSync(outfile, 'utf8');
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, {
  filename: outfile,
  cachedData,
  importModuleDynamically: undefined,
});
const mod = { exports: {} };
const fn = script.runInThisContext();
const saveCache = () => {
  if (!cachedData || script.cachedDataRejected) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {}
  }
};
try {
  fn.call(mod.exports, mod.exports, createRequire(outfile), mod, outfile, buildDir);
} finally {
  saveCache();
}
