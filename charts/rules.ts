/**
 * Rules that both the configuration schema (charts/config/schema.ts: the error names environment and
 * field) and the constructs (charts/constructs/: the error names construct and prop) enforce, so a
 * construct reused outside this app refuses what the schema refuses. Pure functions: each returns a
 * problem sentence or undefined.
 */
import { MIGRATION_CONNECTIONS } from '@todo/contract';
import { parseQuantity } from './config/syntax';

/** The rolling update of every Deployment: one extra pod at a time, never one fewer than desired. */
export const ROLLING_UPDATE = { maxSurge: 1, maxUnavailable: 0 } as const;

/** `prefix` names where the fields live ("hpa." in the configuration, "" in a construct's props). */
export function hpaRangeProblem(minReplicas: number, maxReplicas: number, prefix = ''): string | undefined {
  return minReplicas > maxReplicas ? `${prefix}minReplicas (${minReplicas}) must not exceed ${prefix}maxReplicas (${maxReplicas})` : undefined;
}

/** A PodDisruptionBudget that neither blocks every drain nor protects nothing. */
export function pdbProblem(fewestReplicas: number, maxUnavailable: number, prefix = ''): { field: 'pdb' | 'maxUnavailable'; message: string } | undefined {
  if (fewestReplicas < 2) {
    return { field: 'pdb', message: `a PodDisruptionBudget on ${fewestReplicas} replica would block every node drain: needs at least 2 replicas (hpa.minReplicas or replicas)` };
  }
  if (maxUnavailable >= fewestReplicas) {
    return { field: 'maxUnavailable', message: `${prefix}maxUnavailable (${maxUnavailable}) must be below the fewest replicas (${fewestReplicas}) or it protects nothing` };
  }
  return undefined;
}

/** Requests above limits are refused by the API server. */
export function limitBelowRequestProblem(request: string, limit: string): string | undefined {
  const r = parseQuantity(request);
  const l = parseQuantity(limit);
  return r !== undefined && l !== undefined && l < r ? `the limit (${limit}) is below the request (${request}); the API server refuses it` : undefined;
}

/**
 * An HPA utilization target is a percentage of the request; usage cannot exceed the limit (memory:
 * OOM kill, CPU: throttling), so a target at or above limit/request never triggers a scale-up.
 */
export function unreachableTargetProblem(targetPercent: number, request: string, limit: string): string | undefined {
  const r = parseQuantity(request);
  const l = parseQuantity(limit);
  if (r === undefined || l === undefined || r <= 0) return undefined;
  const ceiling = (100 * l) / r;
  return targetPercent >= ceiling
    ? `${targetPercent} % of the request can never be reached: usage stops at the limit (${limit}), ${Math.round(ceiling)} % of the request (${request})`
    : undefined;
}

/**
 * Connections the backend may hold at once: every pod that may run at the same time (the most
 * replicas plus the rolling update's surge) with a full pool, plus the migration's connections for
 * each of those pods (its init container runs `node dist/migrate.js`, MIGRATION_CONNECTIONS, while
 * the pods it replaces still hold their pools).
 */
export function connectionDemand(mostReplicas: number, poolMax: number): { demand: number; formula: string } {
  const pods = mostReplicas + ROLLING_UPDATE.maxSurge;
  const migration = pods * MIGRATION_CONNECTIONS;
  const demand = pods * poolMax + migration;
  return { demand, formula: `(${mostReplicas} + ${ROLLING_UPDATE.maxSurge} surge) × pool ${poolMax} + ${migration} migration = ${demand}` };
}
