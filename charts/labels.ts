/**
 * Labels every synthesized object carries, and the Namespace's. `releaseSelector` is unique to the
 * application and the environment: the ops tool (ops/) prunes and uninstalls by it, so it must never
 * match anything else. Plain data (no cdk8s): the ops tool imports it.
 */
export const APP_NAME = 'todo';

/** Kubernetes' minor version the manifests target: the Pod Security Standards version and the API types (imports/k8s.ts). */
export const KUBERNETES_MINOR = '1.33';

export function releaseLabels(environment: string): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': APP_NAME,
    'app.kubernetes.io/instance': `${APP_NAME}-${environment}`,
    'app.kubernetes.io/managed-by': 'cdk8s',
  };
}

/** `kubectl -l` selector for every object of one environment's release. */
export function releaseSelector(environment: string): string {
  const l = releaseLabels(environment);
  return `app.kubernetes.io/part-of=${l['app.kubernetes.io/part-of']},app.kubernetes.io/instance=${l['app.kubernetes.io/instance']}`;
}

/**
 * Pod Security Admission `restricted`, enforced, audited and warned, pinned to the Kubernetes minor the
 * manifests target (not `latest`, whose meaning changes with the cluster's version).
 */
export function podSecurityLabels(): Record<string, string> {
  return Object.fromEntries(
    ['enforce', 'audit', 'warn'].flatMap((m) => [
      [`pod-security.kubernetes.io/${m}`, 'restricted'],
      [`pod-security.kubernetes.io/${m}-version`, `v${KUBERNETES_MINOR}`],
    ]),
  );
}

/** The environment's Namespace as a plain object: what synth writes to dist/<env>/00-namespace/ (the ops tool applies it before a Secret). */
export function namespaceManifest(env: { name: string; namespace: string }): {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: { name: string; labels: Record<string, string> };
} {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: env.namespace, labels: { ...releaseLabels(env.name), ...podSecurityLabels() } } };
}
