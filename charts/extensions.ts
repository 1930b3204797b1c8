/**
 * Per-environment extensions: changes that apply to one environment only, without touching the
 * shared constructs. Each entry receives the built charts (every construct is reachable from them)
 * and may add objects or patch synthesized ones (cdk8s escape hatch: `ApiObject.of(x).addJsonPatch`).
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import { BACKEND } from '@todo/contract';
import type { ResolvedEnvironment } from './config';
import type { TodoCharts } from './todo';

export type Extension = (charts: TodoCharts, env: ResolvedEnvironment) => void;

export const EXTENSIONS: Record<string, Extension[]> = {
  production: [
    // Production's Prometheus discovers the backend pods by annotation (the metrics path is the contract's).
    (charts) => {
      ApiObject.of(charts.backend.deployment).addJsonPatch(
        JsonPatch.add('/spec/template/metadata/annotations/prometheus.io~1scrape', 'true'),
        JsonPatch.add('/spec/template/metadata/annotations/prometheus.io~1path', BACKEND.metricsPath),
        JsonPatch.add('/spec/template/metadata/annotations/prometheus.io~1port', String(BACKEND.port)),
      );
    },
  ],
};
