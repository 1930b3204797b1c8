/**
 * The NetworkPolicy table of test/cluster/netpol.sh, derived from the synthesized policies of one
 * environment (dist/<env>/) and the running cluster:
 *
 *   tsx test/cluster/netpol.ts pods  --dist dist/e2e --cluster cluster.json --probe-image IMG --server-image IMG > probes.yaml
 *     the throwaway probe pods (and namespaces) the table needs, as YAML for kubectl apply;
 *   tsx test/cluster/netpol.ts plan  --dist dist/e2e --cluster cluster.json --out plan.json > sources.txt
 *     the table: every source × every destination with the verdict the policies imply; prints one
 *     line per source for netpol.sh: `ID NAMESPACE POD CONTAINER PROBE...` (PROBE: netpol-probe.sh's);
 *   tsx test/cluster/netpol.ts judge --plan plan.json --results DIR
 *     compares each probe's outcome (DIR/ID.out) with the table; prints the table, one ok/FAIL line
 *     per source and `netpol-table: N passed, M failed` (one per cell).
 *
 * Sources: a running pod of every workload of the environment (kubectl exec); a probe pod for every
 * peer the policies name that is not a workload (same namespace: with the peer's labels; another
 * namespace: in it, with the peer's pod labels); and the pods the policies must keep out: one in the
 * environment's namespace with no matching labels, one in another namespace with the labels of each
 * same-namespace peer, and one without the labels in each peer namespace that names pod labels.
 * Destinations: every Service port of the environment (HTTP GET of the container's readiness path;
 * PostgreSQL's SSLRequest; else a TCP connect), every metrics endpoint the manifests advertise
 * (prometheus.io annotations, ServiceMonitor, PodMonitor), the cluster DNS over UDP and TCP, the
 * environment's public entry point (Ingress or Gateway address, port 80), and a server in another
 * namespace. An allowed cell needs a real answer; a denied one a dropped (or refused) connection,
 * and only counts where some source did get an answer from that destination.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { admits, selects, type Endpoint, type LabelSelector, type NetworkPolicy, type PolicyPeer } from './netpol-policy';

type Obj = { apiVersion?: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: any }; spec?: any; status?: any };

/** Label on every probe pod (its source id) and on the namespaces the suite creates. */
export const PROBE_LABEL = 'netpol.todo.test/probe';
export const CREATED_LABEL = 'netpol.todo.test/created';
/** The namespace of the pods that are "somewhere else": right labels, wrong namespace, and a server. */
export const OUTSIDER_NS = 'netpol-outsider';

export interface Source {
  id: string;
  /** What it is, for the table. */
  label: string;
  namespace: string;
  labels: Record<string, string>;
  /** Set for a running workload pod; otherwise a probe pod netpol-<id> is created. */
  pod?: string;
  container?: string;
}

export interface Destination {
  id: string;
  label: string;
  kind: 'http' | 'pg' | 'tcp' | 'dns-udp' | 'dns-tcp';
  host: string;
  port: number;
  path?: string;
  vhost?: string;
  protocol: 'TCP' | 'UDP';
  /** An answer only counts with this HTTP status (readiness and metrics paths: 200). */
  status?: number;
  /** The pods (or the address) the packets reach after the Service's translation, and the port there. */
  targets: { endpoint: Endpoint; port: number }[];
  /** HOST is the pods' own address (a headless Service, a pod IP): no Service translation on the way. */
  direct?: boolean;
}

export interface Cell {
  source: string;
  destination: string;
  allowed: boolean;
  why: string;
}

export interface Plan {
  namespace: string;
  sources: (Source & { ip: string; pod: string; container: string })[];
  destinations: Destination[];
  cells: Cell[];
  /** Destinations left out, and why. */
  notes: string[];
}

// --- reading ----------------------------------------------------------------------------------

export function readDist(dir: string): Obj[] {
  const out: Obj[] = [];
  const walk = (d: string) => {
    for (const f of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(f.name)) {
        for (const doc of parseAllDocuments(fs.readFileSync(p, 'utf8'))) {
          if (doc.errors.length) throw new Error(`${p}: ${doc.errors[0].message}`);
          const o = doc.toJS();
          if (o?.kind) out.push(o);
        }
      }
    }
  };
  walk(dir);
  return out;
}

const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const workloadsOf = (objs: Obj[]) => objs.filter((o) => TEMPLATE_KINDS.has(o.kind));
const running = (p: Obj) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;
const ready = (p: Obj) => running(p) && (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

/** The environment's namespace: the one its NetworkPolicies live in. */
export function envNamespace(dist: Obj[]): string {
  const ns = [...new Set(dist.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.namespace))];
  if (ns.length !== 1 || !ns[0]) throw new Error(`the manifests must hold NetworkPolicies of exactly one namespace (found: ${ns.join(', ') || 'none'})`);
  return ns[0];
}

/** Labels that a selector selects (matchLabels, plus a value for In and Exists). */
export function labelsFor(sel: LabelSelector | undefined): Record<string, string> {
  const l: Record<string, string> = { ...(sel?.matchLabels ?? {}) };
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') l[e.key] = e.values![0];
    else if (e.operator === 'Exists') l[e.key] = 'netpol';
  }
  return l;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);

/** Every peer (with a selector) that the ingress rules of the environment's policies admit, with the namespace it names. */
function ingressPeers(policies: NetworkPolicy[], ns: string, namespaces: Obj[]): { namespace: string; labels: Record<string, string>; podSelector?: LabelSelector; sameNs: boolean }[] {
  const out = new Map<string, { namespace: string; labels: Record<string, string>; podSelector?: LabelSelector; sameNs: boolean }>();
  for (const p of policies) {
    for (const r of p.spec.ingress ?? []) {
      for (const peer of (r.from ?? []) as PolicyPeer[]) {
        if (peer.ipBlock) continue;
        let namespace = ns;
        if (peer.namespaceSelector) {
          const byName = peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'];
          const existing = namespaces.find((n) => selects(peer.namespaceSelector, n.metadata.labels));
          namespace = byName ?? existing?.metadata.name ?? `netpol-peer-${slug(Object.values(labelsFor(peer.namespaceSelector)).join('-')) || 'any'}`;
        }
        const labels = labelsFor(peer.podSelector);
        const key = JSON.stringify([namespace, Object.entries(labels).sort()]);
        out.set(key, { namespace, labels, podSelector: peer.podSelector, sameNs: !peer.namespaceSelector });
      }
    }
  }
  return [...out.values()];
}

/**
 * The sources of the table (before any probe pod exists): workload pods are looked up in `cluster`.
 * Throws when a workload has no running pod.
 */
export function sourcesOf(dist: Obj[], cluster: Obj[]): Source[] {
  const ns = envNamespace(dist);
  const policies = dist.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicy[];
  const namespaces = cluster.filter((o) => o.kind === 'Namespace');
  const pods = cluster.filter((o) => o.kind === 'Pod');
  const sources: Source[] = [];
  const workloads = workloadsOf(dist);
  for (const w of workloads) {
    const sel: LabelSelector = w.spec.selector;
    const candidates = pods
      .filter((p) => p.metadata.namespace === ns && selects(sel, p.metadata.labels) && ready(p))
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
    const pod = candidates[0];
    if (!pod) throw new Error(`no Ready pod of ${w.kind} ${ns}/${w.metadata.name} (is the environment deployed?)`);
    const container = w.spec.template.spec.containers[0].name;
    sources.push({ id: slug(w.metadata.name), label: `${ns}/${w.metadata.name} (its pod ${pod.metadata.name})`, namespace: ns, labels: pod.metadata.labels ?? {}, pod: pod.metadata.name, container });
  }
  const isWorkload = (labels: Record<string, string>) => workloads.some((w) => selects({ matchLabels: labels }, w.spec.template.metadata?.labels));
  const peers = ingressPeers(policies, ns, namespaces);
  const add = (s: Source) => {
    if (!sources.some((x) => x.id === s.id)) sources.push(s);
  };
  const describe = (labels: Record<string, string>) =>
    Object.keys(labels).length ? Object.entries(labels).map(([k, v]) => `${k.replace(/^app\.kubernetes\.io\//, '')}=${v}`).join(',') : 'any labels';
  for (const p of peers) {
    const name = p.labels['app.kubernetes.io/component'] ?? p.labels['app.kubernetes.io/name'] ?? p.labels.app;
    if (p.sameNs) {
      if (!isWorkload(p.labels)) add({ id: `peer-${slug(name ?? describe(p.labels))}`, label: `${ns} pod with ${describe(p.labels)} (probe)`, namespace: ns, labels: p.labels });
    } else {
      add({ id: slug(`peer-${p.namespace}${name ? `-${name}` : ''}`), label: `${p.namespace} pod with ${describe(p.labels)} (probe)`, namespace: p.namespace, labels: p.labels });
    }
  }
  add({ id: 'stranger', label: `${ns} pod with none of the policies' labels (probe)`, namespace: ns, labels: {} });
  for (const p of peers) {
    if (p.sameNs && Object.keys(p.labels).length) {
      const name = p.labels['app.kubernetes.io/component'] ?? p.labels['app.kubernetes.io/name'] ?? p.labels.app ?? 'peer';
      add({ id: `outsider-${slug(name)}`, label: `${OUTSIDER_NS} pod with the labels of ${ns}'s ${name} (probe)`, namespace: OUTSIDER_NS, labels: p.labels });
    }
    if (!p.sameNs && Object.keys(p.labels).length) {
      add({ id: slug(`unlabelled-${p.namespace}`), label: `${p.namespace} pod without ${describe(p.labels)} (probe)`, namespace: p.namespace, labels: {} });
    }
  }
  return sources;
}

// --- probe pods -----------------------------------------------------------------------------------

/** The probe pods (never Ready: a readiness gate nobody sets keeps them out of every Service) and missing namespaces. */
export function probeManifests(sources: Source[], cluster: Obj[], probeImage: string, serverImage: string): Obj[] {
  const existing = new Set(cluster.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const objs: Obj[] = [];
  const probes = sources.filter((s) => !s.pod);
  for (const n of [...new Set([...probes.map((s) => s.namespace), OUTSIDER_NS])].filter((n) => !existing.has(n))) {
    objs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels: { [CREATED_LABEL]: 'true', 'pod-security.kubernetes.io/enforce': 'restricted' } } });
  }
  const securityContext = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  const podSecurity = { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } };
  for (const s of probes) {
    objs.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `netpol-${s.id}`, namespace: s.namespace, labels: { ...s.labels, [PROBE_LABEL]: s.id } },
      spec: {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 1,
        readinessGates: [{ conditionType: 'netpol.todo.test/never' }],
        securityContext: podSecurity,
        containers: [
          {
            name: 'probe',
            image: probeImage,
            imagePullPolicy: 'IfNotPresent',
            command: ['sleep', 'infinity'],
            resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '200m', memory: '64Mi' } },
            securityContext,
          },
        ],
      },
    });
  }
  // a server somewhere else (another namespace, no policy there): what the environment's pods must not reach
  objs.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'netpol-server', namespace: OUTSIDER_NS, labels: { [PROBE_LABEL]: 'server' } },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 1,
      securityContext: podSecurity,
      containers: [
        {
          name: 'server',
          image: serverImage,
          imagePullPolicy: 'Never',
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
          securityContext,
        },
      ],
    },
  });
  return objs;
}

// --- destinations -----------------------------------------------------------------------------------

const podEndpoint = (p: Obj): Endpoint => ({
  namespace: p.metadata.namespace,
  labels: p.metadata.labels ?? {},
  ip: p.status?.podIP,
  ports: (p.spec?.containers ?? []).flatMap((c: any) => c.ports ?? []),
});

/** The container port a Service port reaches on `pod` (targetPort by number or by name). */
function targetPortOn(svcPort: any, pod: Obj): number | undefined {
  const t = svcPort.targetPort ?? svcPort.port;
  if (typeof t === 'number') return t;
  return podEndpoint(pod).ports!.find((p) => p.name === t)?.containerPort;
}

/** How to get an answer from a container port: its readiness (or startup, liveness) HTTP path, PostgreSQL, or a bare connect. */
function probeKind(template: any, port: number): Pick<Destination, 'kind' | 'path' | 'status'> {
  for (const c of template?.spec?.containers ?? []) {
    const portDef = (c.ports ?? []).find((p: any) => p.containerPort === port);
    const owns = portDef || (c.ports ?? []).length === 0;
    if (!owns) continue;
    for (const probe of [c.readinessProbe, c.startupProbe, c.livenessProbe]) {
      const g = probe?.httpGet;
      if (g && (g.port === port || (portDef && g.port === portDef.name)) && (g.scheme ?? 'HTTP') === 'HTTP') return { kind: 'http', path: g.path ?? '/', status: 200 };
    }
    if (portDef && (/postgres/i.test(portDef.name ?? '') || port === 5432)) return { kind: 'pg' };
  }
  return { kind: 'tcp' };
}

/** Pods behind a Service address: by its EndpointSlices (their targetRefs), else by its selector. */
function podsBehind(svc: Obj, cluster: Obj[]): Obj[] {
  const pods = cluster.filter((o) => o.kind === 'Pod' && o.metadata.namespace === svc.metadata.namespace);
  const slices = cluster.filter((o) => o.kind === 'EndpointSlice' && o.metadata.namespace === svc.metadata.namespace && o.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name);
  const names = new Set(slices.flatMap((s: any) => (s.endpoints ?? []).filter((e: any) => e.conditions?.ready !== false).map((e: any) => e.targetRef?.name)));
  const bySlice = pods.filter((p) => names.has(p.metadata.name) && running(p));
  if (bySlice.length) return bySlice;
  return svc.spec?.selector ? pods.filter((p) => ready(p) && selects({ matchLabels: svc.spec.selector }, p.metadata.labels)) : [];
}

export function destinationsOf(dist: Obj[], cluster: Obj[]): { destinations: Destination[]; notes: string[] } {
  const ns = envNamespace(dist);
  const notes: string[] = [];
  const out: Destination[] = [];
  const live = (kind: string, name: string, namespace = ns) => cluster.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  const templateOf = (labels: Record<string, string>) => workloadsOf(dist).find((w) => selects(w.spec.selector, labels))?.spec.template;
  const add = (d: Destination) => {
    if (!d.targets.length) notes.push(`${d.label}: no pod behind it; left out`);
    else if (!out.some((x) => x.host === d.host && x.port === d.port && x.path === d.path && x.kind === d.kind)) out.push(d);
  };

  // every Service port of the environment, by the Service's DNS name
  for (const svc of dist.filter((o) => o.kind === 'Service')) {
    const liveSvc = live('Service', svc.metadata.name) ?? svc;
    const pods = podsBehind(liveSvc, cluster);
    for (const sp of svc.spec.ports ?? []) {
      const targets = pods.map((p) => ({ endpoint: podEndpoint(p), port: targetPortOn(sp, p)! })).filter((t) => t.port);
      const kind = probeKind(templateOf(pods[0]?.metadata.labels ?? {}), targets[0]?.port ?? -1);
      const direct = liveSvc.spec?.clusterIP === 'None';
      add({ id: slug(`${svc.metadata.name}-${sp.port}`), label: `${svc.metadata.name}:${sp.port}${kind.path ? ` ${kind.path}` : ''}`, host: `${svc.metadata.name}.${ns}.svc.cluster.local`, port: sp.port, protocol: sp.protocol ?? 'TCP', ...kind, targets, direct });
    }
  }

  // metrics endpoints the manifests advertise: prometheus.io annotations (on the pod), ServiceMonitor and PodMonitor
  for (const w of workloadsOf(dist)) {
    const a = w.spec.template.metadata?.annotations ?? {};
    if (a['prometheus.io/scrape'] !== 'true') continue;
    const pod = cluster.filter((o) => o.kind === 'Pod' && o.metadata.namespace === ns && selects(w.spec.selector, o.metadata.labels) && ready(o))[0];
    const port = Number(a['prometheus.io/port']);
    if (!pod || !port) {
      notes.push(`${w.metadata.name}: prometheus.io annotations without a Ready pod or a port; left out`);
      continue;
    }
    const metricsPath = a['prometheus.io/path'] ?? '/metrics';
    add({ id: slug(`${w.metadata.name}-metrics`), label: `${w.metadata.name} pod:${port} ${metricsPath}`, kind: 'http', host: pod.status.podIP, port, path: metricsPath, status: 200, protocol: 'TCP', targets: [{ endpoint: podEndpoint(pod), port }], direct: true });
  }
  for (const m of dist.filter((o) => o.kind === 'ServiceMonitor')) {
    const svcs = dist.filter((o) => o.kind === 'Service' && selects(m.spec.selector, o.metadata.labels));
    for (const svc of svcs) {
      const pods = podsBehind(live('Service', svc.metadata.name) ?? svc, cluster);
      for (const e of m.spec.endpoints ?? []) {
        const sp = (svc.spec.ports ?? []).find((p: any) => (e.port !== undefined && p.name === e.port) || (e.targetPort !== undefined && (p.targetPort === e.targetPort || p.port === e.targetPort)));
        if (!sp) continue;
        const metricsPath = e.path ?? '/metrics';
        const targets = pods.map((p) => ({ endpoint: podEndpoint(p), port: targetPortOn(sp, p)! })).filter((t) => t.port);
        add({ id: slug(`${svc.metadata.name}-${sp.port}-metrics`), label: `${svc.metadata.name}:${sp.port} ${metricsPath} (ServiceMonitor ${m.metadata.name})`, kind: 'http', host: `${svc.metadata.name}.${ns}.svc.cluster.local`, port: sp.port, path: metricsPath, status: 200, protocol: 'TCP', targets });
      }
    }
  }
  for (const m of dist.filter((o) => o.kind === 'PodMonitor')) {
    const pod = cluster.filter((o) => o.kind === 'Pod' && o.metadata.namespace === ns && selects(m.spec.selector, o.metadata.labels) && ready(o))[0];
    for (const e of m.spec.podMetricsEndpoints ?? []) {
      const port = pod ? podEndpoint(pod).ports!.find((p) => p.name === e.port)?.containerPort ?? Number(e.targetPort) : undefined;
      if (!pod || !port) continue;
      const metricsPath = e.path ?? '/metrics';
      add({ id: slug(`${pod.metadata.labels?.['app.kubernetes.io/name'] ?? m.metadata.name}-metrics`), label: `${m.metadata.name} pod:${port} ${metricsPath} (PodMonitor)`, kind: 'http', host: pod.status.podIP, port, path: metricsPath, status: 200, protocol: 'TCP', targets: [{ endpoint: podEndpoint(pod), port }], direct: true });
    }
  }

  // the cluster DNS, as the pods' resolver asks it
  const dns = cluster.find((o) => o.kind === 'Service' && o.metadata.namespace === 'kube-system' && o.metadata.name === 'kube-dns');
  if (dns) {
    const pods = podsBehind(dns, cluster);
    for (const protocol of ['UDP', 'TCP'] as const) {
      const sp = (dns.spec.ports ?? []).find((p: any) => (p.protocol ?? 'TCP') === protocol && p.port === 53);
      if (!sp) continue;
      const targets = pods.map((p) => ({ endpoint: podEndpoint(p), port: targetPortOn(sp, p)! }));
      add({
        id: `dns-${protocol.toLowerCase()}`,
        label: `DNS ${protocol}`,
        kind: protocol === 'UDP' ? 'dns-udp' : 'dns-tcp',
        host: protocol === 'UDP' ? 'kubernetes.default.svc.cluster.local' : dns.spec.clusterIP,
        port: 53,
        protocol,
        targets,
      });
    }
  } else notes.push('no Service kube-system/kube-dns: DNS left out');

  // the public entry point: the Ingress's address, or the Gateway's of an HTTPRoute, port 80
  const ing = cluster.find((o) => o.kind === 'Ingress' && o.metadata.namespace === ns);
  const route = cluster.find((o) => o.kind === 'HTTPRoute' && o.metadata.namespace === ns);
  let entry: { address: string; host?: string; what: string } | undefined;
  if (ing?.status?.loadBalancer?.ingress?.[0]?.ip) entry = { address: ing.status.loadBalancer.ingress[0].ip, host: ing.spec.rules?.[0]?.host, what: `Ingress ${ing.metadata.name}` };
  else if (route) {
    const ref = route.spec.parentRefs?.[0] ?? {};
    const gw = live('Gateway', ref.name, ref.namespace ?? ns);
    const address = gw?.status?.addresses?.[0]?.value;
    if (address) entry = { address, host: route.spec.hostnames?.[0], what: `Gateway ${gw!.metadata.namespace}/${gw!.metadata.name}` };
  }
  if (entry) {
    const e = entry;
    const svc = cluster.find((o) => o.kind === 'Service' && (o.spec?.clusterIP === e.address || (o.spec?.externalIPs ?? []).includes(e.address) || (o.status?.loadBalancer?.ingress ?? []).some((i: any) => i.ip === e.address)));
    const sp = (svc?.spec?.ports ?? []).find((p: any) => p.port === 80);
    const targets = svc && sp ? podsBehind(svc, cluster).map((p) => ({ endpoint: podEndpoint(p), port: targetPortOn(sp, p)! })) : [];
    add({ id: 'entry-80', label: `the entry point ${e.address}:80 (${e.what}${e.host ? `, Host ${e.host}` : ''})`, kind: 'http', host: e.address, port: 80, path: '/', vhost: e.host, protocol: 'TCP', targets });
  } else notes.push(`no Ingress address or Gateway address for ${ns}: the entry point left out`);

  // a server in another namespace
  const server = cluster.find((o) => o.kind === 'Pod' && o.metadata.namespace === OUTSIDER_NS && o.metadata.name === 'netpol-server' && running(o));
  if (server) add({ id: 'elsewhere-8080', label: `a server in ${OUTSIDER_NS} (${server.status.podIP}:8080)`, kind: 'http', host: server.status.podIP, port: 8080, path: '/', status: 200, protocol: 'TCP', targets: [{ endpoint: podEndpoint(server), port: 8080 }], direct: true });
  notes.push('not probed: the node\'s own addresses (kube-network-policies judges forwarded packets in POSTROUTING; packets to the node itself never pass there)');
  return { destinations: out, notes };
}

// --- the table ------------------------------------------------------------------------------------

export function plan(dist: Obj[], cluster: Obj[]): Plan {
  const ns = envNamespace(dist);
  const policies = [
    ...(dist.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicy[]),
    ...(cluster.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace !== ns) as unknown as NetworkPolicy[]),
  ];
  const nsLabels = new Map(cluster.filter((o) => o.kind === 'Namespace').map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  const sources = sourcesOf(dist, cluster).map((s) => {
    const name = s.pod ?? `netpol-${s.id}`;
    const pod = cluster.find((o) => o.kind === 'Pod' && o.metadata.namespace === s.namespace && o.metadata.name === name);
    if (!pod?.status?.podIP || !running(pod)) throw new Error(`source ${s.id}: pod ${s.namespace}/${name} is not running`);
    return { ...s, labels: pod.metadata.labels ?? {}, ip: pod.status.podIP as string, pod: name, container: s.container ?? 'probe' };
  });
  const { destinations, notes } = destinationsOf(dist, cluster);
  const cells: Cell[] = [];
  for (const s of sources) {
    const src: Endpoint = { namespace: s.namespace, labels: s.labels, ip: s.ip };
    for (const d of destinations) {
      // a connection to the pod's own address stays inside its network namespace: no policy sees it
      const self = d.direct && d.targets.filter((t) => t.endpoint.ip === s.ip).length;
      if (self && self === d.targets.length) {
        cells.push({ source: s.id, destination: d.id, allowed: true, why: 'its own address: the packets never leave the pod' });
        continue;
      }
      if (self) {
        notes.push(`${s.id} -> ${d.label}: left out (the name resolves to the source itself and to other pods)`);
        continue;
      }
      const verdicts = d.targets.map((t) => admits(policies, nsLabels, src, t.endpoint, t.port, d.protocol));
      const allowed = verdicts[0].allowed;
      if (verdicts.some((v) => v.allowed !== allowed)) throw new Error(`${s.id} -> ${d.label}: the pods behind it are not treated alike by the policies`);
      cells.push({ source: s.id, destination: d.id, allowed, why: verdicts[0].why });
    }
  }
  return { namespace: ns, sources, destinations, cells, notes };
}

/** netpol-probe.sh's argument for a destination: ID,KIND,HOST,PORT,PATH,VHOST */
export const probeArg = (d: Destination) => [d.id, d.kind, d.host, d.port, d.path ?? '', d.vhost ?? ''].join(',');

// --- judging ----------------------------------------------------------------------------------------

export interface Outcome {
  verdict: 'response' | 'timeout' | 'refused' | 'unreachable' | 'silent' | 'error' | 'missing';
  detail: string;
}

/** netpol-probe.sh's output: `ID VERDICT DETAIL...` per probe. */
export function parseOutcomes(text: string): Map<string, Outcome> {
  const m = new Map<string, Outcome>();
  for (const line of text.split('\n')) {
    const x = /^(\S+) (response|timeout|refused|unreachable|silent|error)\b ?(.*)$/.exec(line.trim());
    if (x) m.set(x[1], { verdict: x[2] as Outcome['verdict'], detail: x[3] });
  }
  return m;
}

export interface Judged {
  cell: Cell;
  outcome: Outcome;
  pass: boolean;
  problem?: string;
}

export function judge(p: Plan, outcomes: Map<string, Map<string, Outcome>>): Judged[] {
  const answered = (d: Destination, o: Outcome) => o.verdict === 'response' && (d.status === undefined || new RegExp(`^HTTP/1\\.[01] ${d.status}\\b`).test(o.detail) || d.kind !== 'http');
  const reachable = new Set(p.cells.filter((c) => answered(p.destinations.find((d) => d.id === c.destination)!, outcomes.get(c.source)?.get(c.destination) ?? { verdict: 'missing', detail: '' })).map((c) => c.destination));
  return p.cells.map((cell) => {
    const d = p.destinations.find((x) => x.id === cell.destination)!;
    const outcome = outcomes.get(cell.source)?.get(cell.destination) ?? { verdict: 'missing', detail: 'no result from the probe' };
    let problem: string | undefined;
    if (cell.allowed) {
      if (!answered(d, outcome)) problem = `expected an answer${d.status ? ` (HTTP ${d.status})` : ''} (${cell.why}), got ${outcome.verdict} ${outcome.detail}`.trim();
    } else if (outcome.verdict !== 'timeout' && outcome.verdict !== 'refused') {
      problem = `expected a dropped or refused connection (${cell.why}), got ${outcome.verdict} ${outcome.detail}`.trim();
    } else if (!reachable.has(d.id)) {
      problem = `dropped, but no source got an answer from ${d.label} either: the denial proves nothing`;
    }
    return { cell, outcome, pass: !problem, problem };
  });
}

/** The table as text: rows are sources, columns destinations; `+` allowed and answered, `-` denied and dropped (`r`: refused), `!` wrong. */
export function render(p: Plan, judged: Judged[]): string {
  const cols = p.destinations.map((_, i) => String.fromCharCode(65 + i));
  const lines = ['columns:', ...p.destinations.map((d, i) => `  ${cols[i]}  ${d.label}`), ''];
  const w = Math.max(...p.sources.map((s) => s.id.length)) + 2;
  lines.push(`${'source'.padEnd(w)}${cols.map((c) => c.padStart(3)).join('')}`);
  for (const s of p.sources) {
    const row = p.destinations.map((d) => {
      const j = judged.find((x) => x.cell.source === s.id && x.cell.destination === d.id);
      const mark = !j ? '.' : !j.pass ? '!' : j.cell.allowed ? '+' : j.outcome.verdict === 'refused' ? 'r' : '-';
      return mark.padStart(3);
    });
    lines.push(`${s.id.padEnd(w)}${row.join('')}`);
  }
  lines.push('', 'rows:', ...p.sources.map((s) => `  ${s.id.padEnd(w)}${s.label}`));
  lines.push('', '+ allowed by the policies and answered, - denied and dropped (timed out), r denied and refused, ! not as the policies say, . not probed');
  return lines.join('\n');
}

// --- command line -----------------------------------------------------------------------------------

function main(): number {
  const { positionals, values: o } = parseArgs({
    allowPositionals: true,
    options: { dist: { type: 'string' }, cluster: { type: 'string', multiple: true }, out: { type: 'string' }, plan: { type: 'string' }, results: { type: 'string' }, 'probe-image': { type: 'string' }, 'server-image': { type: 'string' } },
  });
  const mode = positionals[0];
  const items = (files: string[]) => files.flatMap((f) => (JSON.parse(fs.readFileSync(f, 'utf8')).items ?? []) as Obj[]);
  if (mode === 'pods' && o.dist && o.cluster && o['probe-image'] && o['server-image']) {
    const dist = readDist(o.dist);
    const cluster = items(o.cluster);
    process.stdout.write(probeManifests(sourcesOf(dist, cluster), cluster, o['probe-image'], o['server-image']).map((x) => stringify(x)).join('---\n'));
    return 0;
  }
  if (mode === 'plan' && o.dist && o.cluster && o.out) {
    const p = plan(readDist(o.dist), items(o.cluster));
    fs.writeFileSync(o.out, JSON.stringify(p, null, 1));
    for (const s of p.sources) console.log([s.id, s.namespace, s.pod, s.container, ...p.destinations.map(probeArg)].join(' '));
    return 0;
  }
  if (mode === 'judge' && o.plan && o.results) {
    const p = JSON.parse(fs.readFileSync(o.plan, 'utf8')) as Plan;
    const outcomes = new Map(p.sources.map((s) => {
      const f = path.join(o.results!, `${s.id}.out`);
      return [s.id, parseOutcomes(fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '')];
    }));
    const judged = judge(p, outcomes);
    console.log(render(p, judged));
    for (const n of p.notes) console.log(`note: ${n}`);
    console.log('');
    for (const s of p.sources) {
      const mine = judged.filter((j) => j.cell.source === s.id);
      const bad = mine.filter((j) => !j.pass);
      const name = (j: Judged) => p.destinations.find((d) => d.id === j.cell.destination)!.label;
      const allowed = mine.filter((j) => j.pass && j.cell.allowed).map(name);
      const denied = mine.filter((j) => j.pass && !j.cell.allowed).map(name);
      console.log(`${bad.length ? 'FAIL' : 'ok  '} netpol: from ${s.label}: answered by ${allowed.join(', ') || 'nothing'}; dropped by ${denied.join(', ') || 'nothing'}`);
      for (const j of bad) console.log(`       ${name(j)}: ${j.problem}`);
    }
    const failed = judged.filter((j) => !j.pass).length;
    console.log(`netpol-table: ${judged.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  }
  console.error('usage: netpol.ts pods --dist DIR --cluster JSON --probe-image IMG --server-image IMG | plan --dist DIR --cluster JSON --out PLAN | judge --plan PLAN --results DIR');
  return 2;
}

if (process.argv[1] && /netpol\.ts$/.test(process.argv[1])) process.exit(main());
