#!/usr/bin/env node
// Regenerates imports/k8s.ts (the typed Kubernetes 1.33 API objects) with cdk8s-cli's own importer,
// reading the schema from schemas/kubernetes/ in this repository instead of downloading it from
// GitHub (see schemas/README.md). `cdk8s import k8s@1.33.0` would download
//   https://raw.githubusercontent.com/cdk8s-team/cdk8s/master/kubernetes-schemas/v1.33.0/_definitions.json
// through cdk8s-cli's `util.download`; we replace that one function for the duration of the import
// so the request is answered from the file, and everything else (type generation, naming, header)
// is exactly the CLI's code.
//
//   node scripts/import-k8s.mjs [--schema PATH] [--version 1.33.0]
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const version = flag('--version', '1.33.0');
const schemaPath = path.resolve(flag('--schema', path.join(root, 'schemas', 'kubernetes', `v${version}`, '_definitions.json')));
if (!fs.existsSync(schemaPath)) {
  console.error(`import-k8s: schema file not found: ${schemaPath} (give --schema PATH)`);
  process.exit(1);
}

// cdk8s-cli's package.json `exports` hides lib/; require its files by path (same module instances).
const cli = path.join(root, 'node_modules', 'cdk8s-cli', 'lib');
const util = require(path.join(cli, 'util.js'));
const { ImportKubernetesApi } = require(path.join(cli, 'import', 'k8s.js'));
const { Language } = require(path.join(cli, 'import', 'base.js'));

const original = util.download;
util.download = async (url) => {
  if (!url.endsWith(`/v${version}/_definitions.json`)) throw new Error(`import-k8s: unexpected download ${url}`);
  return fs.promises.readFile(schemaPath, 'utf-8');
};
try {
  const options = await ImportKubernetesApi.match({ source: `k8s@${version}` }, {});
  await new ImportKubernetesApi(options).import({ outdir: path.join(root, 'imports'), targetLanguage: Language.TYPESCRIPT });
} finally {
  util.download = original;
}
console.error(`import-k8s: wrote imports/k8s.ts from ${path.relative(root, schemaPath)}`);
