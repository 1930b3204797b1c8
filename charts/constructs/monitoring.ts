/**
 * Metrics scraping of the tiers that serve metrics (their contract's `metricsPath`): the scraper's pods
 * (a namespace and pod labels, from configuration) are admitted to the metrics port and to nothing else
 * (`admit(policies)`), and the scraper learns the targets either from a Prometheus Operator
 * `ServiceMonitor` per tier (L1, imported from its CRD: cdk8s-plus has none) or from the
 * `prometheus.io/scrape|path|port` pod annotations. Without this construct no tier claims to be
 * scrapeable and no policy lets a scraper in.
 */
import { Construct } from 'constructs';
import { ServiceMonitor, ServiceMonitorSpecEndpointsScheme } from '../../imports/monitoring.coreos.com';
import type { MonitoringConfig } from '../config/schema';
import { DNS_LABEL, labelKeyProblem } from '../config/syntax';
import type { AppTier } from './app-tier';
import { invariant } from './invariant';
import { Peers, tcp, type NetworkPolicySet } from './network';

export interface MonitoringProps {
  /** The tiers to scrape; those without metrics (no `metricsPath` in their contract) are skipped. */
  readonly tiers: readonly AppTier[];
  /** Who scrapes (namespace and pod labels) and how it discovers the targets (charts/config/schema.ts). */
  readonly monitoring: MonitoringConfig;
  /**
   * Where the ServiceMonitors go (the chart of the Services they select).
   * @default this construct
   */
  readonly scope?: Construct;
  /**
   * Labels of the objects created (the release labels).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

export class Monitoring extends Construct {
  /** The tiers that serve metrics. */
  readonly targets: readonly AppTier[];
  readonly serviceMonitors: readonly ServiceMonitor[];
  private readonly props: MonitoringProps;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.props = props;
    const scraper = props.monitoring.scraper;
    invariant(this, 'monitoring.scraper.namespace', DNS_LABEL.test(scraper.namespace) ? undefined : `"${scraper.namespace}" is not a namespace name`);
    for (const k of Object.keys(scraper.podLabels)) invariant(this, 'monitoring.scraper.podLabels', labelKeyProblem(k));
    this.targets = props.tiers.filter((t) => t.metrics);
    const monitors: ServiceMonitor[] = [];
    for (const tier of this.targets) {
      const m = tier.metrics!;
      if (props.monitoring.discovery === 'annotations') {
        const pod = tier.deployment.podMetadata;
        pod.addAnnotation('prometheus.io/scrape', 'true');
        pod.addAnnotation('prometheus.io/path', m.path);
        pod.addAnnotation('prometheus.io/port', String(m.port));
      } else {
        // L1 (imports/monitoring.coreos.com.ts): the Prometheus Operator scrapes the Service's endpoints (the pods) on the named port
        monitors.push(
          new ServiceMonitor(props.scope ?? this, `${tier.node.id}ServiceMonitor`, {
            metadata: { name: tier.service.name, labels: { ...props.labels, ...tier.selector } },
            spec: {
              selector: { matchLabels: { ...tier.selector } },
              endpoints: [{ port: m.portName, path: m.path, scheme: ServiceMonitorSpecEndpointsScheme.HTTP }],
            },
          }),
        );
      }
    }
    this.serviceMonitors = monitors;
  }

  /** The scraper's pods may reach each target's metrics port (the only port the policy opens to them). */
  admit(policies: NetworkPolicySet): void {
    const s = this.props.monitoring.scraper;
    for (const tier of this.targets) policies.allowFrom(tier, Peers.namespace(s.namespace, s.podLabels), [tcp(tier.metrics!.port)]);
  }
}
