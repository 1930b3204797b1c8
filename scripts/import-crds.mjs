#!/usr/bin/env node
// Regenerates the typed custom resources in imports/ with cdk8s-cli's own CRD importer, from the CRD
// files kept in schemas/crds/ (no network; origin and refresh in schemas/README.md). Only the kinds
// the constructs build are imported: each group becomes one module, imports/<group>.ts, whose first
// version's class has no suffix (HttpRoute) and later versions one (HttpRouteV1Beta1).
//
// `cdk8s import FILE` does the same for one file, but writes each file's group module anew (a second
// file of the same group overwrites the first) and records the import in cdk8s.yaml; here the files
// of a group are read as one manifest and nothing else is written.
//
//   node scripts/import-crds.mjs
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The CRD files imported, relative to schemas/crds/. */
export const CRD_IMPORTS = [
  'gateway-api-v1.4.1/gateway.networking.k8s.io_gateways.yaml',
  'gateway-api-v1.4.1/gateway.networking.k8s.io_httproutes.yaml',
  'gateway-api-v1.4.1/gateway.networking.k8s.io_referencegrants.yaml',
  'cert-manager-v1.21.1/cert-manager.io_certificates.yaml',
  'prometheus-operator-v0.93.0/monitoring.coreos.com_servicemonitors.yaml',
];

// cdk8s-cli's package.json `exports` hides lib/; require its files by path.
const cli = path.join(root, 'node_modules', 'cdk8s-cli', 'lib');
const { ImportCustomResourceDefinition } = require(path.join(cli, 'import', 'crd.js'));
const { Language } = require(path.join(cli, 'import', 'base.js'));

const manifest = CRD_IMPORTS.map((f) => fs.readFileSync(path.join(root, 'schemas', 'crds', f), 'utf8')).join('\n---\n');
const importer = new ImportCustomResourceDefinition(manifest);
await importer.import({ outdir: path.join(root, 'imports'), targetLanguage: Language.TYPESCRIPT });
console.error(`import-crds: wrote ${importer.moduleNames.map((m) => `imports/${m}.ts`).join(', ')} from ${CRD_IMPORTS.length} CRDs in schemas/crds/`);
