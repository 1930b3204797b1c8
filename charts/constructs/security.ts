/** Pod and container security settings shared by every workload (PSA `restricted` compliant). */
import type { Container, PodSecurityContext, ResourceRequirements, SecurityContext } from '../../imports/k8s';
import { Quantity } from '../../imports/k8s';

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

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
  ephemeralStorage: string;
}

export function resources(r: Resources): ResourceRequirements {
  return {
    requests: { cpu: Quantity.fromString(r.requests.cpu), memory: Quantity.fromString(r.requests.memory), 'ephemeral-storage': Quantity.fromString(r.ephemeralStorage) },
    limits: { cpu: Quantity.fromString(r.limits.cpu), memory: Quantity.fromString(r.limits.memory), 'ephemeral-storage': Quantity.fromString(r.ephemeralStorage) },
  };
}

export type { Container };
