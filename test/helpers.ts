/** Synthesizes each environment once, in memory, with a fixed image tag so snapshots are stable. */
import { Testing } from 'cdk8s';
import { ENVIRONMENT_NAMES, resolveEnvironment, type ResolvedEnvironment } from '../charts/config';
import { buildApp } from '../charts/synth';

export const TEST_TAG = 'test0123abcd';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
}

export interface Synthesized {
  env: ResolvedEnvironment;
  /** file (relative to dist/<env>/) -> objects, in the order `kubectl apply -R` applies them */
  files: Record<string, K8sObject[]>;
  objects: K8sObject[];
}

const cache = new Map<string, Synthesized>();

export function synth(name: string, overrides = {}): Synthesized {
  const key = `${name} ${JSON.stringify(overrides)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const env = resolveEnvironment(name, { imageTag: TEST_TAG, ...overrides });
  const { charts } = buildApp(env);
  const files: Record<string, K8sObject[]> = {};
  for (const { chart, file } of charts.outputs) files[file] = Testing.synth(chart) as K8sObject[];
  const out = { env, files, objects: Object.values(files).flat() };
  cache.set(key, out);
  return out;
}

export const ALL = ENVIRONMENT_NAMES;

export const ofKind = (s: Synthesized, kind: string) => s.objects.filter((o) => o.kind === kind);
export const workloads = (s: Synthesized) => s.objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
export const podSpec = (w: K8sObject) => w.spec.template.spec;
export const allContainers = (w: K8sObject): any[] => [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers];
export const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
