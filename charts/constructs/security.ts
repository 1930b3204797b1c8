/**
 * Pod and container security settings shared by every workload (PSA `restricted` compliant) and by
 * the ops tool's smoke-test pod: one definition, rendered for the generated 1.33 types (the ops tool
 * builds plain objects and must not load cdk8s) and for cdk8s-plus (the constructs).
 */
import type * as kplus from 'cdk8s-plus-33';
import type { Container, PodSecurityContext, SecurityContext } from '../../imports/k8s';

const RESTRICTED = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  dropCapabilities: ['ALL'],
  seccompProfile: 'RuntimeDefault',
} as const;

export function podSecurityContext(uid: number, gid: number): PodSecurityContext {
  return {
    runAsNonRoot: RESTRICTED.runAsNonRoot,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: RESTRICTED.seccompProfile },
  };
}

export function containerSecurityContext(uid: number, gid: number): SecurityContext {
  return {
    runAsNonRoot: RESTRICTED.runAsNonRoot,
    runAsUser: uid,
    runAsGroup: gid,
    readOnlyRootFilesystem: RESTRICTED.readOnlyRootFilesystem,
    allowPrivilegeEscalation: RESTRICTED.allowPrivilegeEscalation,
    privileged: RESTRICTED.privileged,
    capabilities: { drop: [...RESTRICTED.dropCapabilities] },
    seccompProfile: { type: RESTRICTED.seccompProfile },
  };
}

/**
 * The same, as cdk8s-plus props. cdk8s-plus' PodSecurityContext has no seccompProfile: the pod-level
 * profile is added by the workload constructs (`podSecurityContext(...).seccompProfile`).
 */
export function kplusPodSecurity(uid: number, gid: number): kplus.PodSecurityContextProps {
  return { ensureNonRoot: RESTRICTED.runAsNonRoot, user: uid, group: gid, fsGroup: gid, fsGroupChangePolicy: 'OnRootMismatch' as kplus.FsGroupChangePolicy };
}

export function kplusContainerSecurity(uid: number, gid: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: RESTRICTED.runAsNonRoot,
    user: uid,
    group: gid,
    readOnlyRootFilesystem: RESTRICTED.readOnlyRootFilesystem,
    allowPrivilegeEscalation: RESTRICTED.allowPrivilegeEscalation,
    privileged: RESTRICTED.privileged,
    capabilities: { drop: [...RESTRICTED.dropCapabilities] as kplus.Capability[] },
    seccompProfile: { type: RESTRICTED.seccompProfile as kplus.SeccompProfileType },
  };
}

export type { Container };
