/**
 * Container resource requests and limits (ephemeral storage: request = limit), in the API server's
 * canonical form. Returned in the generated types' shape (Quantity objects): escape-hatch patches are
 * applied before an L1 object's own JSON mapping, which reads quantities from that shape.
 */
import { Quantity, type ResourceRequirements } from '../../imports/k8s';
import type { ResourcesConfig } from '../config/schema';
import { canonicalQuantity } from '../config/syntax';

/** A quantity for an escape-hatch patch value, canonical. */
export const quantity = (q: string): Quantity => Quantity.fromString(canonicalQuantity(q));

export function resourceRequirements(r: ResourcesConfig): ResourceRequirements {
  return {
    requests: { cpu: quantity(r.requests.cpu), memory: quantity(r.requests.memory), 'ephemeral-storage': quantity(r.ephemeralStorage) },
    limits: { cpu: quantity(r.limits.cpu), memory: quantity(r.limits.memory), 'ephemeral-storage': quantity(r.ephemeralStorage) },
  };
}
