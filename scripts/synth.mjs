#!/usr/bin/env node
// `npm run synth` and cdk8s.yaml's `app`: bundles app/main.ts with esbuild into .build/main.cjs
// (about 0.1 s; no type checking, which `npm run typecheck` / `npm test` do) and runs the bundle in
// this same process. Arguments are passed through (see app/main.ts: --env, --outdir, overrides).
import { build } from 'esbuild';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, '.build', 'main.cjs');
await build({
  entryPoints: [path.join(root, 'app', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // Keep the node_modules packages external: Node loads them from disk faster than esbuild re-parses them.
  packages: 'external',
  // ...except the workspace package, which is TypeScript source.
  alias: { '@todo/contract': path.join(root, 'contract', 'src', 'index.ts') },
});
createRequire(import.meta.url)(outfile);
