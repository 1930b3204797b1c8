/**
 * The prune planner: which live objects a deploy deletes because the new synth no longer has them.
 *
 * Why not `kubectl apply --prune`: with --server-side it does not prune objects created by
 * server-side apply (kubernetes/kubernetes#110893), and ApplySets are alpha. So the tool lists the
 * candidates itself and applies five rules, each of which alone keeps an object:
 *   1. its kind is one of MANAGED_KINDS (never the Namespace, PVCs, Secrets, nor controller children
 *      such as Pods and ReplicaSets);
 *   2. it carries every label of releaseSelector(env) (listed with `-l`, checked again here);
 *   3. it is in the environment's namespace;
 *   4. it has no ownerReferences (objects a controller created belong to that controller);
 *   5. it is not the release history ConfigMap.
 * An object is pruned only when it passes all five and the new synth has no object of the same
 * group, kind, namespace and name. Each deletion is then `kubectl delete <resource> -n NS
 * -l <releaseSelector> --field-selector metadata.name=NAME`, so the API server itself re-checks the
 * labels: nothing outside the selector can be deleted even if the object changed meanwhile.
 */
import type { Ctx } from './context';
import { OpsError } from './errors';
import { firstLine, type Kubectl } from './exec';
import { matchesSelector, type K8sObject } from './manifests';
import { groupOf, isProtected, managedKind, MANAGED_KINDS, type ManagedKind } from './resources';
import { HISTORY_CONFIGMAP } from './settings';

export interface PruneTarget {
  kind: ManagedKind;
  name: string;
  namespace: string;
}

export interface PrunePlan {
  delete: PruneTarget[];
  /** Live objects that were considered and kept, with the rule that kept them. */
  kept: { ref: string; reason: string }[];
}

const refOf = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
const identity = (o: K8sObject) => `${groupOf(o.apiVersion)}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;

/** Names that are never pruned (the release history lives beside the release). */
export const PROTECTED_NAMES: readonly { kind: string; name: string }[] = [{ kind: 'ConfigMap', name: HISTORY_CONFIGMAP }];

export function planPrune(input: { desired: readonly K8sObject[]; live: readonly K8sObject[]; selector: string; namespace: string }): PrunePlan {
  const desired = new Set(input.desired.map((o) => identity({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? input.namespace } })));
  const plan: PrunePlan = { delete: [], kept: [] };
  for (const o of input.live) {
    const ref = refOf(o);
    const kind = managedKind(o.apiVersion, o.kind);
    if (!kind || isProtected(o.apiVersion, o.kind)) plan.kept.push({ ref, reason: 'kind never pruned' });
    else if (!matchesSelector(input.selector, o.metadata.labels)) plan.kept.push({ ref, reason: 'outside the release selector' });
    else if (o.metadata.namespace !== input.namespace) plan.kept.push({ ref, reason: `in namespace ${o.metadata.namespace ?? '(cluster)'}` });
    else if (Array.isArray(o.metadata.ownerReferences) && o.metadata.ownerReferences.length > 0) plan.kept.push({ ref, reason: 'owned by another object' });
    else if (PROTECTED_NAMES.some((p) => p.kind === o.kind && p.name === o.metadata.name)) plan.kept.push({ ref, reason: 'release history' });
    else if (desired.has(identity(o))) plan.kept.push({ ref, reason: 'in the new synth' });
    else plan.delete.push({ kind, name: o.metadata.name, namespace: input.namespace });
  }
  // Delete in MANAGED_KINDS order (consumers first).
  plan.delete.sort((a, b) => MANAGED_KINDS.indexOf(a.kind) - MANAGED_KINDS.indexOf(b.kind) || a.name.localeCompare(b.name));
  return plan;
}

/**
 * The managed kinds the API server serves: the built-in ones, and those of a CRD only where it is
 * installed (`kubectl get` of a resource the server does not know fails the whole listing).
 */
export function servedKinds(kubectl: Kubectl): ManagedKind[] {
  const r = kubectl.run(['api-resources', '--namespaced=true', '-o', 'name']);
  // a group whose discovery fails (an unavailable APIService) makes kubectl exit 1 after printing the others
  if (r.code !== 0 && !r.stdout.trim()) throw new OpsError(`cannot list the API server's resources: ${firstLine(r.stderr)}`);
  const served = new Set(r.stdout.split('\n').map((l) => l.trim()));
  return MANAGED_KINDS.filter((k) => !k.crd || served.has(k.resource));
}

/** Every object of the managed kinds in the namespace that carries the release labels. */
export function listReleaseObjects(kubectl: Kubectl, namespace: string, selector: string, kinds: readonly ManagedKind[] = servedKinds(kubectl)): K8sObject[] {
  const r = kubectl.run(['get', kinds.map((k) => k.resource).join(','), '-n', namespace, '-l', selector, '-o', 'json']);
  if (r.code !== 0) throw new OpsError(`cannot list the release's objects in ${namespace}: ${firstLine(r.stderr)}`);
  const list = JSON.parse(r.stdout || '{"items":[]}') as { items?: K8sObject[] };
  return list.items ?? [];
}

/** The one deletion command for a target: by name AND by the release selector. */
export function deleteArgs(t: { resource: string; name: string; namespace: string }, selector: string, timeoutSeconds: number): string[] {
  return [
    'delete',
    t.resource,
    '-n',
    t.namespace,
    '-l',
    selector,
    '--field-selector',
    `metadata.name=${t.name}`,
    '--ignore-not-found',
    `--timeout=${timeoutSeconds}s`,
  ];
}

export function executePrune(ctx: Ctx, plan: PrunePlan, selector: string): void {
  for (const t of plan.delete) {
    const what = `${t.kind.kind}/${t.name}`;
    if (ctx.args.dryRun) {
      ctx.log.info(`would prune ${what}`);
      continue;
    }
    const r = ctx.kubectl.run(deleteArgs({ resource: t.kind.resource, name: t.name, namespace: t.namespace }, selector, ctx.args.timeoutSeconds));
    if (r.code !== 0) throw new OpsError(`pruning ${what} failed: ${firstLine(r.stderr)}`);
    ctx.log.info(`pruned ${what}`);
  }
}
