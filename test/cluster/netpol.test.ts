/**
 * The oracle of the cluster's NetworkPolicy table (netpol-policy.ts) and the table's derivation from
 * synthesized manifests (netpol.ts), without a cluster: a made-up cluster state stands in for
 * `kubectl get -o json`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { synth, type K8sObject } from '../helpers';
import { admits, selects, type NetworkPolicy } from './netpol-policy';
import { destinationsOf, OUTSIDER_NS, plan, probeManifests, sourcesOf } from './netpol';

const pol = (name: string, namespace: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({ metadata: { name, namespace }, spec });
const pod = (namespace: string, labels: Record<string, string>, ip: string) => ({ namespace, labels, ip });
const noNs = new Map<string, Record<string, string>>();

describe('netpol-policy: the NetworkPolicy v1 rules', () => {
  const web = pod('app', { tier: 'web' }, '10.0.0.2');
  const db = pod('app', { tier: 'db' }, '10.0.0.3');
  const other = pod('other', { tier: 'web' }, '10.0.1.2');

  it('admits everything where no policy selects either side', () => {
    expect(admits([], noNs, web, db, 5432).allowed).toBe(true);
  });

  it('a default deny isolates both directions; a pair of rules opens exactly one port', () => {
    const policies = [
      pol('deny', 'app', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      pol('web', 'app', { podSelector: { matchLabels: { tier: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { tier: 'db' } } }], ports: [{ port: 5432 }] }] }),
      pol('db', 'app', { podSelector: { matchLabels: { tier: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'web' } } }], ports: [{ port: 5432 }] }] }),
    ];
    expect(admits(policies, noNs, web, db, 5432)).toEqual({ allowed: true, why: 'egress: web; ingress: db' });
    expect(admits(policies, noNs, web, db, 5433).allowed).toBe(false);
    expect(admits(policies, noNs, web, db, 5432, 'UDP').allowed).toBe(false);
    expect(admits(policies, noNs, db, web, 5432).why).toBe('no rule in the egress of deny admits it');
    // the right labels in another namespace: a podSelector alone means the policy's own namespace
    expect(admits(policies, noNs, other, db, 5432).allowed).toBe(false);
  });

  it('an egress allowance alone is not enough when the destination isolates its ingress', () => {
    const policies = [pol('deny-in', 'app', { podSelector: {}, policyTypes: ['Ingress'] }), pol('out', 'app', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] })];
    expect(admits(policies, noNs, web, db, 80)).toEqual({ allowed: false, why: 'no rule in the ingress of deny-in admits it' });
  });

  it('namespace selectors match the namespaces\' labels (kubernetes.io/metadata.name when unknown)', () => {
    const policies = [pol('in', 'app', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchLabels: { tier: 'web' } } }] }] })];
    const nsLabels = new Map([['other', { 'kubernetes.io/metadata.name': 'other', team: 'ops' }]]);
    expect(admits(policies, nsLabels, other, db, 80).allowed).toBe(true);
    expect(admits(policies, noNs, other, db, 80).allowed).toBe(false);
    expect(admits(policies, nsLabels, pod('other', { tier: 'x' }, '10.0.1.3'), db, 80).allowed).toBe(false);
    const byName = [pol('in', 'app', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }] }] })];
    expect(admits(byName, noNs, other, db, 80).allowed).toBe(true);
  });

  it('ipBlock with except, endPort and named ports', () => {
    const policies = [
      pol('out', 'app', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24'] } }], ports: [{ port: 8000, endPort: 8080 }, { port: 'pg' }] }] }),
    ];
    const named = { ...db, ports: [{ name: 'pg', containerPort: 5432 }] };
    expect(admits(policies, noNs, web, named, 8080).allowed).toBe(true);
    expect(admits(policies, noNs, web, named, 8081).allowed).toBe(false);
    expect(admits(policies, noNs, web, named, 5432).allowed).toBe(true);
    expect(admits(policies, noNs, web, db, 5432).allowed).toBe(false); // no port named pg there
    expect(admits(policies, noNs, web, other, 8080).allowed).toBe(false); // in the except range
    expect(admits(policies, noNs, web, { ip: '192.0.2.1' }, 8080).allowed).toBe(false);
  });

  it('matchExpressions', () => {
    const l = { a: '1', b: '2' };
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }, l)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, l)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, l)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, l)).toBe(false);
  });
});


/**
 * A made-up cluster in the shape test/cluster/ runs after e2e.sh: CoreDNS and Traefik's Gateway from
 * their add-on manifests (coredns/coredns.yaml, addons/traefik-gateway.yaml), the e2e listener e2e.sh
 * adds to the shared Gateway, the Gateway's address in its status (Traefik publishes its Service's
 * ClusterIP), the environment's workloads with one Ready pod each, its Services and its HTTPRoute.
 * No Prometheus runs there: a probe pod stands in for it, in the namespace the probe manifests create.
 */
const addon = (file: string) =>
  parseAllDocuments(fs.readFileSync(path.join(__dirname, file), 'utf8'))
    .map((d) => d.toJS())
    .filter((o) => o?.kind) as K8sObject[];
const READY = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };

function clusterOf(dist: K8sObject[], platform: K8sObject[]) {
  let ip = 10;
  const ns = dist.find((o) => o.kind === 'Namespace')!.metadata.name;
  const livePod = (w: K8sObject) => ({
    kind: 'Pod',
    metadata: { name: `${w.metadata.name}-0`, namespace: w.metadata.namespace ?? ns, labels: w.spec.template.metadata.labels, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: w.spec.template.spec,
    status: { ...READY, podIP: `10.244.0.${ip++}` },
  });
  const workloads = (objs: K8sObject[]) => objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  const route = dist.find((o) => o.kind === 'HTTPRoute')!;
  const parent = route.spec.parentRefs[0];
  const gateways = platform
    .filter((o) => o.kind === 'Gateway')
    .map((g) => {
      if (g.metadata.name !== parent.name || g.metadata.namespace !== parent.namespace) return g;
      // e2e.sh's listener for the environment's host, and the address Traefik publishes (--providers.kubernetesGateway.statusAddress.ip)
      const traefik = platform.find((o) => o.kind === 'Deployment' && o.metadata.namespace === g.metadata.namespace)!;
      const address = /statusAddress\.ip=(\S+)/.exec(traefik.spec.template.spec.containers[0].args.join(' '))![1];
      const listener = { name: parent.sectionName, hostname: route.spec.hostnames[0], port: 443, protocol: 'HTTPS', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } } };
      return { ...g, spec: { ...g.spec, listeners: [...g.spec.listeners, listener] }, status: { addresses: [{ type: 'IPAddress', value: address }] } };
    });
  const namespaces = ['kube-system', ...platform.filter((o) => o.kind === 'Namespace').map((n) => n.metadata.name), ns].map((n) => ({ kind: 'Namespace', metadata: { name: n, labels: { 'kubernetes.io/metadata.name': n } } }));
  const liveRoute = { ...route, status: { parents: [{ parentRef: parent, controllerName: 'traefik.io/gateway-controller', conditions: [{ type: 'Accepted', status: 'True' }] }] } };
  return [
    ...namespaces,
    ...platform.filter((o) => o.kind === 'Service' || o.kind === 'HTTPRoute'),
    ...gateways,
    ...workloads(platform).map(livePod),
    ...dist.filter((o) => o.kind === 'Service'),
    liveRoute,
    ...workloads(dist).map(livePod),
  ] as any[];
}

/** The table as netpol.sh derives it: sources, then the probe pods (Running, never Ready), then the plan. */
function tableOf(dist: K8sObject[], before: any[]) {
  const sources = sourcesOf(dist as any, before);
  const probePods = probeManifests(sources, before, 'todo-backend:x', 'todo.test/hello:1');
  let ip = 10;
  const after = [
    ...before,
    // the API server labels every namespace with its name (namespaceSelectors match it)
    ...probePods.filter((o) => o.kind === 'Namespace').map((n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, 'kubernetes.io/metadata.name': n.metadata.name } } })),
    ...probePods.filter((o) => o.kind === 'Pod').map((p) => ({ ...p, status: { phase: 'Running', podIP: `10.244.1.${ip++}` } })),
  ];
  const table = plan(dist as any, after);
  const cell = (source: string, destination: string) => table.cells.find((c) => c.source === source && c.destination === destination);
  return { sources, probePods, table, cell };
}

const platform = [...addon('coredns/coredns.yaml'), ...addon('addons/traefik-gateway.yaml')];

describe('netpol: the table of dist/e2e', () => {
  const dist = synth('e2e').objects as K8sObject[];
  const before = clusterOf(dist, platform);
  const { probePods, table, cell } = tableOf(dist, before);

  it('derives its sources from the workloads and the ingress peers of the policies', () => {
    expect(table.sources.map((s) => s.id)).toEqual([
      'todo-backend', 'todo-frontend', 'todo-postgres',
      'peer-traefik-traefik', 'peer-smoke-test', 'peer-monitoring-prometheus',
      'stranger', 'unlabelled-traefik', 'outsider-smoke-test', 'unlabelled-monitoring', 'outsider-backend',
    ]);
    const where = (id: string) => table.sources.find((s) => s.id === id)!;
    expect(where('peer-traefik-traefik')).toMatchObject({ namespace: 'traefik', labels: { app: 'traefik' } });
    expect(where('peer-monitoring-prometheus')).toMatchObject({ namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } });
    expect(where('unlabelled-traefik').labels).not.toHaveProperty('app');
    expect(where('outsider-backend').namespace).toBe(OUTSIDER_NS);
    expect(table.destinations.map((d) => d.id)).toEqual(['todo-backend-80', 'todo-frontend-80', 'todo-postgres-5432', 'todo-backend-metrics', 'dns-udp', 'dns-tcp', 'entry-80', 'elsewhere-8080']);
  });

  it('finds the entry point through the HTTPRoute\'s Gateway: its address and the Gateway\'s pods behind it', () => {
    const traefik = before.find((o) => o.kind === 'Pod' && o.metadata.namespace === 'traefik')!;
    const entry = table.destinations.find((d) => d.id === 'entry-80')!;
    expect(entry).toMatchObject({ kind: 'http', host: '10.96.0.80', port: 80, vhost: 'todo-e2e.gateway.test' });
    expect(entry.label).toContain('Gateway traefik/gateway');
    expect(entry.targets).toEqual([{ endpoint: expect.objectContaining({ namespace: 'traefik', ip: traefik.status.podIP }), port: 80 }]);
    // the backend's metrics, from its prometheus.io annotations: the pod's own address
    expect(table.destinations.find((d) => d.id === 'todo-backend-metrics')).toMatchObject({ path: '/metrics', port: 3000, direct: true });
  });

  it('probe pods are never Ready (a readiness gate) and restricted; the namespaces the cluster lacks are created', () => {
    const p = probePods.find((o) => o.kind === 'Pod' && o.metadata.name === 'netpol-peer-smoke-test')!;
    expect(p.spec.readinessGates).toEqual([{ conditionType: 'netpol.todo.test/never' }]);
    expect(p.spec.securityContext.runAsNonRoot).toBe(true);
    expect(p.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'smoke-test', 'app.kubernetes.io/instance': 'todo-e2e' });
    expect(probePods.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).sort()).toEqual(['monitoring', OUTSIDER_NS]);
  });

  // Each row is a property of dist/e2e's policies (charts/constructs: NetworkPolicySet, EntryPoint, Monitoring).
  it.each([
    // allow-backend / allow-frontend: the Gateway's pods (traefik, app=traefik) on each tier's port; allow-postgres: the backend only
    ['peer-traefik-traefik', 'todo-backend-80', true],
    ['peer-traefik-traefik', 'todo-frontend-80', true],
    ['peer-traefik-traefik', 'todo-postgres-5432', false],
    ['unlabelled-traefik', 'todo-backend-80', false], // the podSelector app=traefik
    ['unlabelled-traefik', 'todo-frontend-80', false],
    // allow-backend: the scraper (monitoring, name=prometheus) on the metrics port, which is the backend's one port (3000)
    ['peer-monitoring-prometheus', 'todo-backend-metrics', true],
    ['peer-monitoring-prometheus', 'todo-backend-80', true],
    ['peer-monitoring-prometheus', 'todo-frontend-80', false], // the frontend serves no metrics: allow-frontend does not name the scraper
    ['peer-monitoring-prometheus', 'todo-postgres-5432', false],
    ['unlabelled-monitoring', 'todo-backend-metrics', false],
    ['unlabelled-monitoring', 'todo-backend-80', false],
    // the backend reaches PostgreSQL and nothing else but DNS; the frontend neither (the route sends /api to the backend)
    ['todo-backend', 'todo-postgres-5432', true],
    ['todo-backend', 'entry-80', false],
    ['todo-backend', 'elsewhere-8080', false],
    ['todo-frontend', 'todo-postgres-5432', false],
    ['todo-frontend', 'todo-backend-80', false],
    ['todo-frontend', 'todo-backend-metrics', false],
    // the right labels in the wrong namespace, the wrong labels in the right one
    ['outsider-backend', 'todo-postgres-5432', false],
    ['outsider-backend', 'todo-backend-80', false],
    ['outsider-smoke-test', 'todo-backend-80', false],
    ['stranger', 'todo-backend-80', false],
    ['stranger', 'todo-postgres-5432', false],
    ['stranger', 'entry-80', false],
    // allow-dns: every pod of the namespace to CoreDNS, UDP and TCP
    ['stranger', 'dns-udp', true],
    ['todo-postgres', 'dns-tcp', true],
    ['todo-backend', 'dns-udp', true],
    // allow-smoke-test: both tiers on their ports, the Gateway's pods (any port), 80/443 anywhere; nothing else
    ['peer-smoke-test', 'todo-backend-80', true],
    ['peer-smoke-test', 'todo-frontend-80', true],
    ['peer-smoke-test', 'entry-80', true],
    ['peer-smoke-test', 'todo-postgres-5432', false],
    ['peer-smoke-test', 'elsewhere-8080', false],
    ['todo-postgres', 'todo-postgres-5432', true], // its own address
  ])('%s -> %s: allowed %s', (source, destination, allowed) => {
    expect(cell(source, destination)?.allowed).toBe(allowed);
  });

  it('takes its verdicts from the policies: the scraper admitted on another port is kept out of the metrics', () => {
    const moved = dist.map((o) =>
      o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-backend'
        ? { ...o, spec: { ...o.spec, ingress: o.spec.ingress.map((r: any) => (JSON.stringify(r.from).includes('prometheus') ? { ...r, ports: [{ port: 9090, protocol: 'TCP' }] } : r)) } }
        : o,
    );
    const t = tableOf(moved, before);
    expect(t.cell('peer-monitoring-prometheus', 'todo-backend-metrics')?.allowed).toBe(false);
    expect(t.cell('peer-monitoring-prometheus', 'todo-backend-80')?.allowed).toBe(false);
    expect(t.cell('peer-traefik-traefik', 'todo-backend-80')?.allowed).toBe(true);
  });

  it('follows the Gateway to another namespace and other pod labels without a line of its own', () => {
    // the platform's Gateway gateway-system/public, its pods labelled as the Gateway API names them (staging's and production's shape)
    const label = { 'gateway.networking.k8s.io/gateway-name': 'public' };
    const move = <T>(objs: T[]): T[] =>
      JSON.parse(
        JSON.stringify(objs)
          .replaceAll('"kubernetes.io/metadata.name":"traefik"', '"kubernetes.io/metadata.name":"gateway-system"')
          .replaceAll('"namespace":"traefik"', '"namespace":"gateway-system"')
          .replaceAll('"app":"traefik"', JSON.stringify(label).slice(1, -1))
          .replaceAll('"name":"gateway"', '"name":"public"')
          .replaceAll('"name":"traefik","labels"', '"name":"gateway-system","labels"'),
      );
    const movedDist = move(dist);
    const movedPlatform = move(platform);
    expect(JSON.stringify([movedDist, movedPlatform])).not.toMatch(/"(namespace|kubernetes\.io\/metadata\.name)":"traefik"/);
    const t = tableOf(movedDist, clusterOf(movedDist, movedPlatform));
    const ids = t.table.sources.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['peer-gateway-system', 'unlabelled-gateway-system']));
    expect(ids.some((id) => id.includes('traefik'))).toBe(false);
    expect(t.table.sources.find((s) => s.id === 'peer-gateway-system')).toMatchObject({ namespace: 'gateway-system', labels: label });
    expect(t.table.destinations.find((d) => d.id === 'entry-80')).toMatchObject({ label: expect.stringContaining('Gateway gateway-system/public'), targets: [expect.objectContaining({ endpoint: expect.objectContaining({ namespace: 'gateway-system' }) })] });
    expect(t.cell('peer-gateway-system', 'todo-backend-80')?.allowed).toBe(true);
    expect(t.cell('unlabelled-gateway-system', 'todo-backend-80')?.allowed).toBe(false);
    expect(t.cell('peer-smoke-test', 'entry-80')?.allowed).toBe(true);
    expect(t.cell('todo-backend', 'entry-80')?.allowed).toBe(false);
  });

  it('adds the metrics endpoints production advertises (its ServiceMonitor: the backend Service\'s named port)', () => {
    const prod = synth('production').objects as K8sObject[];
    const nsp = prod.find((o) => o.kind === 'Namespace')!.metadata.name;
    const pods = prod
      .filter((o) => o.kind === 'Deployment')
      .map((w, i) => ({ kind: 'Pod', metadata: { name: `${w.metadata.name}-0`, namespace: nsp, labels: w.spec.template.metadata.labels }, spec: w.spec.template.spec, status: { ...READY, podIP: `10.244.2.${i + 10}` } }));
    const cluster = [{ kind: 'Namespace', metadata: { name: nsp } }, ...pods] as any[];
    const { destinations } = destinationsOf(prod as any, cluster);
    const metrics = destinations.filter((d) => d.path === '/metrics');
    expect(metrics).toEqual([
      expect.objectContaining({ id: 'todo-backend-80-metrics', kind: 'http', host: `todo-backend.${nsp}.svc.cluster.local`, port: 80, status: 200, targets: [expect.objectContaining({ port: 3000 })] }),
    ]);
    expect(metrics[0].direct).toBeFalsy();
  });
});
