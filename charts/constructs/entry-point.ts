/**
 * How traffic from outside the cluster reaches the application: an Ingress (any class) that routes
 * `/api` to the backend and `/` to the frontend, or the frontend's NodePort (minikube, kind), where
 * the frontend server proxies `/api` itself. It knows who sends that traffic (`sources`: the ingress
 * controller's namespace, or any address for a NodePort) and admits them through `admit(policies)`.
 * Another kind of entry point (a Gateway API HTTPRoute) adds a case here: its objects, its sources.
 */
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { IngressConfig } from '../config/schema';
import { DNS_LABEL, DNS_SUBDOMAIN, HOST_PATTERN, labelKeyProblem } from '../config/syntax';
import type { AppTier } from './app-tier';
import { invariant } from './invariant';
import { Peers, type NetworkPolicySet, type Peer } from './network';

interface EntryPointBaseProps {
  /** The web tier: `/` goes to its Service. */
  readonly frontend: AppTier;
  /** The API tier: the API prefix goes to its Service where the entry point routes it. */
  readonly backend: AppTier;
  /**
   * Path prefix of the API.
   * @default '/api'
   */
  readonly apiPrefix?: string;
  /**
   * Labels of the objects the entry point creates (the release labels).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

/** An Ingress of the given class in front of both tiers, with the controller's namespace admitted. */
export interface IngressEntryProps extends EntryPointBaseProps {
  /** Discriminator: an Ingress in front of both tiers. */
  readonly kind: 'ingress';
  /** Name of the Ingress object. */
  readonly name: string;
  /** Class, hosts, TLS Secret, annotations and the controller's namespace (charts/config/schema.ts). */
  readonly ingress: IngressConfig;
}

/** The frontend Service's NodePort (the frontend must be a NodePort Service); any address is admitted to the frontend. */
export interface NodePortEntryProps extends EntryPointBaseProps {
  /** Discriminator: the frontend's NodePort, no routing object. */
  readonly kind: 'nodePort';
}

export type EntryPointProps = IngressEntryProps | NodePortEntryProps;

export class EntryPoint extends Construct {
  readonly ingress?: kplus.Ingress;
  /** Whether the entry point routes the API prefix to the backend itself (otherwise the frontend proxies it). */
  readonly routesApi: boolean;
  /** Who sends the outside traffic, as NetworkPolicy peers. */
  readonly sources: readonly Peer[];
  private readonly props: EntryPointProps;

  constructor(scope: Construct, id: string, props: EntryPointProps) {
    super(scope, id);
    this.props = props;
    const apiPrefix = props.apiPrefix ?? '/api';
    invariant(this, 'apiPrefix', /^\/[^\s]*$/.test(apiPrefix) ? undefined : `"${apiPrefix}" must start with /`);
    if (props.kind === 'nodePort') {
      invariant(this, 'frontend', props.frontend.service.type === kplus.ServiceType.NODE_PORT ? undefined : `a NodePort entry needs a NodePort frontend Service (it is ${props.frontend.service.type})`);
      this.routesApi = false;
      this.sources = [Peers.anyAddress()];
      return;
    }
    const ing = props.ingress;
    invariant(this, 'name', DNS_SUBDOMAIN.test(props.name) ? undefined : `"${props.name}" is not a DNS subdomain`);
    invariant(this, 'ingress.className', DNS_SUBDOMAIN.test(ing.className) ? undefined : `"${ing.className}" is not an IngressClass name`);
    invariant(this, 'ingress.controllerNamespace', DNS_LABEL.test(ing.controllerNamespace) ? undefined : `"${ing.controllerNamespace}" is not a namespace name`);
    invariant(this, 'ingress.hosts', ing.hosts.length ? undefined : 'needs at least one host');
    ing.hosts.forEach((h, i) => {
      invariant(this, `ingress.hosts.${i}`, HOST_PATTERN.test(h) ? undefined : `"${h}" is not a host name`);
      invariant(this, `ingress.hosts.${i}`, ing.hosts.indexOf(h) === i ? undefined : `"${h}" is listed twice`);
    });
    for (const k of Object.keys(ing.annotations)) invariant(this, 'ingress.annotations', labelKeyProblem(k));

    this.ingress = new kplus.Ingress(this, 'Ingress', {
      metadata: { name: props.name, labels: props.labels, annotations: Object.keys(ing.annotations).length ? ing.annotations : undefined },
      className: ing.className,
    });
    const to = (tier: AppTier) => kplus.IngressBackend.fromService(tier.service, { port: tier.service.port });
    for (const host of ing.hosts) {
      this.ingress.addHostRule(host, apiPrefix, to(props.backend), kplus.HttpIngressPathType.PREFIX);
      this.ingress.addHostRule(host, '/', to(props.frontend), kplus.HttpIngressPathType.PREFIX);
    }
    if (ing.tlsSecretName) this.ingress.addTls([{ hosts: ing.hosts, secret: kplus.Secret.fromSecretName(this, 'Tls', ing.tlsSecretName) }]);
    this.routesApi = true;
    this.sources = [Peers.namespace(ing.controllerNamespace)];
  }

  /** Admits the sources to the tiers they are routed to: the frontend, and the backend where the API is routed here. */
  admit(policies: NetworkPolicySet): void {
    for (const source of this.sources) {
      policies.allowFrom(this.props.frontend, source);
      if (this.routesApi) policies.allowFrom(this.props.backend, source);
    }
  }
}
