/** Container resource requests and limits (memory and ephemeral storage: request = limit). */
import { Quantity, type ResourceRequirements } from '../../imports/k8s';

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
