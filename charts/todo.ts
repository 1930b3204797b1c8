/**
 * The todo application for one environment. Three charts, synthesized to three files that
 * `kubectl apply -f dist/<env>/` applies in name order:
 *   00-namespace.k8s.yaml   the Namespace (Pod Security Admission: restricted)
 *   10-config.k8s.yaml      ServiceAccounts, ConfigMaps, NetworkPolicies
 *   20-workloads.k8s.yaml   Deployments, StatefulSet, Services, Ingress, HPAs, PDBs
 * Constructs put their config objects into the config chart through `TodoCharts.config`.
 */
import { App, Chart } from 'cdk8s';
import { BACKEND, BACKEND_ENV, FRONTEND, FRONTEND_ENV, SECRET_KEYS, SHUTDOWN } from '@todo/contract';
import { releaseLabels } from './labels';
import { POSTGRES_PORT, SERVICE_PORT, SMOKE_TEST_LABELS, type ResolvedEnvironment } from './config';
import { AppTier, type EnvSetting } from './constructs/app-tier';
import { Postgres } from './constructs/postgres';
import { byNamespace, byPods, NetworkPolicies, tcp, type Allow } from './constructs/network';
import { KubeIngress, KubeNamespace, type NetworkPolicyPeer } from '../imports/k8s';

export const CHART_FILES = ['00-namespace', '10-config', '20-workloads'] as const;

export class TodoCharts {
  readonly namespace: Chart;
  readonly config: Chart;
  readonly workloads: Chart;
  readonly backend: AppTier;
  readonly frontend: AppTier;
  readonly postgres?: Postgres;
  readonly ingress?: KubeIngress;

  constructor(app: App, env: ResolvedEnvironment) {
    const cfg = env.config;
    const labels = releaseLabels(env.name);
    const ns = env.namespace;
    this.namespace = new Chart(app, CHART_FILES[0], { labels, disableResourceNameHashes: true });
    this.config = new Chart(app, CHART_FILES[1], { labels, namespace: ns, disableResourceNameHashes: true });
    this.workloads = new Chart(app, CHART_FILES[2], { labels, namespace: ns, disableResourceNameHashes: true });

    const psa = Object.fromEntries(
      ['enforce', 'audit', 'warn'].flatMap((m) => [
        [`pod-security.kubernetes.io/${m}`, 'restricted'],
        [`pod-security.kubernetes.io/${m}-version`, 'latest'],
      ]),
    );
    new KubeNamespace(this.namespace, 'Namespace', { metadata: { name: ns, labels: { ...labels, ...psa } } });

    const names = env.names;
    const shutdown = (specs: typeof BACKEND_ENV | typeof FRONTEND_ENV): EnvSetting[] => [
      { spec: specs.shutdownDelaySeconds, value: '0' },
      { spec: specs.shutdownTimeoutSeconds, value: String(SHUTDOWN.drainTimeoutSeconds) },
    ];
    const common = {
      labels,
      configScope: this.config, // ServiceAccounts and ConfigMaps exist before the pods
      imagePullPolicy: cfg.imagePullPolicy,
      replicas: cfg.replicas,
      hpa: cfg.hpa,
      pdb: cfg.pdb,
      nodeSelector: cfg.scheduling.nodeSelector,
      tolerations: cfg.scheduling.tolerations,
      antiAffinity: cfg.scheduling.antiAffinity,
    };

    this.backend = new AppTier(this.workloads, 'Backend', {
      ...common,
      contract: BACKEND,
      name: names.backend,
      configMapName: names.backendConfig,
      image: env.images.backend,
      resources: cfg.backend.resources,
      service: { port: SERVICE_PORT, type: 'ClusterIP' },
      env: [
        { spec: BACKEND_ENV.port, value: String(BACKEND.port) },
        { spec: BACKEND_ENV.logLevel, value: cfg.backend.logLevel },
        { spec: BACKEND_ENV.dbPoolMax, value: String(cfg.backend.dbPoolMax) },
        ...shutdown(BACKEND_ENV),
        { spec: BACKEND_ENV.databaseUrl, secretName: env.secretName, secretKey: SECRET_KEYS.databaseUrl },
        { spec: BACKEND_ENV.jwtSecret, secretName: env.secretName, secretKey: SECRET_KEYS.jwtSecret },
      ],
      // Migrations: same image and env; the backend holds a PostgreSQL advisory lock while migrating.
      initCommands: [{ name: 'migrate', command: BACKEND.migrateCommand }],
    });

    // Where no Ingress routes /api, the frontend server proxies it to the backend Service.
    const apiUpstream = cfg.ingress ? undefined : env.backendUrl;
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
        image: db.image,
        port: POSTGRES_PORT,
        user: db.user,
        database: db.database,
        storage: db.storage,
        storageClassName: db.storageClassName,
        secretName: env.secretName,
        resources: db.resources,
        configScope: this.config,
      });
    }

    if (cfg.ingress) {
      const ing = cfg.ingress;
      const backendRef = (svc: string) => ({ service: { name: svc, port: { name: 'http' } } });
      this.ingress = new KubeIngress(this.workloads, 'Ingress', {
        metadata: { name: names.ingress, labels, annotations: Object.keys(ing.annotations).length ? ing.annotations : undefined },
        spec: {
          ingressClassName: ing.className,
          tls: ing.tlsSecretName ? [{ hosts: ing.hosts, secretName: ing.tlsSecretName }] : undefined,
          rules: ing.hosts.map((host) => ({
            host,
            http: {
              paths: [
                { path: BACKEND.apiPrefix, pathType: 'Prefix', backend: backendRef(this.backend.service.name) },
                { path: '/', pathType: 'Prefix', backend: backendRef(this.frontend.service.name) },
              ],
            },
          })),
        },
      });
    }

    // NetworkPolicies
    const smokeLabels = { 'app.kubernetes.io/instance': labels['app.kubernetes.io/instance'], ...SMOKE_TEST_LABELS };
    const smoke = byPods(smokeLabels);
    const controller: NetworkPolicyPeer[] = cfg.ingress ? [byNamespace(cfg.ingress.controllerNamespace)] : [];
    const allow: Record<string, Allow> = {};
    const frontendFrom: NetworkPolicyPeer[] | undefined =
      cfg.frontendService.type === 'NodePort' ? undefined /* NodePort traffic comes from any node address */ : [...controller, smoke];
    allow['allow-frontend'] = {
      pods: this.frontend.selector,
      ingress: [{ from: frontendFrom, ports: [tcp(FRONTEND.portName)] }],
      egress: apiUpstream ? [{ to: [byPods(this.backend.selector)], ports: [tcp(BACKEND.portName)] }] : [],
    };
    allow['allow-backend'] = {
      pods: this.backend.selector,
      ingress: [{ from: [...controller, smoke, ...(apiUpstream ? [byPods(this.frontend.selector)] : [])], ports: [tcp(BACKEND.portName)] }],
      egress:
        db.kind === 'in-cluster'
          ? [{ to: [byPods(this.postgres!.selector)], ports: [tcp(POSTGRES_PORT)] }]
          : [{ to: db.egressCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(db.port)] }],
    };
    // The ops tool's smoke test: to both tiers, and out through the Ingress (its public address).
    allow['allow-smoke-test'] = {
      pods: smokeLabels,
      ingress: [],
      egress: [
        { to: [byPods(this.frontend.selector)], ports: [tcp(FRONTEND.portName)] },
        { to: [byPods(this.backend.selector)], ports: [tcp(BACKEND.portName)] },
        ...(cfg.ingress ? [{ ports: [tcp(80), tcp(443)] }] : []),
      ],
    };
    if (this.postgres) {
      allow['allow-postgres'] = {
        pods: this.postgres.selector,
        ingress: [{ from: [byPods(this.backend.selector)], ports: [tcp('postgres')] }],
        egress: [],
      };
    }
    new NetworkPolicies(this.config, 'NetworkPolicies', { labels, dnsNamespace: cfg.dnsNamespace, allow });
  }
}

