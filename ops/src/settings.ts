/**
 * The ops tool's own settings (not environment configuration, which lives in charts/config).
 */

/** Field manager of every server-side apply the tool makes. */
export const FIELD_MANAGER = 'todo-ops';

/**
 * Kubernetes server versions the manifests are made for: cdk8s-plus-33 and imports/k8s.ts target
 * the 1.33 API; every API the manifests use (apps/v1, autoscaling/v2, policy/v1, networking.k8s.io/v1,
 * the preStop `sleep` action) is served by 1.31 to 1.33. Outside this range preflight warns.
 */
export const SUPPORTED_SERVER_VERSIONS = { min: { major: 1, minor: 31 }, max: { major: 1, minor: 33 } } as const;

/** kubectl supports servers one minor version away from itself. */
export const MAX_CLIENT_SKEW = 1;

/** Default wait for each rollout and for the smoke test (`--timeout`). */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/** How long the smoke test waits for a new HTTPRoute to be accepted (and its Gateway's address) or a new Ingress' address. */
export const ENTRY_ADDRESS_WAIT_SECONDS = 60;

/** The ConfigMap (in the environment's namespace) that records the revisions, and how many it keeps. */
export const HISTORY_CONFIGMAP = 'todo-release-history';
export const HISTORY_MAX = 10;

/**
 * Which kube contexts an environment may be used with.
 *   expectedContexts  names the context must be one of (empty: any name, but see requireExplicitContext)
 *   requireExplicitContext  refuse the *current* context unless it is in expectedContexts: the user
 *                           must name the context with --context
 *   refuseLocalContexts     refuse contexts of local clusters (minikube, kind-*, docker-desktop, ...)
 * TODO_OPS_<ENV>_CONTEXTS (comma-separated, e.g. TODO_OPS_PRODUCTION_CONTEXTS=prod-eu-1) extends
 * expectedContexts without a code change.
 */
export interface ContextPolicy {
  expectedContexts: string[];
  requireExplicitContext: boolean;
  refuseLocalContexts: boolean;
}

export const CONTEXT_POLICIES: Record<string, ContextPolicy> = {
  production: { expectedContexts: [], requireExplicitContext: true, refuseLocalContexts: true },
};

export function contextPolicy(envName: string, processEnv: Record<string, string | undefined> = process.env): ContextPolicy | undefined {
  const base = CONTEXT_POLICIES[envName];
  const extra = (processEnv[`TODO_OPS_${envName.toUpperCase().replace(/-/g, '_')}_CONTEXTS`] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!base && extra.length === 0) return undefined;
  const policy = base ?? { expectedContexts: [], requireExplicitContext: false, refuseLocalContexts: false };
  return { ...policy, expectedContexts: [...policy.expectedContexts, ...extra] };
}

/** Context names of local clusters. */
export const LOCAL_CONTEXT = /^(minikube|docker-desktop|docker-for-desktop|rancher-desktop|orbstack|colima(-.+)?|kind-.+|k3d-.+)$/;
