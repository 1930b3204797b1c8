// Builds the frontend: the single-page app (Vite → dist/public/, every text file precompressed to
// .br and .gz) and the production web server (esbuild → dist/server.js, every dependency inside).
// Prints the size of every output file.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const publicDir = path.join(dist, 'public');
const t0 = Date.now();

await viteBuild({ root, configFile: path.join(root, 'vite.config.ts'), configLoader: 'runner', logLevel: 'warn' });

const COMPRESSIBLE = /\.(html|js|mjs|css|json|svg|txt|map|webmanifest)$/;
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}
const rows = [];
for (const file of walk(publicDir)) {
  if (!COMPRESSIBLE.test(file)) {
    rows.push([file, statSync(file).size, '', '']);
    continue;
  }
  const body = readFileSync(file);
  const br = brotliCompressSync(body, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  const gz = gzipSync(body, { level: 9 });
  // A variant that is not smaller is not worth serving.
  if (br.length < body.length) writeFileSync(`${file}.br`, br);
  if (gz.length < body.length) writeFileSync(`${file}.gz`, gz);
  rows.push([file, body.length, gz.length, br.length]);
}

await esbuild({
  entryPoints: [path.join(root, 'server/main.ts')],
  outfile: path.join(dist, 'server.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  // Less to parse at every start (the bundle carries Fastify, @fastify/static and undici).
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: 'warning',
});
rows.push([path.join(dist, 'server.js'), statSync(path.join(dist, 'server.js')).size, '', '']);

const kb = (n) => (n === '' ? '' : `${(n / 1024).toFixed(1)} kB`);
console.log('frontend build output (raw / gzip / brotli):');
for (const [file, raw, gz, br] of rows) {
  console.log(`  ${path.relative(root, file).padEnd(44)} ${kb(raw).padStart(10)} ${kb(gz).padStart(10)} ${kb(br).padStart(10)}`);
}
const js = rows.filter(([f]) => f.startsWith(publicDir) && f.endsWith('.js'));
const sum = (i) => js.reduce((s, r) => s + (r[i] || 0), 0);
console.log(`  app JavaScript total: ${kb(sum(1))} raw, ${kb(sum(2))} gzip, ${kb(sum(3))} brotli`);
console.log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
