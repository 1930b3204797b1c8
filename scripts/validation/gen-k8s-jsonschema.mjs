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
//     `kind` and `apiVersion` are pinned by enum to the file's GVK, optional fields also accept null:
//     a field with a type, and (as in the upstream schemas, which inline every $ref before making
//     optional fields nullable) an optional field that refers to a scalar definition such as
//     meta/v1 Time: `metadata.creationTimestamp: null`, the form the API server stores, is valid;
//   * every `$ref` points into the file's own `definitions` (only the definitions it reaches are
//     copied), so kubeconform needs no network and no relative file resolution.
//
// With CRD folders (schemas/crds/<project>/*.yaml) it also writes, per served version of each
// CustomResourceDefinition, the schema of its custom resource under the same naming
// (httproute-gateway-v1.json, certificate-cert-manager-v1.json ...), as kubeconform's
// openapi2jsonschema.py does for CRDs, strict: `additionalProperties: false` on every object with
// `properties` unless it preserves unknown fields, `x-kubernetes-int-or-string` as oneOf
// string|integer, `nullable` as a null type, and `metadata` checked against meta/v1 ObjectMeta from
// the definitions file (a CRD's schema declares only `type: object` there).
//
// Usage: node gen-k8s-jsonschema.mjs <_definitions.json> <outDir> [<crdDir>...]
// Writes into <outDir>.tmp-<pid> and renames it into place, so a crash never leaves a half-written cache.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };
const REF_PREFIX = '#/definitions/';

function fail(msg) {
  console.error(`gen-k8s-jsonschema: ${msg}`);
  process.exit(2);
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Applies the strict / kubernetes rewrites to one schema node and everything below it. */
function transform(node, scalars = new Map()) {
  if (Array.isArray(node)) return node.map(transform);
  if (!isObj(node)) return node;
  if (node.format === 'int-or-string') return structuredClone(INT_OR_STRING);
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' && isObj(v)) {
      // keys of `properties` are field names, not schema keywords
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, transform(s, scalars)]));
    } else if (k === 'enum' || k === 'required' || k.startsWith('x-kubernetes-')) {
      out[k] = v;
    } else {
      out[k] = transform(v, scalars);
    }
  }
  if (out.properties) {
    if (!('additionalProperties' in out)) out.additionalProperties = false; // --strict
    const required = new Set(out.required ?? []);
    for (const [name, s] of Object.entries(out.properties)) {
      if (required.has(name) || !isObj(s)) continue;
      // a $ref to a scalar definition (meta/v1 Time): inlined, as the upstream schemas have it, then made nullable
      const scalar = typeof s.$ref === 'string' ? scalars.get(s.$ref) : undefined;
      if (scalar) {
        delete s.$ref;
        Object.assign(s, structuredClone(scalar), s.description ? { description: s.description } : {});
      }
      // --kubernetes: an optional field may be null (the API server treats null as unset)
      if (typeof s.type === 'string' && s.type !== 'null') s.type = [s.type, 'null'];
    }
  }
  return out;
}

/** The definitions that are a plain scalar (type string, integer ... with no properties): meta/v1 Time, MicroTime. */
function scalarDefinitions(definitions) {
  const out = new Map();
  for (const [name, def] of Object.entries(definitions)) {
    if (isObj(def) && typeof def.type === 'string' && def.type !== 'object' && def.type !== 'array' && !def.properties && !def.format?.includes('int-or-string')) {
      out.set(`${REF_PREFIX}${name}`, def);
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

export function generate(definitions, crds = []) {
  if (!isObj(definitions) || Object.keys(definitions).length === 0) throw new Error('no definitions found');
  const defs = {};
  const scalars = scalarDefinitions(definitions);
  for (const [name, def] of Object.entries(definitions)) defs[name] = transform(def, scalars);
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
  const objectMeta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
  if (crds.length && !defs[objectMeta]) throw new Error(`the definitions have no ${objectMeta} (needed for the CRDs' metadata)`);
  for (const crd of crds) {
    const { group, names } = crd.spec;
    for (const version of crd.spec.versions ?? []) {
      if (version.served === false) continue;
      const file = fileNameFor({ group, version: version.name, kind: names.kind });
      if (files.has(file)) throw new Error(`${file}: a CRD and the built-in API (or two CRDs) define the same kind`);
      const root = version.schema?.openAPIV3Schema;
      if (!isObj(root)) throw new Error(`${names.kind} ${group}/${version.name}: no openAPIV3Schema`);
      const top = crdTransform(root);
      top.properties = {
        ...top.properties,
        apiVersion: { type: 'string', enum: [`${group}/${version.name}`] },
        kind: { type: 'string', enum: [names.kind] },
        metadata: { $ref: `${REF_PREFIX}${objectMeta}` },
      };
      top.type = 'object';
      top.additionalProperties = false;
      top.required = [...new Set(['apiVersion', 'kind', 'metadata', ...(top.required ?? [])])];
      const reached = new Set([objectMeta]);
      const todo = [...refsOf(defs[objectMeta], new Set())];
      while (todo.length) {
        const name = todo.pop().slice(REF_PREFIX.length);
        if (reached.has(name)) continue;
        reached.add(name);
        todo.push(...refsOf(defs[name], new Set()));
      }
      files.set(file, {
        $schema: 'http://json-schema.org/draft-07/schema#',
        ...top,
        definitions: Object.fromEntries([...reached].sort().map((n) => [n, defs[n]])),
      });
    }
  }
  return files;
}

/** A CRD's structural schema, strict (unless it preserves unknown fields), int-or-string and nullable in JSON Schema terms. */
function crdTransform(node) {
  if (Array.isArray(node)) return node.map(crdTransform);
  if (!isObj(node)) return node;
  if (node['x-kubernetes-int-or-string']) {
    const { type: _t, 'x-kubernetes-int-or-string': _x, ...rest } = node;
    return { ...rest, ...structuredClone(INT_OR_STRING) };
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' && isObj(v)) out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, crdTransform(s)]));
    else if (k === 'enum' || k === 'required' || k === 'default' || k === 'example' || k.startsWith('x-kubernetes-')) out[k] = v;
    else if (k === 'nullable') continue;
    else out[k] = crdTransform(v);
  }
  if (node.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (out.properties && !('additionalProperties' in out) && !node['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false; // strict
  return out;
}

/** Every CustomResourceDefinition in the *.yaml files of `dirs`. */
export function readCrds(dirs) {
  const crds = [];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
      for (const doc of parseAllDocuments(readFileSync(path.join(dir, f), 'utf8'))) {
        const o = doc.toJS();
        if (o?.kind === 'CustomResourceDefinition') crds.push(o);
      }
    }
  }
  return crds;
}

function main() {
  const [src, outDir, ...crdDirs] = process.argv.slice(2);
  if (!src || !outDir) fail('usage: gen-k8s-jsonschema.mjs <_definitions.json> <outDir> [<crdDir>...]');
  if (!existsSync(src)) fail(`definitions file not found: ${src}`);
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(src, 'utf8'));
  } catch (e) {
    fail(`${src} is not JSON: ${e.message}`);
  }
  let files;
  try {
    files = generate(parsed.definitions, readCrds(crdDirs));
  } catch (e) {
    fail(`${src}: ${e.message}`);
  }
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [file, schema] of files) writeFileSync(path.join(tmp, file), JSON.stringify(schema));
  const sha = createHash('sha256').update(readFileSync(src)).digest('hex');
  writeFileSync(path.join(tmp, 'SOURCE'), `${path.resolve(src)}\nsha256 ${sha}\n${crdDirs.map((d) => `${path.resolve(d)}\n`).join('')}${files.size} schemas\n`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.dirname(outDir), { recursive: true });
  renameSync(tmp, outDir);
  console.log(`gen-k8s-jsonschema: ${files.size} schemas written to ${outDir}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
