/**
 * Reading a synthesized environment (every *.yaml below dist/<env>/, applied by kubectl in path order) and
 * what the tool derives from it: the Secret keys the pods reference, the images, the workloads.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { OpsError } from './errors';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: any;
}

export interface ManifestFile {
  name: string;
  text: string;
  objects: K8sObject[];
}

export interface Manifests {
  dir: string;
  files: ManifestFile[];
  objects: K8sObject[];
  /** sha256 over the files' names and contents: identifies what a revision applied. */
  digest: string;
}

/** YAML 1.1: the schema cdk8s writes and kubectl (sigs.k8s.io/yaml) and Helm read. */
export const YAML_VERSION = '1.1' as const;

export function parseManifestText(name: string, text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { version: YAML_VERSION })) {
    if (doc.errors.length) throw new OpsError(`${name}: invalid YAML: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string' || !value.metadata?.name) {
      throw new OpsError(`${name}: a document is not a Kubernetes object (apiVersion, kind, metadata.name)`);
    }
    out.push(value as K8sObject);
  }
  return out;
}

export function manifestsFromFiles(dir: string, files: { name: string; text: string }[]): Manifests {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parsed = sorted.map((f) => ({ ...f, objects: parseManifestText(f.name, f.text) }));
  const hash = createHash('sha256');
  for (const f of sorted) hash.update(`${f.name}\0${f.text}\0`);
  return { dir, files: parsed, objects: parsed.flatMap((f) => f.objects), digest: `sha256:${hash.digest('hex')}` };
}

/**
 * Reads every *.yaml / *.yml below `dir` (subfolders too, such as 00-namespace/), named by their
 * path relative to `dir`, in name order: the order `kubectl apply -R -f dir` applies them in.
 */
export function readManifests(dir: string): Manifests {
  let names: string[];
  try {
    names = (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((n) => /\.ya?ml$/.test(n) && fs.statSync(path.join(dir, n)).isFile())
      .map((n) => n.split(path.sep).join('/'));
  } catch (e) {
    throw new OpsError(`cannot read manifests in ${dir}: ${(e as Error).message}`);
  }
  if (names.length === 0) throw new OpsError(`no manifests (*.yaml) in ${dir}`);
  return manifestsFromFiles(
    dir,
    names.map((name) => ({ name, text: fs.readFileSync(path.join(dir, name), 'utf8') })),
  );
}

/** Where a kind keeps its pod spec (the Pod's own spec, or the template of a workload); undefined for other kinds. */
export function podSpecPath(kind: string): readonly string[] | undefined {
  switch (kind) {
    case 'Pod':
      return ['spec'];
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return ['spec', 'template', 'spec'];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    default:
      return undefined;
  }
}

/** The pod template of a workload (or the spec of a Pod); undefined for other kinds. */
export function podSpecOf(o: K8sObject): any | undefined {
  const p = podSpecPath(o.kind);
  return p?.reduce<any>((node, key) => node?.[key], o);
}

export function containersOf(o: K8sObject): any[] {
  const spec = podSpecOf(o);
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

export interface SecretKeyUse {
  /** "Deployment/todo-backend container backend env DATABASE_URL" */
  usedBy: string;
  optional: boolean;
}

/** A Secret the pods need: its name, and each key with who uses it. `wholeSecret`: envFrom or a volume (no key list). */
export interface SecretRequirement {
  name: string;
  keys: Map<string, SecretKeyUse[]>;
  wholeSecret: SecretKeyUse[];
}

/** Every Secret (and key) referenced by the pod templates: secretKeyRef, envFrom.secretRef, secret volumes. */
export function secretRequirements(objects: readonly K8sObject[]): SecretRequirement[] {
  const byName = new Map<string, SecretRequirement>();
  const get = (name: string) => {
    let r = byName.get(name);
    if (!r) byName.set(name, (r = { name, keys: new Map(), wholeSecret: [] }));
    return r;
  };
  for (const o of objects) {
    const spec = podSpecOf(o);
    if (!spec) continue;
    for (const c of containersOf(o)) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref?.name || !ref.key) continue;
        const r = get(ref.name);
        const uses = r.keys.get(ref.key) ?? [];
        uses.push({ usedBy: `${o.kind}/${o.metadata.name} container ${c.name} env ${e.name}`, optional: ref.optional === true });
        r.keys.set(ref.key, uses);
      }
      for (const ef of c.envFrom ?? []) {
        if (ef.secretRef?.name) get(ef.secretRef.name).wholeSecret.push({ usedBy: `${o.kind}/${o.metadata.name} container ${c.name} envFrom`, optional: ef.secretRef.optional === true });
      }
    }
    for (const v of spec.volumes ?? []) {
      if (!v.secret?.secretName) continue;
      const r = get(v.secret.secretName);
      const items: { key: string }[] = v.secret.items ?? [];
      const use = { usedBy: `${o.kind}/${o.metadata.name} volume ${v.name}`, optional: v.secret.optional === true };
      if (items.length === 0) r.wholeSecret.push(use);
      for (const it of items) r.keys.set(it.key, [...(r.keys.get(it.key) ?? []), use]);
    }
  }
  return [...byName.values()];
}

/** The images of every container (init containers included), in order of first appearance. */
export function imagesOf(objects: readonly K8sObject[]): string[] {
  const seen = new Set<string>();
  for (const o of objects) for (const c of containersOf(o)) if (c.image) seen.add(c.image);
  return [...seen];
}

/** Deployments and StatefulSets, StatefulSets first (the database before the app that migrates it). */
export function workloadsOf(objects: readonly K8sObject[]): K8sObject[] {
  const sts = objects.filter((o) => o.kind === 'StatefulSet');
  const deps = objects.filter((o) => o.kind === 'Deployment');
  return [...sts, ...deps];
}

export function namespaceObject(objects: readonly K8sObject[]): K8sObject | undefined {
  return objects.find((o) => o.kind === 'Namespace' && o.apiVersion === 'v1');
}

export function findObject(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** `kubectl -l` form of a matchLabels map. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Whether `labels` carry every key=value of a `k=v,k2=v2` selector (equality selectors only). */
export function matchesSelector(selector: string, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return k !== undefined && v !== undefined && l[k] === v;
  });
}
