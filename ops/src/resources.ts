/**
 * The kinds of object the tool manages, and how kubectl names their resources.
 * Prune and uninstall only ever list and delete these kinds; anything else (Pods, ReplicaSets,
 * Endpoints, events: children the controllers create, which carry the release labels too) is left
 * to Kubernetes' garbage collector.
 */

export interface ManagedKind {
  kind: string;
  /** API group ('' for core). */
  group: string;
  /** Fully-qualified resource name for kubectl (`deployments.apps`). */
  resource: string;
  namespaced: boolean;
  /** Defined by a CRD the cluster may not have (Gateway API, cert-manager, the Prometheus Operator): listed only where served. */
  crd?: boolean;
}

/**
 * In deletion order (the consumers before what they consume): entry points and what they use,
 * metrics discovery, autoscalers and budgets, workloads, Services, policies, configuration, identities.
 */
export const MANAGED_KINDS: readonly ManagedKind[] = [
  { kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', resource: 'httproutes.gateway.networking.k8s.io', namespaced: true, crd: true },
  { kind: 'Ingress', group: 'networking.k8s.io', resource: 'ingresses.networking.k8s.io', namespaced: true },
  { kind: 'Gateway', group: 'gateway.networking.k8s.io', resource: 'gateways.gateway.networking.k8s.io', namespaced: true, crd: true },
  { kind: 'ReferenceGrant', group: 'gateway.networking.k8s.io', resource: 'referencegrants.gateway.networking.k8s.io', namespaced: true, crd: true },
  { kind: 'Certificate', group: 'cert-manager.io', resource: 'certificates.cert-manager.io', namespaced: true, crd: true },
  { kind: 'ServiceMonitor', group: 'monitoring.coreos.com', resource: 'servicemonitors.monitoring.coreos.com', namespaced: true, crd: true },
  { kind: 'HorizontalPodAutoscaler', group: 'autoscaling', resource: 'horizontalpodautoscalers.autoscaling', namespaced: true },
  { kind: 'PodDisruptionBudget', group: 'policy', resource: 'poddisruptionbudgets.policy', namespaced: true },
  { kind: 'CronJob', group: 'batch', resource: 'cronjobs.batch', namespaced: true },
  { kind: 'Job', group: 'batch', resource: 'jobs.batch', namespaced: true },
  { kind: 'Deployment', group: 'apps', resource: 'deployments.apps', namespaced: true },
  { kind: 'StatefulSet', group: 'apps', resource: 'statefulsets.apps', namespaced: true },
  { kind: 'DaemonSet', group: 'apps', resource: 'daemonsets.apps', namespaced: true },
  { kind: 'Service', group: '', resource: 'services', namespaced: true },
  { kind: 'NetworkPolicy', group: 'networking.k8s.io', resource: 'networkpolicies.networking.k8s.io', namespaced: true },
  { kind: 'ConfigMap', group: '', resource: 'configmaps', namespaced: true },
  { kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', resource: 'rolebindings.rbac.authorization.k8s.io', namespaced: true },
  { kind: 'Role', group: 'rbac.authorization.k8s.io', resource: 'roles.rbac.authorization.k8s.io', namespaced: true },
  { kind: 'ServiceAccount', group: '', resource: 'serviceaccounts', namespaced: true },
];

/**
 * Never pruned and never deleted by a plain uninstall: the Namespace (it holds everything else, and
 * the Secrets), PersistentVolumeClaims (the database) and Secrets (created outside the synth).
 */
export const PROTECTED_KINDS: readonly { kind: string; group: string }[] = [
  { kind: 'Namespace', group: '' },
  { kind: 'PersistentVolumeClaim', group: '' },
  { kind: 'Secret', group: '' },
];

export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function managedKind(apiVersion: string, kind: string): ManagedKind | undefined {
  const group = groupOf(apiVersion);
  return MANAGED_KINDS.find((k) => k.kind === kind && k.group === group);
}

export function isProtected(apiVersion: string, kind: string): boolean {
  const group = groupOf(apiVersion);
  return PROTECTED_KINDS.some((k) => k.kind === kind && k.group === group);
}
