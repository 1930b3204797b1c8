/**
 * NetworkPolicies: default deny (ingress and egress) for the namespace, then one allow-list per
 * workload. Each rule names the peer pods by their labels and the port by its name.
 */
import { Construct } from 'constructs';
import { IntOrString, KubeNetworkPolicy, type NetworkPolicyEgressRule, type NetworkPolicyIngressRule, type NetworkPolicyPeer } from '../../imports/k8s';

export interface Allow {
  /** Pods the policy applies to. */
  readonly pods: Record<string, string>;
  readonly ingress?: NetworkPolicyIngressRule[];
  readonly egress?: NetworkPolicyEgressRule[];
}

export const byNamespace = (ns: string, pods?: Record<string, string>): NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
  podSelector: pods ? { matchLabels: pods } : undefined,
});
export const byPods = (pods: Record<string, string>): NetworkPolicyPeer => ({ podSelector: { matchLabels: pods } });
export const tcp = (port: string | number) => ({ protocol: 'TCP', port: typeof port === 'number' ? IntOrString.fromNumber(port) : IntOrString.fromString(port) });

export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: { labels: Record<string, string>; dnsNamespace: string; allow: Record<string, Allow> }) {
    super(scope, id);
    const labels = props.labels;
    new KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny', labels },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new KubeNetworkPolicy(this, 'Dns', {
      metadata: { name: 'allow-dns', labels },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [byNamespace(props.dnsNamespace, { 'k8s-app': 'kube-dns' })],
            ports: [
              { protocol: 'UDP', port: IntOrString.fromNumber(53) },
              { protocol: 'TCP', port: IntOrString.fromNumber(53) },
            ],
          },
        ],
      },
    });
    for (const [name, a] of Object.entries(props.allow)) {
      const types = [...(a.ingress ? ['Ingress'] : []), ...(a.egress ? ['Egress'] : [])];
      new KubeNetworkPolicy(this, name, {
        metadata: { name, labels },
        // an empty rule list (deny all, as policyTypes says) is left out: the API server stores it as absent, so an
        // explicit [] made every server-side apply a change (generation bump, kubectl diff never clean)
        spec: { podSelector: { matchLabels: a.pods }, policyTypes: types, ingress: a.ingress?.length ? a.ingress : undefined, egress: a.egress?.length ? a.egress : undefined },
      });
    }
  }
}
