/**
 * Construct-level invariants: a construct refuses props that would synthesize something the API
 * server or the cluster would refuse, naming the construct (class and path) and the prop, even when
 * it is used outside this app's validated configuration.
 */
import type { Construct } from 'constructs';

export class PropsError extends Error {
  constructor(construct: Construct, prop: string, problem: string) {
    super(`${construct.constructor.name} ${construct.node.path}: ${prop}: ${problem}`);
    this.name = 'PropsError';
  }
}

/** Throws a PropsError when `problem` is set. */
export function invariant(construct: Construct, prop: string, problem: string | undefined): void {
  if (problem) throw new PropsError(construct, prop, problem);
}
