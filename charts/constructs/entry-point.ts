/**
 * How traffic from outside the cluster reaches the application:
 *   - `gateway`: a Gateway API HTTPRoute that sends `/api` to the backend and `/` to the frontend,
 *     attached to a listener of the platform's shared Gateway, or to a Gateway of the application's
 *     own (an HTTP listener, and with TLS one HTTPS listener per host plus a redirect to HTTPS);
 *   - `ingress`: an Ingress of any class with the same two paths;
 *   - `nodePort`: the frontend's NodePort (minikube, kind); the frontend server proxies `/api` itself.
 * With TLS it carries what cert-manager needs: on a shared Gateway a `Certificate` in this namespace
 * and the `ReferenceGrant` that lets the Gateway's namespace use its Secret; on a Gateway of its own
 * the listener annotations of cert-manager's gateway-shim; on an Ingress the shim's annotation.
 * It knows who sends the outside traffic (`sources`: the gateway's or controller's pods, or any
 * address for a NodePort) and admits them through `admit(policies)`: to the tiers, and to the ACME
 * HTTP-01 solver pods cert-manager starts in this namespace when it issues the certificate.
 * Gateway API and cert-manager objects are L1 classes imported from their CRDs (imports/): cdk8s-plus
 * has no constructs for them.
 */
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { Certificate } from '../../imports/cert-manager.io';
import {
  Gateway,
  GatewaySpecListenersAllowedRoutesNamespacesFrom as RoutesFrom,
  GatewaySpecListenersTlsMode as TlsMode,
  HttpRoute,
  HttpRouteSpecRulesFiltersRequestRedirectScheme as RedirectScheme,
  HttpRouteSpecRulesFiltersRequestRedirectStatusCode as RedirectStatus,
  HttpRouteSpecRulesFiltersType as FilterType,
  HttpRouteSpecRulesMatchesPathType as PathType,
  ReferenceGrant,
  type HttpRouteSpecParentRefs,
  type HttpRouteSpecRules,
} from '../../imports/gateway.networking.k8s.io';
import type { GatewayConfig, IngressConfig, IssuerConfig, PeerConfig, TlsConfig } from '../config/schema';
import { DNS_LABEL, DNS_SUBDOMAIN, HOST_PATTERN, labelKeyProblem } from '../config/syntax';
import type { AppTier } from './app-tier';
import { invariant } from './invariant';
import { Peers, tcp, type NetworkPolicySet, type Peer, type PolicyTarget } from './network';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const CERT_MANAGER_GROUP = 'cert-manager.io';

/**
 * The pods cert-manager's ACME HTTP-01 solver runs in the namespace of the Certificate: labelled
 * `acme.cert-manager.io/http01-solver: "true"`, serving the challenge on TCP 8089 (cert-manager's
 * fixed solver port). The gateway routes the CA's validation request to them.
 */
export const ACME_HTTP01_SOLVER: PolicyTarget = {
  policyName: 'allow-acme-http01-solver',
  selector: { 'acme.cert-manager.io/http01-solver': 'true' },
  port: 8089,
};

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

/** An Ingress of the given class in front of both tiers, with the controller's pods admitted. */
export interface IngressEntryProps extends EntryPointBaseProps {
  /** Discriminator: an Ingress in front of both tiers. */
  readonly kind: 'ingress';
  /** Name of the Ingress object. */
  readonly name: string;
  /** Class, hosts, TLS, annotations and the controller's pods (charts/config/schema.ts). */
  readonly ingress: IngressConfig;
}

/** An HTTPRoute on a shared Gateway's listener or on a Gateway of the application's own, with the gateway's pods admitted. */
export interface GatewayEntryProps extends EntryPointBaseProps {
  /** Discriminator: Gateway API. */
  readonly kind: 'gateway';
  /** Name of the HTTPRoute (and of the ReferenceGrant's and redirect route's names' prefix). */
  readonly name: string;
  /** Hosts, the Gateway (shared or own), its pods and TLS (charts/config/schema.ts). */
  readonly gateway: GatewayConfig;
}

/** The frontend Service's NodePort (the frontend must be a NodePort Service); any address is admitted to the frontend. */
export interface NodePortEntryProps extends EntryPointBaseProps {
  /** Discriminator: the frontend's NodePort, no routing object. */
  readonly kind: 'nodePort';
}

export type EntryPointProps = GatewayEntryProps | IngressEntryProps | NodePortEntryProps;

export class EntryPoint extends Construct {
  readonly ingress?: kplus.Ingress;
  /** The HTTPRoute of `/` and `/api` (gateway). */
  readonly route?: HttpRoute;
  /** The Gateway of the application's own (gateway.own). */
  readonly gateway?: Gateway;
  /** The plain-HTTP route that redirects to HTTPS (gateway.own with TLS). */
  readonly redirect?: HttpRoute;
  /** The cert-manager Certificate (a shared Gateway with tls.issuer). */
  readonly certificate?: Certificate;
  /** Lets the shared Gateway's namespace use the TLS Secret of this one. */
  readonly referenceGrant?: ReferenceGrant;
  /** Whether the entry point routes the API prefix to the backend itself (otherwise the frontend proxies it). */
  readonly routesApi: boolean;
  /** Who sends the outside traffic, as NetworkPolicy peers. */
  readonly sources: readonly Peer[];
  /** Where cert-manager issues the certificate over HTTP-01 here: its solver pods, which the sources must reach. */
  readonly acmeSolver?: PolicyTarget;
  /** Whether clients reach the hosts over HTTPS. */
  readonly tls: boolean;
  private readonly props: EntryPointProps;

  constructor(scope: Construct, id: string, props: EntryPointProps) {
    super(scope, id);
    this.props = props;
    const apiPrefix = props.apiPrefix ?? '/api';
    invariant(this, 'apiPrefix', /^\/[^\s]*$/.test(apiPrefix) ? undefined : `"${apiPrefix}" must start with /`);
    if (props.kind === 'nodePort') {
      invariant(this, 'frontend', props.frontend.service.type === kplus.ServiceType.NODE_PORT ? undefined : `a NodePort entry needs a NodePort frontend Service (it is ${props.frontend.service.type})`);
      this.routesApi = false;
      this.tls = false;
      this.sources = [Peers.anyAddress()];
      return;
    }
    invariant(this, 'name', DNS_SUBDOMAIN.test(props.name) ? undefined : `"${props.name}" is not a DNS subdomain`);
    this.routesApi = true;
    if (props.kind === 'ingress') {
      const ing = props.ingress;
      this.checkHosts('ingress.hosts', ing.hosts, 1);
      invariant(this, 'ingress.className', DNS_SUBDOMAIN.test(ing.className) ? undefined : `"${ing.className}" is not an IngressClass name`);
      this.checkPeer('ingress.controller', ing.controller);
      for (const k of Object.keys(ing.annotations)) invariant(this, 'ingress.annotations', labelKeyProblem(k));
      if (ing.tls) this.checkTls('ingress.tls', ing.tls);
      const annotations = { ...ing.annotations, ...(ing.tls?.issuer && issuerAnnotation(ing.tls.issuer)) };
      this.ingress = new kplus.Ingress(this, 'Ingress', {
        metadata: { name: props.name, labels: props.labels, annotations: Object.keys(annotations).length ? annotations : undefined },
        className: ing.className,
      });
      const to = (tier: AppTier) => kplus.IngressBackend.fromService(tier.service, { port: tier.service.port });
      for (const host of ing.hosts) {
        this.ingress.addHostRule(host, apiPrefix, to(props.backend), kplus.HttpIngressPathType.PREFIX);
        this.ingress.addHostRule(host, '/', to(props.frontend), kplus.HttpIngressPathType.PREFIX);
      }
      if (ing.tls) this.ingress.addTls([{ hosts: ing.hosts, secret: kplus.Secret.fromSecretName(this, 'Tls', ing.tls.secretName) }]);
      this.tls = ing.tls !== undefined;
      this.acmeSolver = ing.tls?.issuer ? ACME_HTTP01_SOLVER : undefined;
      this.sources = [Peers.namespace(ing.controller.namespace, ing.controller.podLabels)];
      return;
    }

    const gw = props.gateway;
    this.checkHosts('gateway.hosts', gw.hosts, gw.tls ? 1 : 0);
    this.checkPeer('gateway.pods', gw.pods);
    invariant(this, 'gateway', !gw.shared === !gw.own ? 'needs one of shared and own' : undefined);
    if (gw.tls) this.checkTls('gateway.tls', gw.tls);
    const labels = props.labels;
    const hostnames = gw.hosts.length ? [...gw.hosts] : undefined;
    const parentRefs: HttpRouteSpecParentRefs[] = [];
    if (gw.shared) {
      const s = gw.shared;
      invariant(this, 'gateway.shared.name', DNS_SUBDOMAIN.test(s.name) ? undefined : `"${s.name}" is not a Gateway name`);
      invariant(this, 'gateway.shared.namespace', DNS_LABEL.test(s.namespace) ? undefined : `"${s.namespace}" is not a namespace name`);
      invariant(this, 'gateway.shared.listener', DNS_SUBDOMAIN.test(s.listener) ? undefined : `"${s.listener}" is not a listener name`);
      invariant(this, 'gateway.shared.protocol', gw.tls && s.protocol !== 'HTTPS' ? `listener "${s.listener}" is ${s.protocol}, but TLS is asked for` : undefined);
      parentRefs.push({ group: GATEWAY_GROUP, kind: 'Gateway', name: s.name, namespace: s.namespace, sectionName: s.listener });
      this.tls = s.protocol === 'HTTPS';
      if (gw.tls) {
        const tls = gw.tls;
        if (tls.issuer) {
          // L1 (imports/cert-manager.io.ts): the certificate of the hosts, issued into the Secret the Gateway's listener names
          this.certificate = new Certificate(this, 'Certificate', {
            metadata: { name: tls.secretName, labels },
            spec: { secretName: tls.secretName, dnsNames: [...gw.hosts], issuerRef: { group: CERT_MANAGER_GROUP, kind: tls.issuer.kind, name: tls.issuer.name } },
          });
        }
        // L1: the Gateway in another namespace may read this namespace's Secret (Gateway API's consent for a cross-namespace reference)
        this.referenceGrant = new ReferenceGrant(this, 'ReferenceGrant', {
          metadata: { name: `${props.name}-gateway-tls`, labels },
          spec: { from: [{ group: GATEWAY_GROUP, kind: 'Gateway', namespace: s.namespace }], to: [{ group: '', kind: 'Secret', name: tls.secretName }] },
        });
      }
    } else {
      const own = gw.own!;
      invariant(this, 'gateway.own.name', DNS_SUBDOMAIN.test(own.name) ? undefined : `"${own.name}" is not a Gateway name`);
      invariant(this, 'gateway.own.className', DNS_SUBDOMAIN.test(own.className) ? undefined : `"${own.className}" is not a GatewayClass name`);
      const same = { namespaces: { from: RoutesFrom.SAME } };
      const https = (gw.tls ? gw.hosts : []).map((host, i) => ({
        name: `https-${i}`,
        hostname: host,
        port: 443,
        protocol: 'HTTPS',
        tls: { mode: TlsMode.TERMINATE, certificateRefs: [{ group: '', kind: 'Secret', name: gw.tls!.secretName }] },
        allowedRoutes: same,
      }));
      // L1 (imports/gateway.networking.k8s.io.ts); with tls.issuer, cert-manager's gateway-shim issues the listeners' certificate
      this.gateway = new Gateway(this, 'Gateway', {
        metadata: { name: own.name, labels, annotations: gw.tls?.issuer ? issuerAnnotation(gw.tls.issuer) : undefined },
        spec: { gatewayClassName: own.className, listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: same }, ...https] },
      });
      const ref = (sectionName: string): HttpRouteSpecParentRefs => ({ group: GATEWAY_GROUP, kind: 'Gateway', name: own.name, sectionName });
      parentRefs.push(...(https.length ? https.map((l) => ref(l.name)) : [ref('http')]));
      this.tls = https.length > 0;
      if (https.length) {
        // plain HTTP answers with a redirect to HTTPS; the ACME solver's exact-path routes on the same listener take precedence
        this.redirect = new HttpRoute(this, 'HttpsRedirect', {
          metadata: { name: `${props.name}-https-redirect`, labels },
          spec: {
            parentRefs: [ref('http')],
            hostnames,
            rules: [{ matches: [prefix('/')], filters: [{ type: FilterType.REQUEST_REDIRECT, requestRedirect: { scheme: RedirectScheme.HTTPS, statusCode: RedirectStatus.VALUE_301 } }] }],
          },
        });
      }
    }
    const to = (tier: AppTier) => ({ group: '', kind: 'Service', name: tier.service.name, port: tier.service.port, weight: 1 });
    // L1 (imports/gateway.networking.k8s.io.ts). Every field the API server would default is written out (group,
    // kind, weight), so a client-side `kubectl apply` finds the stored object equal and reports it unchanged.
    const rules: HttpRouteSpecRules[] = [
      { matches: [prefix(apiPrefix)], backendRefs: [to(props.backend)] },
      { matches: [prefix('/')], backendRefs: [to(props.frontend)] },
    ];
    this.route = new HttpRoute(this, 'HttpRoute', { metadata: { name: props.name, labels }, spec: { parentRefs, hostnames, rules } });
    this.acmeSolver = gw.tls?.issuer ? ACME_HTTP01_SOLVER : undefined;
    this.sources = [Peers.namespace(gw.pods.namespace, gw.pods.podLabels)];
  }

  /** Admits the sources to the tiers they are routed to (the backend where the API is routed here) and to the ACME solver pods. */
  admit(policies: NetworkPolicySet): void {
    for (const source of this.sources) {
      policies.allowFrom(this.props.frontend, source);
      if (this.routesApi) policies.allowFrom(this.props.backend, source);
      if (this.acmeSolver) policies.allowFrom(this.acmeSolver, source, [tcp(this.acmeSolver.port!)]);
    }
  }

  private checkHosts(prop: string, hosts: readonly string[], min: number): void {
    invariant(this, prop, hosts.length >= min ? undefined : min === 1 && prop.startsWith('gateway') ? 'TLS needs at least one host (the certificate names them)' : 'needs at least one host');
    hosts.forEach((h, i) => {
      invariant(this, `${prop}.${i}`, HOST_PATTERN.test(h) ? undefined : `"${h}" is not a host name`);
      invariant(this, `${prop}.${i}`, hosts.indexOf(h) === i ? undefined : `"${h}" is listed twice`);
    });
  }

  private checkPeer(prop: string, peer: PeerConfig): void {
    invariant(this, `${prop}.namespace`, DNS_LABEL.test(peer.namespace) ? undefined : `"${peer.namespace}" is not a namespace name`);
    for (const k of Object.keys(peer.podLabels)) invariant(this, `${prop}.podLabels`, labelKeyProblem(k));
  }

  private checkTls(prop: string, tls: TlsConfig): void {
    invariant(this, `${prop}.secretName`, DNS_SUBDOMAIN.test(tls.secretName) ? undefined : `"${tls.secretName}" is not a Secret name`);
    if (tls.issuer) invariant(this, `${prop}.issuer.name`, DNS_SUBDOMAIN.test(tls.issuer.name) ? undefined : `"${tls.issuer.name}" is not an issuer name`);
  }
}

/** A path-prefix match, in the form the API server stores. */
const prefix = (value: string) => ({ path: { type: PathType.PATH_PREFIX, value } });

/** cert-manager's annotation for an Ingress or Gateway whose listeners' certificates it issues. */
function issuerAnnotation(issuer: IssuerConfig): Record<string, string> {
  return { [issuer.kind === 'ClusterIssuer' ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer']: issuer.name };
}
