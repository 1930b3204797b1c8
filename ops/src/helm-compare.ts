/**
 * The check of a chart against its synth: what `helm template` rendered must equal the synthesized
 * objects minus the prerequisites, those must equal prerequisites.yaml, and the hooks must be the
 * smoke-test hook, object by object (scripts/ci/helm-compare.ts runs it on Helm's output).
 */
import type { ResolvedEnvironment } from '../../charts/config';
import { backendImage, imageKeys, isPrerequisite, PREREQUISITES_FILE, smokeTestHook } from './helm-chart';
import { containersOf, type K8sObject } from './manifests';

/** The first path at which two JSON values differ, with both values; undefined when equal. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (a === b) return undefined;
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return `${at || '(root)'}: ${show(a)} vs ${show(b)}`;
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  for (const k of [...new Set([...ka, ...kb])]) {
    const sub = Array.isArray(a) ? `${at}[${k}]` : `${at}${at ? '.' : ''}${k}`;
    const d = firstDifference((a as any)[k], (b as any)[k], sub);
    if (d) return d;
  }
  return undefined;
}

const identity = (o: K8sObject) => `${o.kind}/${o.metadata.name}${o.metadata.namespace ? ` (${o.metadata.namespace})` : ''} ${o.apiVersion}`;

/** Differences between two object sets, matched by apiVersion, kind, namespace and name. */
export function compareObjects(expected: readonly K8sObject[], actual: readonly K8sObject[], names: { expected: string; actual: string }): string[] {
  const problems: string[] = [];
  const index = (list: readonly K8sObject[], where: string) => {
    const m = new Map<string, K8sObject>();
    for (const o of list) {
      if (m.has(identity(o))) problems.push(`${identity(o)} appears twice in ${where}`);
      m.set(identity(o), o);
    }
    return m;
  };
  const e = index(expected, names.expected);
  const a = index(actual, names.actual);
  for (const [id, o] of e) {
    const other = a.get(id);
    if (!other) problems.push(`${id}: in ${names.expected}, missing in ${names.actual}`);
    else {
      const d = firstDifference(o, other);
      if (d) problems.push(`${id} differs at ${d} (${names.expected} vs ${names.actual})`);
    }
  }
  for (const id of a.keys()) if (!e.has(id)) problems.push(`${id}: in ${names.actual}, not in ${names.expected}`);
  return problems;
}

/** The synthesized objects with each container image whose values key is overridden replaced. */
export function withImages(objects: readonly K8sObject[], overrides: Record<string, string>): K8sObject[] {
  const keys = imageKeys(objects);
  return objects.map((o) => {
    const copy = structuredClone(o);
    for (const c of containersOf(copy)) {
      const key = keys.get(c.image);
      if (key !== undefined && overrides[key] !== undefined) c.image = overrides[key];
    }
    return copy;
  });
}

/**
 * What `helm template` of the chart must render: every synthesized object but the prerequisites
 * (those must equal prerequisites.yaml), with the overridden images, plus the smoke-test hook
 * running the backend image. Returns the differences (empty: equal).
 */
export function compareRendering(input: {
  env: ResolvedEnvironment;
  synthesized: readonly K8sObject[];
  rendered: readonly K8sObject[];
  prerequisites: readonly K8sObject[];
  images?: Record<string, string>;
  distName: string;
}): string[] {
  const { env, synthesized, rendered, prerequisites, distName } = input;
  const unknown = Object.keys(input.images ?? {}).filter((k) => ![...imageKeys(synthesized).values()].includes(k));
  if (unknown.length) return [`no image value named ${unknown.join(', ')} (values: ${[...imageKeys(synthesized).values()].join(', ')})`];
  const expected = withImages(synthesized, input.images ?? {});
  const isHook = (o: K8sObject) => o.metadata.annotations?.['helm.sh/hook'] !== undefined;
  return [
    ...rendered.filter((o) => !isHook(o) && isPrerequisite(o)).map((o) => `${identity(o)} is a release object: helm uninstall would delete it`),
    ...compareObjects(expected.filter((o) => !isPrerequisite(o)), rendered.filter((o) => !isHook(o)), { expected: distName, actual: 'helm template' }),
    ...compareObjects(synthesized.filter(isPrerequisite), prerequisites, { expected: `${distName} (Namespace, PVCs, Secrets)`, actual: PREREQUISITES_FILE }),
    ...compareObjects([smokeTestHook(env, backendImage(env, expected))], rendered.filter(isHook), { expected: 'the smoke test (ops/src/smoke.ts)', actual: 'the helm test hooks' }),
  ];
}
