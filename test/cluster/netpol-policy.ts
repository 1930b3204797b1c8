/**
 * What a set of NetworkPolicies admits, by the API's rules (networking.k8s.io/v1): the oracle of the
 * policy table in test/cluster/netpol.ts. Hand-written because no JavaScript library evaluates
 * NetworkPolicies; it covers the whole v1 API (matchLabels and matchExpressions, namespace selectors,
 * ipBlock with except, numeric and named ports, endPort) and nothing else.
 *
 * A connection from `src` to `dst` on a port is admitted when both sides admit it: the source's egress
 * (if some policy in its namespace selects it for Egress, one of their egress rules must match the
 * destination and port) and the destination's ingress (likewise). A side that is not a pod (an
 * address outside the pod network) has no policies of its own.
 */
import ipaddr from 'ipaddr.js';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}
export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface PolicyPort {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}
export interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}
export interface NetworkPolicy {
  metadata: { name: string; namespace?: string };
  spec: { podSelector: LabelSelector; policyTypes?: ('Ingress' | 'Egress')[]; ingress?: PolicyRule[]; egress?: PolicyRule[] };
}

/** One end of a connection: a pod (namespace and labels set) or an address outside the pod network. */
export interface Endpoint {
  /** The pod's namespace; unset for an address that is not a pod. */
  namespace?: string;
  labels?: Record<string, string>;
  ip: string;
  /** The pod's container ports (named ports in policies refer to them). */
  ports?: { name?: string; containerPort: number; protocol?: string }[];
}

export interface Verdict {
  allowed: boolean;
  /** Which policies decided, in a few words (for the table). */
  why: string;
}

export function selects(sel: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key]) :
      e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key]) :
      e.operator === 'Exists' ? has :
      e.operator === 'DoesNotExist' ? !has :
      unknown(`selector operator ${String(e.operator)}`);
    if (!ok) return false;
  }
  return true;
}

function unknown(what: string): never {
  throw new Error(`netpol-policy: ${what} is not part of the NetworkPolicy v1 API`);
}

function inCidr(ip: string, cidr: string): boolean {
  const addr = ipaddr.parse(ip);
  const [range, bits] = ipaddr.parseCIDR(cidr);
  return addr.kind() === range.kind() && addr.match(range, bits);
}

/** A rule's peer matches `ep` (the other end), seen from a policy in namespace `ns`. */
function peerMatches(peer: PolicyPeer, ns: string, ep: Endpoint, nsLabels: ReadonlyMap<string, Record<string, string>>): boolean {
  if (peer.ipBlock) return inCidr(ep.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(ep.ip, c));
  if (ep.namespace === undefined) return false; // selectors pick pods only
  if (peer.namespaceSelector) {
    if (!selects(peer.namespaceSelector, nsLabels.get(ep.namespace) ?? { 'kubernetes.io/metadata.name': ep.namespace })) return false;
  } else if (ep.namespace !== ns) return false;
  return selects(peer.podSelector, ep.labels);
}

/** A rule's port matches `port`/`protocol` on the destination `dst` (named ports are the destination's). */
function portMatches(p: PolicyPort, port: number, protocol: string, dst: Endpoint): boolean {
  if ((p.protocol ?? 'TCP') !== protocol) return false;
  if (p.port === undefined) return true;
  if (typeof p.port === 'string') {
    return (dst.ports ?? []).some((c) => c.name === p.port && c.containerPort === port && (c.protocol ?? 'TCP') === protocol);
  }
  return p.endPort !== undefined ? port >= p.port && port <= p.endPort : port === p.port;
}

interface Connection {
  src: Endpoint;
  dst: Endpoint;
  port: number;
  protocol: string;
  nsLabels: ReadonlyMap<string, Record<string, string>>;
}

function types(p: NetworkPolicy): string[] {
  return p.spec.policyTypes ?? (p.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** One side of a connection: does the source's egress (or the destination's ingress) admit it? */
function side(policies: readonly NetworkPolicy[], direction: 'Ingress' | 'Egress', c: Connection): Verdict {
  const [pod, other] = direction === 'Egress' ? [c.src, c.dst] : [c.dst, c.src];
  const ns = pod.namespace;
  if (ns === undefined) return { allowed: true, why: 'not a pod' };
  const mine = policies.filter((p) => p.metadata.namespace === ns && types(p).includes(direction) && selects(p.spec.podSelector, pod.labels));
  if (!mine.length) return { allowed: true, why: `no ${direction.toLowerCase()} policy` };
  for (const p of mine) {
    for (const r of (direction === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []) {
      const peers = direction === 'Ingress' ? r.from : r.to;
      const peerOk = !peers?.length || peers.some((peer) => peerMatches(peer, ns, other, c.nsLabels));
      const portOk = !r.ports?.length || r.ports.some((pp) => portMatches(pp, c.port, c.protocol, c.dst));
      if (peerOk && portOk) return { allowed: true, why: p.metadata.name };
    }
  }
  return { allowed: false, why: `${direction.toLowerCase()} of ${mine.map((p) => p.metadata.name).join(', ')}` };
}

/**
 * Does the connection `src` -> `dst`:`port`/`protocol` pass? `policies`: every NetworkPolicy of the
 * cluster, each with metadata.namespace; `nsLabels`: the namespaces' labels (namespaceSelector matches them;
 * a namespace not listed has only `kubernetes.io/metadata.name`).
 */
export function admits(
  policies: readonly NetworkPolicy[],
  nsLabels: ReadonlyMap<string, Record<string, string>>,
  src: Endpoint,
  dst: Endpoint,
  port: number,
  protocol: 'TCP' | 'UDP' = 'TCP',
): Verdict {
  const c: Connection = { src, dst, port, protocol, nsLabels };
  const out = side(policies, 'Egress', c);
  const inn = side(policies, 'Ingress', c);
  if (!out.allowed) return { allowed: false, why: `no rule in the ${out.why} admits it` };
  if (!inn.allowed) return { allowed: false, why: `no rule in the ${inn.why} admits it` };
  return { allowed: true, why: `egress: ${out.why}; ingress: ${inn.why}` };
}
