/**
 * Pod and container security settings shared by every workload (PSA `restricted` compliant) and by
 * the ops tool's smoke-test pod. Type imports only, so the ops tool does not load the generated types.
 */
import type { Container, PodSecurityContext, SecurityContext } from '../../imports/k8s';

export function podSecurityContext(uid: number, gid: number): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(uid: number, gid: number): SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export type { Container };
