/**
 * Per-environment extensions: changes that apply to one environment only, without touching the
 * shared constructs. Keyed by the environment names of charts/config/environments.ts: a key that is
 * not an environment (a typo) or a key written twice is a compile error. Each entry receives the
 * built charts (every construct is a typed property: `charts.backend.deployment` is a cdk8s-plus
 * Deployment) and may change them through their API, add objects to a chart, or patch a synthesized
 * object with cdk8s' escape hatch (`ApiObject.of(x).addJsonPatch`).
 */
import type { EnvironmentName, ResolvedEnvironment } from './config';
import type { TodoCharts } from './todo';

export type Extension = (charts: TodoCharts, env: ResolvedEnvironment) => void;

export const EXTENSIONS: { readonly [E in EnvironmentName]?: readonly Extension[] } = {
};
