/**
 * The todo application for one environment: three charts, each synthesized to one file.
 *
 *   dist/<env>/00-namespace/namespace.k8s.yaml  the Namespace (Pod Security restricted): what outlives the
 *                                               application; `kubectl delete -f dist/<env>/` does not read it
 *   dist/<env>/10-config.k8s.yaml               ServiceAccounts, ConfigMaps, NetworkPolicies
 *   dist/<env>/20-workloads.k8s.yaml            Deployments, StatefulSet, Services, the entry point (HTTPRoute,
 *                                               Certificate, ReferenceGrant, or Ingress), ServiceMonitors, HPAs, PDBs
 *
 * This class composes the constructs (charts/constructs/) and wires them; it builds no object itself.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { BACKEND, BACKEND_ENV, FRONTEND, FRONTEND_ENV, MIGRATE_ENV, SECRET_KEYS, SHUTDOWN } from '@todo/contract';
import { podSecurityLabels, releaseLabels } from './labels';
import { POSTGRES_PORT, SERVICE_PORT, SMOKE_TEST_LABELS, type ResolvedEnvironment } from './config';
import { AppTier, type EnvSetting } from './constructs/app-tier';
import { EntryPoint, type EntryPointProps } from './constructs/entry-point';
import { Monitoring } from './constructs/monitoring';
import { ANY_PORT, NetworkPolicySet, Peers, tcp } from './constructs/network';
import { Postgres } from './constructs/postgres';


/** Where each chart is written, relative to dist/<env>/ (kubectl applies files in name order; `-R` reads 00-namespace/ first). */
export const OUTPUT_FILES = {
  namespace: '00-namespace/namespace.k8s.yaml',
  config: '10-config.k8s.yaml',
  workloads: '20-workloads.k8s.yaml',
} as const;
/** The folder of what outlives the application (the Namespace that holds the data and the Secrets). */
export const KEPT_DIR = '00-namespace';

export class TodoCharts {
  readonly namespace: Chart;
  readonly config: Chart;
  readonly workloads: Chart;
  readonly namespaceObject: kplus.Namespace;
  readonly backend: AppTier;
  readonly frontend: AppTier;
  readonly postgres?: Postgres;
  readonly entry: EntryPoint;
  readonly monitoring?: Monitoring;
  readonly networkPolicies: NetworkPolicySet;
  /** Each chart and the file it is written to, relative to dist/<env>/. */
  readonly outputs: readonly { readonly chart: Chart; readonly file: string }[];

  constructor(app: App, env: ResolvedEnvironment) {
    const cfg = env.config;
    const labels = releaseLabels(env.name);
    const ns = env.namespace;
    const chart = (id: string, namespace?: string) => new Chart(app, id, { labels, namespace, disableResourceNameHashes: true });
    this.namespace = chart('namespace');
    this.config = chart('10-config', ns);
    this.workloads = chart('20-workloads', ns);
    this.outputs = [
      { chart: this.namespace, file: OUTPUT_FILES.namespace },
      { chart: this.config, file: OUTPUT_FILES.config },
      { chart: this.workloads, file: OUTPUT_FILES.workloads },
    ];

    this.namespaceObject = new kplus.Namespace(this.namespace, 'Namespace', { metadata: { name: ns, labels: { ...labels, ...podSecurityLabels() } } });

    const names = env.names;
    const shutdown = (specs: typeof BACKEND_ENV | typeof FRONTEND_ENV): EnvSetting[] => [
      { spec: specs.shutdownDelaySeconds, value: '0' },
      { spec: specs.shutdownTimeoutSeconds, value: String(SHUTDOWN.drainTimeoutSeconds) },
    ];
    const common = {
      labels,
      configScope: this.config, // ServiceAccounts and ConfigMaps exist before the pods
      imagePullPolicy: cfg.imagePullPolicy,
      imagePullSecret: cfg.imagePullSecret,
      priorityClassName: cfg.priorityClassName,
      replicas: cfg.replicas,
      hpa: cfg.hpa,
      pdb: cfg.pdb,
      scheduling: cfg.scheduling,
    };

    const b = cfg.backend;
    this.backend = new AppTier(this.workloads, 'Backend', {
      ...common,
      contract: BACKEND,
      name: names.backend,
      configMapName: names.backendConfig,
      image: env.images.backend,
      resources: b.resources,
      service: { port: SERVICE_PORT, type: 'ClusterIP' },
      env: [
        { spec: BACKEND_ENV.port, value: String(BACKEND.port) },
        { spec: BACKEND_ENV.logLevel, value: b.logLevel },
        { spec: BACKEND_ENV.dbPoolMax, value: String(b.dbPoolMax) },
        { spec: BACKEND_ENV.sessionCookieSecure, value: b.sessionCookieSecure },
        { spec: BACKEND_ENV.trustedProxies, value: b.trustedProxyCidrs.join(',') },
        ...shutdown(BACKEND_ENV),
        { spec: BACKEND_ENV.databaseUrl, secretName: env.secretName, secretKey: SECRET_KEYS.databaseUrl },
        { spec: BACKEND_ENV.jwtSecret, secretName: env.secretName, secretKey: SECRET_KEYS.jwtSecret },
      ],
      // Migrations: the same image with only what the migration reads (no signing secret), as a role that may
      // change the schema; the command holds a PostgreSQL advisory lock while migrating (a bounded wait).
      initCommands: [
        {
          name: 'migrate',
          command: BACKEND.migrateCommand,
          env: [
            { spec: MIGRATE_ENV.logLevel, value: b.logLevel },
            { spec: MIGRATE_ENV.lockTimeoutSeconds, value: String(b.migration.lockTimeoutSeconds) },
            { spec: MIGRATE_ENV.connectDeadlineSeconds, value: String(b.migration.connectDeadlineSeconds) },
            ...(b.migration.appRole ? [{ spec: MIGRATE_ENV.appRole, value: b.migration.appRole }] : []),
            { spec: MIGRATE_ENV.databaseUrl, secretName: env.secretName, secretKey: SECRET_KEYS.migrationDatabaseUrl },
          ],
        },
      ],
    });

    // Where no Gateway or Ingress routes /api, the frontend server proxies it to the backend Service.
    const apiUpstream = cfg.gateway || cfg.ingress ? undefined : env.backendUrl;
    this.frontend = new AppTier(this.workloads, 'Frontend', {
      ...common,
      contract: FRONTEND,
      name: names.frontend,
      configMapName: names.frontendConfig,
      image: env.images.frontend,
      resources: cfg.frontend.resources,
      service: { port: SERVICE_PORT, type: cfg.frontendService.type, nodePort: cfg.frontendService.nodePort },
      env: [
        { spec: FRONTEND_ENV.port, value: String(FRONTEND.port) },
        { spec: FRONTEND_ENV.logLevel, value: cfg.frontend.logLevel },
        { spec: FRONTEND_ENV.apiBaseUrl, value: BACKEND.apiPrefix },
        ...(apiUpstream ? [{ spec: FRONTEND_ENV.apiUpstream, value: apiUpstream }] : []),
        ...shutdown(FRONTEND_ENV),
      ],
    });

    const db = cfg.database;
    if (db.kind === 'in-cluster') {
      this.postgres = new Postgres(this.workloads, 'Postgres', {
        name: names.postgres,
        configMapName: names.postgresConfig,
        labels,
        settings: db,
        port: POSTGRES_PORT,
        secretName: env.secretName,
        imagePullSecret: cfg.imagePullSecret,
        priorityClassName: cfg.priorityClassName,
        configScope: this.config,
      });
    }

    const entryCommon = { frontend: this.frontend, backend: this.backend, apiPrefix: BACKEND.apiPrefix, labels };
    const entry: EntryPointProps = cfg.gateway
      ? { ...entryCommon, kind: 'gateway', name: names.entry, gateway: cfg.gateway }
      : cfg.ingress
        ? { ...entryCommon, kind: 'ingress', name: names.entry, ingress: cfg.ingress }
        : { ...entryCommon, kind: 'nodePort' };
    this.entry = new EntryPoint(this.workloads, 'Entry', entry);
    if (cfg.monitoring) {
      this.monitoring = new Monitoring(this.workloads, 'Monitoring', { tiers: [this.backend, this.frontend], monitoring: cfg.monitoring, labels });
    }

    // NetworkPolicies: default deny and DNS, then who may talk to whom.
    const policies = (this.networkPolicies = new NetworkPolicySet(this.config, 'NetworkPolicies', { labels, dnsNamespace: cfg.dnsNamespace }));
    this.entry.admit(policies); // the gateway's pods to the tiers and to the ACME solver
    this.monitoring?.admit(policies); // the scraper to the metrics port
    if (!this.entry.routesApi) policies.connect(this.frontend, this.backend);
    if (this.postgres) policies.connect(this.backend, this.postgres);
    else if (db.kind === 'external') {
      const to = db.egress.pods ? [Peers.namespace(db.egress.pods.namespace, db.egress.pods.podLabels)] : (db.egress.cidrs ?? []).map(Peers.cidr);
      for (const peer of to) policies.allowTo(this.backend, peer, [tcp(db.port)]);
    }
    // The ops tool's smoke test: to both tiers, and through the entry point: to the gateway's (or controller's) pods
    // on any port (a policy judges the pod port after the Service's translation, which differs between
    // implementations), and to 80/443 of any address for a load balancer outside the cluster.
    const smoke = { policyName: 'allow-smoke-test', selector: { 'app.kubernetes.io/instance': labels['app.kubernetes.io/instance'], ...SMOKE_TEST_LABELS } };
    policies.connect(smoke, this.frontend).connect(smoke, this.backend);
    if (this.entry.routesApi) {
      for (const source of this.entry.sources) policies.allowTo(smoke, source, ANY_PORT);
      policies.allowTo(smoke, Peers.anyAddress(), [tcp(80), tcp(443)]);
    }
  }
}
