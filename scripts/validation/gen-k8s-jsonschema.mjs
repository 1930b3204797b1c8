#!/usr/bin/env node
// Generates kubeconform JSON schemas OFFLINE from a Kubernetes OpenAPI v2 `definitions` file,
// the way `openapi2jsonschema --expanded --kubernetes --strict` (the script kubeconform's own
// schemas are built with) does, plus the self-contained layout of its `-standalone-strict` output:
//
//   * one file per group/version/kind, named as kubeconform's default template looks it up:
//     `{{ .ResourceKind }}{{ .KindSuffix }}.json`, e.g. deployment-apps-v1.json, service-v1.json,
//     ingress-networking-v1.json (kind lower-cased, first segment of the group, version);
//   * strict: `additionalProperties: false` on every object schema that lists `properties` and does
//     not already say what extra keys may hold (maps such as labels keep their value schema);
//   * kubernetes: `format: int-or-string` becomes oneOf string|integer, Quantity accepts string|number,
//     `kind` and `apiVersion` are pinned by enum to the file's GVK, optional fields also accept null;
//   * every `$ref` points into the file's own `definitions` (only the definitions it reaches are
//     copied), so kubeconform needs no network and no relative file resolution.
//
// Usage: node gen-k8s-jsonschema.mjs <_definitions.json> <outDir>
// Writes into <outDir>.tmp-<pid> and renames it into place, so a crash never leaves a half-written cache.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };
const REF_PREFIX = '#/definitions/';

function fail(msg) {
  console.error(`gen-k8s-jsonschema: ${msg}`);
  process.exit(2);
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Applies the strict / kubernetes rewrites to one schema node and everything below it. */
function transform(node) {
  if (Array.isArray(node)) return node.map(transform);
  if (!isObj(node)) return node;
  if (node.format === 'int-or-string') return structuredClone(INT_OR_STRING);
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' && isObj(v)) {
      // keys of `properties` are field names, not schema keywords
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, transform(s)]));
    } else if (k === 'enum' || k === 'required' || k.startsWith('x-kubernetes-')) {
      out[k] = v;
    } else {
      out[k] = transform(v);
    }
  }
  if (out.properties) {
    if (!('additionalProperties' in out)) out.additionalProperties = false; // --strict
    const required = new Set(out.required ?? []);
    for (const [name, s] of Object.entries(out.properties)) {
      // --kubernetes: an optional field may be null (the API server treats null as unset)
      if (!required.has(name) && isObj(s) && typeof s.type === 'string' && s.type !== 'null') {
        s.type = [s.type, 'null'];
      }
    }
  }
  return out;
}

function refsOf(node, acc) {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, acc));
  else if (isObj(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') acc.add(v);
      else refsOf(v, acc);
    }
  }
  return acc;
}

/** kubeconform's registry.schemaPath: "-" + first segment of the group (or the core version) [+ "-" + version]. */
export function fileNameFor({ group, version, kind }) {
  const suffix = group ? `-${group.split('.')[0].toLowerCase()}-${version.toLowerCase()}` : `-${version.toLowerCase()}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

export function generate(definitions) {
  if (!isObj(definitions) || Object.keys(definitions).length === 0) throw new Error('no definitions found');
  const defs = {};
  for (const [name, def] of Object.entries(definitions)) defs[name] = transform(def);
  defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = structuredClone(INT_OR_STRING);
  defs['io.k8s.apimachinery.pkg.api.resource.Quantity'] = structuredClone(QUANTITY);

  // the definitions each definition reaches, transitively
  const closure = (root) => {
    const seen = new Set();
    const todo = [...refsOf(defs[root], new Set())];
    while (todo.length) {
      const ref = todo.pop();
      if (!ref.startsWith(REF_PREFIX)) throw new Error(`${root}: unsupported $ref ${ref}`);
      const name = ref.slice(REF_PREFIX.length);
      if (seen.has(name)) continue;
      if (!defs[name]) throw new Error(`${root}: $ref to missing definition ${name}`);
      seen.add(name);
      todo.push(...refsOf(defs[name], new Set()));
    }
    return seen;
  };

  const files = new Map();
  for (const [name, raw] of Object.entries(definitions)) {
    for (const gvk of raw['x-kubernetes-group-version-kind'] ?? []) {
      const file = fileNameFor(gvk);
      const top = structuredClone(defs[name]);
      if (!top.properties?.kind || !top.properties?.apiVersion) continue; // not a top-level object
      // A GVK claimed by several definitions (e.g. meta/v1 DeleteOptions under every group):
      // keep the one whose definition name belongs to that group.
      const prev = files.get(file);
      const groupToken = (gvk.group || 'core').split('.')[0];
      if (prev && !name.split('.').includes(groupToken)) continue;
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      top.properties.apiVersion = { ...top.properties.apiVersion, enum: [apiVersion] };
      top.properties.kind = { ...top.properties.kind, enum: [gvk.kind] };
      top.type ??= 'object';
      top.additionalProperties = false;
      const reached = closure(name);
      const schema = {
        $schema: 'http://json-schema.org/draft-07/schema#',
        ...top,
        definitions: Object.fromEntries([...reached].sort().map((n) => [n, defs[n]])),
      };
      files.set(file, schema);
    }
  }
  if (files.size === 0) throw new Error('no definition carries x-kubernetes-group-version-kind');
  return files;
}

function main() {
  const [src, outDir] = process.argv.slice(2);
  if (!src || !outDir) fail('usage: gen-k8s-jsonschema.mjs <_definitions.json> <outDir>');
  if (!existsSync(src)) fail(`definitions file not found: ${src}`);
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(src, 'utf8'));
  } catch (e) {
    fail(`${src} is not JSON: ${e.message}`);
  }
  let files;
  try {
    files = generate(parsed.definitions);
  } catch (e) {
    fail(`${src}: ${e.message}`);
  }
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [file, schema] of files) writeFileSync(path.join(tmp, file), JSON.stringify(schema));
  const sha = createHash('sha256').update(readFileSync(src)).digest('hex');
  writeFileSync(path.join(tmp, 'SOURCE'), `${path.resolve(src)}\nsha256 ${sha}\n${files.size} schemas\n`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.dirname(outDir), { recursive: true });
  renameSync(tmp, outDir);
  console.log(`gen-k8s-jsonschema: ${files.size} schemas written to ${outDir}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
