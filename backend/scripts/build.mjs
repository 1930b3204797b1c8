// Builds the backend: two self-contained esbuild bundles, dist/server.js (the API) and
// dist/migrate.js (contract BACKEND.migrateCommand), with every dependency inside: the runtime
// image copies dist/ alone, without node_modules. Prints the size of each output file.
//
// @electric-sql/pglite (the embedded development database, ~27 MB with its WebAssembly) stays out:
// the server loads it with a dynamic import only when DATABASE_URL is unset, and says clearly that
// DATABASE_URL is required when it is absent (as in the image).
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const t0 = Date.now();
rmSync(dist, { recursive: true, force: true });

const entries = { server: 'src/server.ts', migrate: 'src/migrate.ts' };
const result = await build({
  entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.join(root, file)])),
  outdir: dist,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // pg-native: pg's optional native binding, never used (pure JavaScript client).
  external: ['@electric-sql/pglite', 'pg-native'],
  legalComments: 'none',
  minifySyntax: true,
  minifyWhitespace: true,
  metafile: true,
  logLevel: 'warning',
});

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
console.log('backend build output:');
for (const [out, info] of Object.entries(result.metafile.outputs)) {
  const file = path.resolve(out);
  console.log(`  ${path.relative(root, file).padEnd(20)} ${kb(statSync(file).size).padStart(10)}  (${Object.keys(info.inputs).length} modules)`);
}
console.log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
