/**
 * Compares what `helm template` rendered from a chart of `npm run helm-chart` with the synthesized
 * environment, object by object (see compareRendering in ops/src/helm-chart.ts). Used by
 * scripts/ci/helm.sh.
 *   tsx scripts/ci/helm-compare.ts --env NAME --dist dist/NAME --chart DIR --rendered FILE [--image KEY=REF]...
 * Prints each difference and exits 1, or prints one summary line and exits 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { overridesFromEnv, resolveEnvironment } from '../../charts/config';
import { PREREQUISITES_FILE } from '../../ops/src/helm-chart';
import { compareRendering } from '../../ops/src/helm-compare';
import { parseManifestText, readManifests } from '../../ops/src/manifests';

const { values } = parseArgs({
  options: { env: { type: 'string' }, dist: { type: 'string' }, chart: { type: 'string' }, rendered: { type: 'string' }, image: { type: 'string', multiple: true } },
});
const { env: envName, dist, chart, rendered } = values;
if (!envName || !dist || !chart || !rendered) {
  console.error('usage: helm-compare --env NAME --dist DIR --chart DIR --rendered FILE [--image KEY=REF]...');
  process.exit(2);
}
const images = Object.fromEntries((values.image ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const env = resolveEnvironment(envName, overridesFromEnv(process.env));
const synthesized = readManifests(dist).objects;
const prerequisitesFile = path.join(chart, PREREQUISITES_FILE);
const prerequisites = fs.existsSync(prerequisitesFile) ? parseManifestText(PREREQUISITES_FILE, fs.readFileSync(prerequisitesFile, 'utf8')) : [];
const renderedObjects = parseManifestText(rendered, fs.readFileSync(rendered, 'utf8'));
const problems = compareRendering({ env, synthesized, rendered: renderedObjects, prerequisites, images, distName: dist });
if (problems.length) {
  for (const p of problems) console.log(`  ${p}`);
  process.exit(1);
}
const overridden = Object.keys(images).length ? ` (images overridden: ${Object.entries(images).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
console.log(`${renderedObjects.length} rendered objects = ${dist} (${synthesized.length} objects) minus ${prerequisites.length} prerequisites, plus the smoke-test hook${overridden}`);
