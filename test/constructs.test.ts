/**
 * The constructs on their own (outside this app's validated configuration): they refuse what the API
 * server or the cluster would refuse, naming the construct and the prop; their defaults are the ones
 * their props document; every prop is documented, with a default where it is optional.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { App, Chart, Testing } from 'cdk8s';
import { BACKEND, BACKEND_ENV, FRONTEND, MIGRATE_ENV } from '@todo/contract';
import { AppTier, type AppTierProps } from '../charts/constructs/app-tier';
import { EntryPoint, type GatewayEntryProps } from '../charts/constructs/entry-point';
import { PropsError } from '../charts/constructs/invariant';
import { Monitoring } from '../charts/constructs/monitoring';
import { ANY_PORT, NetworkPolicySet, Peers, tcp, type PolicyTarget } from '../charts/constructs/network';
import type { GatewayConfig } from '../charts/config/schema';
import { Postgres, type PostgresProps } from '../charts/constructs/postgres';

const resources = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '128Mi' }, ephemeralStorage: '256Mi' };
const chart = () => new Chart(Testing.app(), 'test', { namespace: 'ns' });
const tier = (props: Partial<AppTierProps> = {}, scope = chart(), id = 'Tier') =>
  new AppTier(scope, id, { contract: BACKEND, name: 'api', image: 'registry.example.com/api:1', resources, ...props });
/** A shared Gateway with TLS from a ClusterIssuer, as production's; `patch` changes it. */
const sharedGateway = (patch: Partial<GatewayConfig> = {}): GatewayConfig => ({
  hosts: ['todo.example.com'],
  shared: { name: 'public', namespace: 'gateway-system', listener: 'https-todo', protocol: 'HTTPS' },
  pods: { namespace: 'gateway-system', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } },
  tls: { secretName: 'todo-tls', issuer: { kind: 'ClusterIssuer', name: 'letsencrypt' } },
  ...patch,
});
/** An entry point (and a NetworkPolicySet it admits its sources through) in a fresh chart: the chart's objects. */
const entry = (props: Partial<GatewayEntryProps> & Pick<GatewayEntryProps, 'gateway'>) => {
  const c = chart();
  const e = new EntryPoint(c, 'Entry', { kind: 'gateway', name: 'todo', frontend: tier({ contract: FRONTEND, name: 'web' }, c, 'Web'), backend: tier({}, c), ...props });
  e.admit(new NetworkPolicySet(c, 'P'));
  return Testing.synth(c);
};

const pg = (settings: Partial<PostgresProps['settings']> = {}) =>
  new Postgres(chart(), 'Db', {
    name: 'db',
    secretName: 'secrets',
    settings: { image: 'postgres:17.11-trixie', storage: '1Gi', user: 'app', database: 'app', maxConnections: 100, resources, ...settings },
  });

describe('invariants: a PropsError naming construct and prop', () => {
  test.each<[string, () => unknown, string]>([
    ['AppTier: a PDB on one replica', () => tier({ pdb: { maxUnavailable: 1 } }), 'AppTier test/Tier: pdb: a PodDisruptionBudget on 1 replica would block every node drain'],
    ['AppTier: a PDB that never allows an eviction', () => tier({ replicas: 2, pdb: { maxUnavailable: 2 } }), 'AppTier test/Tier: pdb.maxUnavailable: maxUnavailable (2) must be below the fewest replicas (2)'],
    ['AppTier: HPA min above max', () => tier({ hpa: { minReplicas: 4, maxReplicas: 2, cpuUtilization: 70, memoryUtilization: 80, scaleDownStabilizationSeconds: 60 } }), 'AppTier test/Tier: hpa: minReplicas (4) must not exceed maxReplicas (2)'],
    ['AppTier: a limit below its request', () => tier({ resources: { ...resources, limits: { cpu: '10m', memory: '128Mi' } } }), 'AppTier test/Tier: resources.limits.cpu: the limit (10m) is below the request (50m)'],
    ['AppTier: a NodePort Service without its port', () => tier({ service: { port: 80, type: 'NodePort' } }), 'AppTier test/Tier: service.nodePort: a NodePort Service needs a nodePort in 30000-32767'],
    ['AppTier: a node port on a ClusterIP Service', () => tier({ service: { port: 80, type: 'ClusterIP', nodePort: 30000 } }), 'AppTier test/Tier: service.nodePort: applies only to a NodePort Service'],
    ['AppTier: a secret variable in the ConfigMap', () => tier({ env: [{ spec: BACKEND_ENV.jwtSecret, value: 'x'.repeat(40) }] }), 'AppTier test/Tier: env.JWT_SECRET: is a secret variable and must come from a Secret'],
    ['AppTier: an image without a tag', () => tier({ image: 'registry.example.com/api' }), 'AppTier test/Tier: image: "registry.example.com/api" needs a tag or a @sha256 digest'],
    ['AppTier: a name that is no DNS label', () => tier({ name: 'API' }), 'AppTier test/Tier: name: "API" is not a DNS label'],
    ['AppTier: a node selector key', () => tier({ scheduling: { nodeSelector: { 'a b': 'c' }, tolerations: [], antiAffinity: 'none', zoneSpread: 'ScheduleAnyway' } }), 'AppTier test/Tier: scheduling.nodeSelector: key "a b" is not a valid label/annotation key'],
    ['Postgres: an image with the tag latest', () => pg({ image: 'postgres:latest' }), 'Postgres test/Db: settings.image: "postgres:latest" must not use the tag latest'],
    ['Postgres: storage in another syntax', () => pg({ storage: '1GB' }), 'Postgres test/Db: settings.storage: "1GB" is not a Kubernetes quantity'],
    ['Postgres: too few connections', () => pg({ maxConnections: 5 }), 'Postgres test/Db: settings.maxConnections: 5 must be a whole number of at least 10'],
    ['NetworkPolicySet: a peer CIDR with host bits', () => new NetworkPolicySet(chart(), 'P').allowTo(tier(), Peers.cidr('10.0.0.1/8'), [tcp(5432)]), 'NetworkPolicySet test/P: peer cidr: "10.0.0.1/8" has address bits set'],
    ['NetworkPolicySet: egress to an address without ports', () => new NetworkPolicySet(chart(), 'P').allowTo(tier(), Peers.anyAddress()), 'NetworkPolicySet test/P: allowTo(allow-backend).ports: name the ports'],
    ['NetworkPolicySet: a peer namespace that is no name', () => new NetworkPolicySet(chart(), 'P').allowFrom(tier(), Peers.namespace('Ingress NGINX')), 'NetworkPolicySet test/P: peer namespace: "Ingress NGINX" is not a namespace name'],
    ['NetworkPolicySet: one policy name, two selectors', () => {
      const p = new NetworkPolicySet(chart(), 'P');
      const a: PolicyTarget = { policyName: 'allow-x', selector: { app: 'a' }, port: 1 };
      p.allowFrom(a, Peers.pods({ app: 'c' })).allowFrom({ ...a, selector: { app: 'b' } }, Peers.pods({ app: 'c' }));
    }, 'NetworkPolicySet test/P: allow-x: two targets with different pod selectors share this policy name'],
    ['NetworkPolicySet: a target that selects every pod', () => new NetworkPolicySet(chart(), 'P').allowFrom({ policyName: 'allow-all', selector: {}, port: 80 }, Peers.anyAddress()), 'NetworkPolicySet test/P: allow-all.selector: selects every pod'],
    ['NetworkPolicySet: port 0', () => new NetworkPolicySet(chart(), 'P').allowFrom(tier(), Peers.anyAddress(), [tcp(0)]), 'NetworkPolicySet test/P: ports: 0 is not a port'],
    ['EntryPoint: a NodePort entry in front of a ClusterIP frontend', () => {
      const c = chart();
      new EntryPoint(c, 'Entry', { kind: 'nodePort', frontend: tier({ contract: FRONTEND, name: 'web' }, c, 'Web'), backend: tier({}, c) });
    }, 'EntryPoint test/Entry: frontend: a NodePort entry needs a NodePort frontend Service (it is ClusterIP)'],
    ['EntryPoint: the same host twice', () => {
      const c = chart();
      const ingress = { className: 'traefik', hosts: ['a.example.com', 'a.example.com'], annotations: {}, controller: { namespace: 'traefik', podLabels: {} } };
      new EntryPoint(c, 'Entry', { kind: 'ingress', name: 'web', ingress, frontend: tier({ contract: FRONTEND, name: 'web' }, c, 'Web'), backend: tier({}, c) });
    }, 'EntryPoint test/Entry: ingress.hosts.1: "a.example.com" is listed twice'],
    ['EntryPoint: TLS without a host', () => entry({ gateway: sharedGateway({ hosts: [] }) }), 'EntryPoint test/Entry: gateway.hosts: TLS needs at least one host'],
    ['EntryPoint: a Gateway both shared and own', () => entry({ gateway: sharedGateway({ own: { className: 'traefik', name: 'todo' } }) }), 'EntryPoint test/Entry: gateway: needs one of shared and own'],
    ['EntryPoint: an HTTP listener while TLS is asked for', () => entry({ gateway: sharedGateway({ shared: { name: 'public', namespace: 'gateway-system', listener: 'http', protocol: 'HTTP' } }) }), 'EntryPoint test/Entry: gateway.shared.protocol: listener "http" is HTTP, but TLS is asked for'],
    ['EntryPoint: gateway pods in a namespace that is no name', () => entry({ gateway: sharedGateway({ pods: { namespace: 'Gateway System', podLabels: {} } }) }), 'EntryPoint test/Entry: gateway.pods.namespace: "Gateway System" is not a namespace name'],
    ['AppTier: one variable with two values in the main and an init container', () => tier({ env: [{ spec: BACKEND_ENV.logLevel, value: 'info' }], initCommands: [{ name: 'migrate', command: ['true'], env: [{ spec: MIGRATE_ENV.logLevel, value: 'debug' }] }] }), 'AppTier test/Tier: initCommands.0.env.LOG_LEVEL: is "debug" here and "info" in another container'],
    ['NetworkPolicySet: ANY_PORT towards a target stays explicit', () => new NetworkPolicySet(chart(), 'P').allowTo(tier(), Peers.anyAddress(), []), 'NetworkPolicySet test/P: allowTo(allow-backend).ports: name the ports'],
  ])('%s', (_title, build, message) => {
    expect(build).toThrow(PropsError);
    expect(build).toThrow(message);
  });
});

describe('defaults, as documented', () => {
  test('AppTier with only the required props: one pod, a ClusterIP Service on 80, ConfigMap <name>-config, no HPA, PDB, spread or pull secret', () => {
    const c = chart();
    tier({}, c);
    const objects = Testing.synth(c);
    const d = objects.find((o) => o.kind === 'Deployment')!;
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(d.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(d.spec.template.spec.imagePullSecrets).toBeUndefined();
    expect(d.spec.template.spec.priorityClassName).toBeUndefined();
    const svc = objects.find((o) => o.kind === 'Service')!;
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 80, targetPort: BACKEND.port }] });
    expect(objects.find((o) => o.kind === 'ConfigMap')!.metadata.name).toBe('api-config');
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Service', 'ServiceAccount']);
  });

  test('zone spreading is DoNotSchedule when asked (a hard spread), ScheduleAnyway otherwise', () => {
    const zone = (zoneSpread: 'ScheduleAnyway' | 'DoNotSchedule') => {
      const c = chart();
      tier({ replicas: 3, scheduling: { nodeSelector: {}, tolerations: [], antiAffinity: 'preferred', zoneSpread } }, c);
      const d = Testing.synth(c).find((o) => o.kind === 'Deployment')!;
      return d.spec.template.spec.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.whenUnsatisfiable]);
    };
    expect(zone('DoNotSchedule')).toEqual([['kubernetes.io/hostname', 'ScheduleAnyway'], ['topology.kubernetes.io/zone', 'DoNotSchedule']]);
    expect(zone('ScheduleAnyway')[1]).toEqual(['topology.kubernetes.io/zone', 'ScheduleAnyway']);
  });

  test('registry credentials and priority reach every pod', () => {
    const c = chart();
    tier({ imagePullSecret: 'registry', priorityClassName: 'todo-high' }, c);
    const spec = Testing.synth(c).find((o) => o.kind === 'Deployment')!.spec.template.spec;
    expect(spec.imagePullSecrets).toEqual([{ name: 'registry' }]);
    expect(spec.priorityClassName).toBe('todo-high');
  });

  test('NetworkPolicySet wiring: connect() writes both sides on the target\'s port; DNS and default deny always', () => {
    const c = chart();
    const p = new NetworkPolicySet(c, 'P');
    p.connect({ policyName: 'allow-a', selector: { app: 'a' } }, { policyName: 'allow-b', selector: { app: 'b' }, port: 8080 });
    const byName = new Map(Testing.synth(c).map((o) => [o.metadata.name, o.spec]));
    expect([...byName.keys()].sort()).toEqual(['allow-a', 'allow-b', 'allow-dns', 'default-deny']);
    expect(byName.get('allow-a').egress).toEqual([{ to: [{ podSelector: { matchLabels: { app: 'b' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }]);
    expect(byName.get('allow-b').ingress).toEqual([{ from: [{ podSelector: { matchLabels: { app: 'a' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }]);
    expect(byName.get('allow-dns').egress[0].to).toEqual([{ podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }]);
  });
});

describe('the entry point', () => {
  const find = (objects: any[], kind: string, name?: string) => objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

  test('a shared Gateway with TLS: an HTTPRoute on its listener, a Certificate and the ReferenceGrant for its Secret, all in their stored form', () => {
    const objects = entry({ gateway: sharedGateway() });
    expect(find(objects, 'HTTPRoute').spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateway-system', sectionName: 'https-todo' }],
      hostnames: ['todo.example.com'],
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ group: '', kind: 'Service', name: 'api', port: 80, weight: 1 }] },
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ group: '', kind: 'Service', name: 'web', port: 80, weight: 1 }] },
      ],
    });
    expect(find(objects, 'Certificate').spec).toEqual({ secretName: 'todo-tls', dnsNames: ['todo.example.com'], issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt' } });
    expect(find(objects, 'ReferenceGrant').spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'gateway-system' }],
      to: [{ group: '', kind: 'Secret', name: 'todo-tls' }],
    });
    expect(find(objects, 'Gateway')).toBeUndefined();
  });

  test('TLS without an issuer: the ReferenceGrant, no Certificate (the Secret comes from elsewhere); no TLS: neither', () => {
    const noIssuer = entry({ gateway: sharedGateway({ tls: { secretName: 'todo-tls' } }) });
    expect(find(noIssuer, 'Certificate')).toBeUndefined();
    expect(find(noIssuer, 'ReferenceGrant')).toBeDefined();
    const plain = entry({ gateway: sharedGateway({ tls: undefined, shared: { name: 'public', namespace: 'gateway-system', listener: 'http', protocol: 'HTTP' } }) });
    expect(plain.filter((o) => ['Certificate', 'ReferenceGrant'].includes(o.kind))).toEqual([]);
  });

  test('the HTTP-01 solver pods are admitted from the gateway pods on 8089, only where cert-manager issues', () => {
    const solver = (objects: any[]) => find(objects, 'NetworkPolicy', 'allow-acme-http01-solver');
    const policy = solver(entry({ gateway: sharedGateway() }));
    expect(policy.spec.podSelector).toEqual({ matchLabels: { 'acme.cert-manager.io/http01-solver': 'true' } });
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-system' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } } }],
        ports: [{ port: 8089, protocol: 'TCP' }],
      },
    ]);
    expect(policy.spec.egress).toBeUndefined();
    expect([...policy.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    expect(solver(entry({ gateway: sharedGateway({ tls: { secretName: 'todo-tls' } }) }))).toBeUndefined();
  });

  test("a Gateway of the application's own with TLS: an HTTPS listener per host with the issuer's annotation, the route on them, HTTP redirected", () => {
    const objects = entry({ gateway: sharedGateway({ shared: undefined, own: { className: 'eg', name: 'todo' }, hosts: ['a.example.com', 'b.example.com'] }) });
    const gw = find(objects, 'Gateway');
    expect(gw.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(gw.spec.gatewayClassName).toBe('eg');
    expect(gw.spec.listeners.map((l: any) => [l.name, l.port, l.protocol, l.hostname, l.tls?.certificateRefs[0].name])).toEqual([
      ['http', 80, 'HTTP', undefined, undefined],
      ['https-0', 443, 'HTTPS', 'a.example.com', 'todo-tls'],
      ['https-1', 443, 'HTTPS', 'b.example.com', 'todo-tls'],
    ]);
    expect(find(objects, 'HTTPRoute', 'todo').spec.parentRefs.map((r: any) => r.sectionName)).toEqual(['https-0', 'https-1']);
    const redirect = find(objects, 'HTTPRoute', 'todo-https-redirect').spec;
    expect(redirect.parentRefs.map((r: any) => r.sectionName)).toEqual(['http']);
    expect(redirect.rules[0].filters).toEqual([{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }]);
    expect(objects.filter((o) => ['Certificate', 'ReferenceGrant'].includes(o.kind))).toEqual([]); // the gateway-shim makes the Certificate
  });
});

describe('monitoring', () => {
  const build = (discovery: 'serviceMonitor' | 'annotations') => {
    const c = chart();
    const backend = tier({}, c);
    const frontend = tier({ contract: FRONTEND, name: 'web' }, c, 'Web');
    const m = new Monitoring(c, 'Monitoring', { tiers: [backend, frontend], monitoring: { scraper: { namespace: 'monitoring', podLabels: { app: 'prometheus' } }, discovery } });
    m.admit(new NetworkPolicySet(c, 'P'));
    return Testing.synth(c);
  };

  test('the scraper is admitted to the metrics port of the tiers that serve metrics, and nowhere else', () => {
    const objects = build('serviceMonitor');
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && o.spec.ingress);
    expect(policies.map((p) => [p.metadata.name, p.spec.ingress])).toEqual([
      ['allow-backend', [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { app: 'prometheus' } } }], ports: [{ port: BACKEND.port, protocol: 'TCP' }] }]],
    ]);
  });

  test('serviceMonitor: a ServiceMonitor of the backend Service, no annotation; annotations: the prometheus.io annotations, no ServiceMonitor', () => {
    const sm = build('serviceMonitor');
    expect(sm.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.spec)).toEqual([
      { selector: { matchLabels: { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/component': 'backend' } }, endpoints: [{ port: 'http', path: BACKEND.metricsPath, scheme: 'http' }] },
    ]);
    const annotations = (objects: any[]) => objects.filter((o) => o.kind === 'Deployment').map((d) => [d.metadata.name, Object.keys(d.spec.template.metadata.annotations ?? {}).filter((k) => k.startsWith('prometheus.io/'))]);
    expect(annotations(sm)).toEqual([['api', []], ['web', []]]);
    const an = build('annotations');
    expect(an.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    expect(annotations(an)).toEqual([['api', ['prometheus.io/path', 'prometheus.io/port', 'prometheus.io/scrape']], ['web', []]]);
  });
});

describe('init containers', () => {
  test('an init container with its own env gets only that (values in the tier\'s ConfigMap), without one the main container\'s', () => {
    const c = chart();
    tier(
      {
        env: [{ spec: BACKEND_ENV.logLevel, value: 'info' }, { spec: BACKEND_ENV.jwtSecret, secretName: 's', secretKey: 'jwt-secret' }],
        initCommands: [
          { name: 'migrate', command: ['node', 'dist/migrate.js'], env: [{ spec: MIGRATE_ENV.logLevel, value: 'info' }, { spec: MIGRATE_ENV.lockTimeoutSeconds, value: '30' }] },
          { name: 'same', command: ['true'] },
        ],
      },
      c,
    );
    const objects = Testing.synth(c);
    const [migrate, same] = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.initContainers;
    expect(migrate.env.map((e: any) => e.name)).toEqual(['LOG_LEVEL', 'MIGRATION_LOCK_TIMEOUT_SECONDS']);
    expect(same.env.map((e: any) => e.name)).toEqual(['LOG_LEVEL', 'JWT_SECRET']);
    expect(objects.find((o) => o.kind === 'ConfigMap')!.data).toEqual({ LOG_LEVEL: 'info', MIGRATION_LOCK_TIMEOUT_SECONDS: '30' });
  });
});

test('NetworkPolicySet: ANY_PORT writes a rule without ports (all ports; no `ports: []` the API server would not store)', () => {
  const c = chart();
  new NetworkPolicySet(c, 'P').allowTo({ policyName: 'allow-a', selector: { app: 'a' } }, Peers.namespace('gw', { app: 'proxy' }), ANY_PORT).allowTo({ policyName: 'allow-a', selector: { app: 'a' } }, Peers.anyAddress(), [tcp(443)]);
  const egress = Testing.synth(c).find((o) => o.metadata.name === 'allow-a')!.spec.egress;
  expect(egress[0]).toEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gw' } }, podSelector: { matchLabels: { app: 'proxy' } } }] });
  expect(egress.slice(1).map((r: any) => r.ports)).toEqual([[{ port: 443, protocol: 'TCP' }], [{ port: 443, protocol: 'TCP' }]]);
});

describe('documentation', () => {
  // Every exported *Props interface of charts/constructs/: each prop has a doc comment; each optional prop a @default.
  const dir = path.join(__dirname, '..', 'charts', 'constructs');
  const props: { file: string; iface: string; prop: string; doc: string; optional: boolean }[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const sf = ts.createSourceFile(file, fs.readFileSync(path.join(dir, file), 'utf8'), ts.ScriptTarget.Latest, true);
    sf.forEachChild((n) => {
      if (!ts.isInterfaceDeclaration(n) || !/Props$/.test(n.name.text)) return;
      for (const m of n.members) {
        if (!ts.isPropertySignature(m)) continue;
        const doc = ts.getJSDocCommentsAndTags(m).map((d) => d.getText()).join('\n');
        props.push({ file, iface: n.name.text, prop: m.name.getText(), doc, optional: m.questionToken !== undefined });
      }
    });
  }

  test('there are props to check', () => expect(props.length).toBeGreaterThan(30));
  test.each(props.map((p) => [`${p.iface}.${p.prop}`, p] as const))('%s is documented, with its default when optional', (_name, p) => {
    expect(p.doc.replace(/@default[^\n]*/g, '').replace(/[/*\s]/g, '').length).toBeGreaterThan(10);
    if (p.optional) expect(p.doc).toMatch(/@default /);
  });
});

test('a construct error is not a configuration error: synth reports it with the construct path (it means a bug, not bad input)', () => {
  expect(() => tier({ pdb: { maxUnavailable: 1 } }, new Chart(new App(), 'c'))).toThrow('AppTier c/Tier: pdb:');
});
