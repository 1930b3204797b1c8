/**
 * The oracle of the cluster's NetworkPolicy table (netpol-policy.ts) and the table's derivation from
 * synthesized manifests (netpol.ts), without a cluster: a made-up cluster state stands in for
 * `kubectl get -o json`.
 */
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

describe('netpol: the table of dist/e2e', () => {
  const dist = synth('e2e').objects as K8sObject[];
  const ns = 'todo-e2e';
  const running = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
  let ip = 10;
  const livePod = (o: K8sObject, name: string) => ({
    kind: 'Pod',
    metadata: { name, namespace: o.metadata.namespace ?? ns, labels: o.spec.template.metadata.labels, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: o.spec.template.spec,
    status: { ...running, podIP: `10.244.0.${ip++}` },
  });
  const workloadPods = dist.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((w) => livePod(w, `${w.metadata.name}-0`));
  const coredns = { kind: 'Pod', metadata: { name: 'coredns-0', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, spec: { containers: [{ ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53 }] }] }, status: { ...running, podIP: '10.244.0.2' } };
  const traefik = { kind: 'Pod', metadata: { name: 'traefik-0', namespace: 'ingress-nginx', labels: { app: 'traefik' } }, spec: { containers: [{ ports: [{ name: 'web', containerPort: 80 }] }] }, status: { ...running, podIP: '10.244.0.3' } };
  const namespaces = ['kube-system', 'ingress-nginx', ns].map((n) => ({ kind: 'Namespace', metadata: { name: n, labels: { 'kubernetes.io/metadata.name': n } } }));
  const services = [
    { kind: 'Service', metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10', selector: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP', targetPort: 53 }, { port: 53, protocol: 'TCP', targetPort: 53 }] } },
    { kind: 'Service', metadata: { name: 'traefik', namespace: 'ingress-nginx' }, spec: { clusterIP: '10.96.0.50', externalIPs: ['10.200.0.1'], selector: { app: 'traefik' }, ports: [{ port: 80, targetPort: 'web' }] } },
    ...dist.filter((o) => o.kind === 'Service'),
  ];
  const ingress = { ...dist.find((o) => o.kind === 'Ingress')!, status: { loadBalancer: { ingress: [{ ip: '10.200.0.1' }] } } };
  const before = [...namespaces, ...services, ingress, ...workloadPods, coredns, traefik] as any[];

  const sources = sourcesOf(dist as any, before);
  const probePods = probeManifests(sources, before, 'todo-backend:x', 'todo.test/hello:1');
  const after = [
    ...before,
    ...probePods.filter((o) => o.kind === 'Namespace'),
    ...probePods.filter((o) => o.kind === 'Pod').map((p) => ({ ...p, status: { phase: 'Running', podIP: `10.244.1.${ip++}` } })),
  ];
  const table = plan(dist as any, after);
  const cell = (source: string, destination: string) => table.cells.find((c) => c.source === source && c.destination === destination);

  it('derives its sources from the workloads and the ingress peers of the policies', () => {
    expect(table.sources.map((s) => s.id)).toEqual(['todo-backend', 'todo-frontend', 'todo-postgres', 'peer-ingress-nginx', 'peer-smoke-test', 'stranger', 'outsider-smoke-test', 'outsider-backend']);
    expect(table.sources.find((s) => s.id === 'peer-ingress-nginx')!.namespace).toBe('ingress-nginx');
    expect(table.sources.find((s) => s.id === 'outsider-backend')!.namespace).toBe(OUTSIDER_NS);
    expect(table.destinations.map((d) => d.id)).toEqual(['todo-backend-80', 'todo-frontend-80', 'todo-postgres-5432', 'dns-udp', 'dns-tcp', 'entry-80', 'elsewhere-8080']);
  });

  it('probe pods are never Ready (a readiness gate) and restricted', () => {
    const p = probePods.find((o) => o.kind === 'Pod' && o.metadata.name === 'netpol-peer-smoke-test')!;
    expect(p.spec.readinessGates).toEqual([{ conditionType: 'netpol.todo.test/never' }]);
    expect(p.spec.securityContext.runAsNonRoot).toBe(true);
    expect(p.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'smoke-test', 'app.kubernetes.io/instance': 'todo-e2e' });
    expect(probePods.find((o) => o.kind === 'Namespace')!.metadata.name).toBe(OUTSIDER_NS);
  });

  it.each([
    ['peer-ingress-nginx', 'todo-backend-80', true],
    ['peer-ingress-nginx', 'todo-frontend-80', true],
    ['peer-ingress-nginx', 'todo-postgres-5432', false],
    ['todo-backend', 'todo-postgres-5432', true],
    ['todo-frontend', 'todo-postgres-5432', false],
    ['todo-frontend', 'todo-backend-80', false], // e2e's Ingress routes /api; the frontend does not proxy it
    ['outsider-backend', 'todo-postgres-5432', false],
    ['outsider-smoke-test', 'todo-backend-80', false],
    ['peer-smoke-test', 'todo-backend-80', true],
    ['peer-smoke-test', 'entry-80', true],
    ['peer-smoke-test', 'elsewhere-8080', false],
    ['todo-backend', 'entry-80', false],
    ['todo-backend', 'elsewhere-8080', false],
    ['stranger', 'todo-backend-80', false],
    ['stranger', 'dns-udp', true],
    ['todo-postgres', 'dns-tcp', true],
    ['todo-postgres', 'todo-postgres-5432', true], // its own address
  ])('%s -> %s: allowed %s', (source, destination, allowed) => {
    expect(cell(source, destination)?.allowed).toBe(allowed);
  });

  it('follows the entry point to another namespace (a Gateway in traefik) without a line of its own', () => {
    const moved = dist.map((o) =>
      o.kind === 'NetworkPolicy'
        ? JSON.parse(JSON.stringify(o).replaceAll('"kubernetes.io/metadata.name":"ingress-nginx"', '"kubernetes.io/metadata.name":"traefik"'))
        : o,
    );
    const s = sourcesOf(moved as any, before);
    expect(s.find((x) => x.id === 'peer-traefik')?.namespace).toBe('traefik');
    expect(probeManifests(s, before, 'i', 'j').some((o) => o.kind === 'Namespace' && o.metadata.name === 'traefik')).toBe(true);
  });

  it('adds the metrics endpoints production advertises', () => {
    const prod = synth('production').objects as K8sObject[];
    const pods = prod.filter((o) => o.kind === 'Deployment').map((w) => livePod(w, `${w.metadata.name}-0`));
    const nsp = prod.find((o) => o.kind === 'Namespace')!.metadata.name;
    const cluster = [...namespaces, { kind: 'Namespace', metadata: { name: nsp } }, ...pods] as any[];
    const { destinations } = destinationsOf(prod as any, cluster);
    expect(destinations.find((d) => d.path === '/metrics')).toMatchObject({ kind: 'http', port: 3000, status: 200, direct: true });
  });
});
