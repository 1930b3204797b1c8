/**
 * The NetworkPolicies of one namespace, on cdk8s-plus-33's NetworkPolicy: a default deny (ingress
 * and egress) for every pod, DNS egress, and one allow-list per workload (`allow-<component>`), built
 * with wiring methods in the manner of cdk8s-plus' `connections.allowFrom` / `allowTo`:
 *
 *   policies.connect(frontend, backend);                          // egress on one side, ingress on the other
 *   policies.allowFrom(backend, Peers.namespace('traefik', { app: 'traefik' }));  // on the backend's own port
 *   policies.allowTo(backend, Peers.cidr('10.0.0.0/16'), [tcp(5432)]);
 *   policies.allowTo(smoke, Peers.namespace('traefik'), ANY_PORT);
 *
 * Why not the workloads' own `connections`: it writes one policy per (pod, peer) with generated names,
 * selects by cdk8s-plus' address label instead of the labels operators and probes use, and, for a
 * peer in another namespace, writes a policy into that namespace (the ingress controller's).
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { cidrProblem, DNS_LABEL, labelKeyProblem, labelValueProblem } from '../config/syntax';
import { invariant } from './invariant';

/** Pods a policy applies to: their labels (in the policies' namespace), the policy's name and the port peers reach them on. */
export interface PolicyTarget {
  /** Name of the policy that holds this target's allowances, e.g. `allow-backend`. */
  readonly policyName: string;
  /** Labels of the pods (matchLabels). */
  readonly selector: Record<string, string>;
  /** The container port peers reach the pods on (the default port of `allowFrom` and `connect`); unset for pods nobody connects to. */
  readonly port?: number;
}

/** A source or destination of traffic. */
export type Peer =
  | { readonly kind: 'pods'; readonly labels: Record<string, string> }
  | { readonly kind: 'namespace'; readonly namespace: string; readonly labels?: Record<string, string> }
  | { readonly kind: 'cidr'; readonly cidr: string }
  | { readonly kind: 'anyAddress' };

export const Peers = {
  /** Pods with these labels in the policies' own namespace. */
  pods: (labels: Record<string, string>): Peer => ({ kind: 'pods', labels }),
  /** Every pod of another namespace, or those with `labels`. */
  namespace: (namespace: string, labels?: Record<string, string>): Peer => ({ kind: 'namespace', namespace, labels }),
  /** An IPv4 or IPv6 range. */
  cidr: (cidr: string): Peer => ({ kind: 'cidr', cidr }),
  /** Any address, IPv4 and IPv6 (traffic through a NodePort, an external load balancer). */
  anyAddress: (): Peer => ({ kind: 'anyAddress' }),
};

export interface NetworkPort {
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
}
export const tcp = (port: number): NetworkPort => ({ port, protocol: 'TCP' });
/** Every port of the peer: for a destination whose port is only known after a Service's translation. */
export const ANY_PORT = 'any' as const;
type Ports = readonly NetworkPort[] | typeof ANY_PORT;

export interface NetworkPolicySetProps {
  /**
   * Namespace of the cluster DNS pods; every pod may send DNS queries (UDP and TCP 53) to them.
   * @default 'kube-system'
   */
  readonly dnsNamespace?: string;
  /**
   * Labels of the cluster DNS pods.
   * @default { 'k8s-app': 'kube-dns' }
   */
  readonly dnsPodLabels?: Record<string, string>;
  /**
   * Labels every policy carries (the release labels).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

export class NetworkPolicySet extends Construct {
  readonly defaultDeny: kplus.NetworkPolicy;
  readonly dns: kplus.NetworkPolicy;
  private readonly policies = new Map<string, { policy: kplus.NetworkPolicy; selector: string }>();
  private readonly labels: Record<string, string>;
  private peerCount = 0;
  private readonly ruleCounts = new Map<kplus.NetworkPolicy, { ingress: number; egress: number }>();

  constructor(scope: Construct, id: string, props: NetworkPolicySetProps = {}) {
    super(scope, id);
    this.labels = props.labels ?? {};
    const dnsNamespace = props.dnsNamespace ?? 'kube-system';
    invariant(this, 'dnsNamespace', DNS_LABEL.test(dnsNamespace) ? undefined : `"${dnsNamespace}" is not a namespace name (DNS label)`);
    const deny = { default: kplus.NetworkPolicyTrafficDefault.DENY };
    this.defaultDeny = new kplus.NetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny', labels: this.labels },
      selector: kplus.Pods.all(this, 'AllPods'),
      ingress: deny,
      egress: deny,
    });
    this.dns = new kplus.NetworkPolicy(this, 'Dns', {
      metadata: { name: 'allow-dns', labels: this.labels },
      selector: kplus.Pods.all(this, 'AllPodsDns'),
      egress: { rules: [{ peer: this.peers(Peers.namespace(dnsNamespace, props.dnsPodLabels ?? { 'k8s-app': 'kube-dns' }))[0], ports: [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)] }] },
    });
  }

  /** `from` may open connections to `target`'s pods, on `ports` (default: the target's port). */
  allowFrom(target: PolicyTarget, from: Peer | PolicyTarget, ports?: Ports): this {
    const p = ports ?? (target.port !== undefined ? [tcp(target.port)] : undefined);
    invariant(this, `allowFrom(${target.policyName}).ports`, p?.length ? undefined : 'name the ports (the target has no port)');
    const policy = this.policyOf(target);
    for (const peer of this.peers(from)) this.addRule(policy, 'ingress', peer, p!);
    return this;
  }

  /** `target`'s pods may open connections to `to`, on `ports` (default: `to`'s port when it is a target; ANY_PORT: all). */
  allowTo(target: PolicyTarget, to: Peer | PolicyTarget, ports?: Ports): this {
    const p = ports ?? ('policyName' in to && to.port !== undefined ? [tcp(to.port)] : undefined);
    invariant(this, `allowTo(${target.policyName}).ports`, p?.length ? undefined : 'name the ports (only a PolicyTarget peer with a port has a default), or ANY_PORT');
    const policy = this.policyOf(target);
    for (const peer of this.peers(to)) this.addRule(policy, 'egress', peer, p!);
    return this;
  }

  /** Both sides of a connection inside the namespace: egress from `from`, ingress to `to`, on `to`'s port. */
  connect(from: PolicyTarget, to: PolicyTarget, ports?: Ports): this {
    return this.allowTo(from, to, ports).allowFrom(to, from, ports);
  }

  /** The policy of a target (created on first use: default deny both ways, then the allowances). */
  policyOf(target: PolicyTarget): kplus.NetworkPolicy {
    const key = JSON.stringify(Object.entries(target.selector).sort());
    const existing = this.policies.get(target.policyName);
    if (existing) {
      invariant(this, target.policyName, existing.selector === key ? undefined : 'two targets with different pod selectors share this policy name');
      return existing.policy;
    }
    invariant(this, `${target.policyName}.policyName`, DNS_LABEL.test(target.policyName) ? undefined : 'is not a DNS label');
    this.checkLabels(`${target.policyName}.selector`, target.selector);
    invariant(this, `${target.policyName}.selector`, Object.keys(target.selector).length ? undefined : 'selects every pod; a workload policy needs labels');
    const deny = { default: kplus.NetworkPolicyTrafficDefault.DENY };
    const policy = new kplus.NetworkPolicy(this, target.policyName, {
      metadata: { name: target.policyName, labels: this.labels },
      selector: kplus.Pods.select(this, `${target.policyName}-pods`, { labels: target.selector }),
      ingress: deny,
      egress: deny,
    });
    this.policies.set(target.policyName, { policy, selector: key });
    return policy;
  }

  /** The cdk8s-plus peers of a peer: one each, except any address (an IPv4 and an IPv6 block: cdk8s-plus takes one range per rule). */
  private peers(p: Peer | PolicyTarget): kplus.INetworkPolicyPeer[] {
    const id = `Peer${this.peerCount++}`;
    if ('policyName' in p) return this.peers(Peers.pods(p.selector));
    switch (p.kind) {
      case 'pods':
        this.checkLabels('peer labels', p.labels);
        return [kplus.Pods.select(this, id, { labels: p.labels })];
      case 'namespace':
        invariant(this, 'peer namespace', DNS_LABEL.test(p.namespace) ? undefined : `"${p.namespace}" is not a namespace name (DNS label)`);
        this.checkLabels('peer labels', p.labels ?? {});
        return [kplus.Pods.select(this, id, { labels: p.labels ?? {}, namespaces: kplus.Namespaces.select(this, `${id}Ns`, { names: [p.namespace] }) })];
      case 'cidr':
        invariant(this, 'peer cidr', cidrProblem(p.cidr));
        return [p.cidr.includes(':') ? kplus.NetworkPolicyIpBlock.ipv6(this, id, p.cidr) : kplus.NetworkPolicyIpBlock.ipv4(this, id, p.cidr)];
      case 'anyAddress':
        return [kplus.NetworkPolicyIpBlock.anyIpv4(this, `${id}V4`), kplus.NetworkPolicyIpBlock.anyIpv6(this, `${id}V6`)];
    }
  }

  /**
   * One rule; for ANY_PORT without `ports` (cdk8s-plus writes `ports: []`, which the API server stores as absent:
   * a client-side `kubectl apply` would otherwise find the policy changed every time).
   */
  private addRule(policy: kplus.NetworkPolicy, direction: 'ingress' | 'egress', peer: kplus.INetworkPolicyPeer, ports: Ports): void {
    const counts = this.ruleCounts.get(policy) ?? { ingress: 0, egress: 0 };
    this.ruleCounts.set(policy, counts);
    if (direction === 'ingress') policy.addIngressRule(peer, this.ports(ports));
    else policy.addEgressRule(peer, this.ports(ports));
    if (ports === ANY_PORT) ApiObject.of(policy).addJsonPatch(JsonPatch.remove(`/spec/${direction}/${counts[direction]}/ports`));
    counts[direction]++;
  }

  private ports(ports: Ports): kplus.NetworkPolicyPort[] | undefined {
    if (ports === ANY_PORT) return undefined;
    return ports.map((p) => {
      invariant(this, 'ports', Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535 ? undefined : `${p.port} is not a port (1-65535)`);
      return p.protocol === 'UDP' ? kplus.NetworkPolicyPort.udp(p.port) : kplus.NetworkPolicyPort.tcp(p.port);
    });
  }

  private checkLabels(prop: string, labels: Record<string, string>): void {
    for (const [k, v] of Object.entries(labels)) invariant(this, prop, labelKeyProblem(k) ?? labelValueProblem(v));
  }
}
