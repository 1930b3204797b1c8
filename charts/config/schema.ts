/**
 * The typed, validated configuration of one environment. Every field documents itself with
 * `.describe()`; scripts/gen-config-docs.ts turns this schema into docs/configuration.md.
 * Values are checked in Kubernetes' own syntax (charts/config/syntax.ts) and against what the API
 * server or the cluster would refuse; cross-field rules (charts/rules.ts, shared with the constructs)
 * live in `superRefine` so the error names the field it is about.
 */
import { z } from 'zod';
import {
  bytesProblem,
  cidrProblem,
  cpuProblem,
  DNS_LABEL,
  DNS_SUBDOMAIN,
  HOST_PATTERN,
  imageRefProblem,
  isWorldCidr,
  labelKeyProblem,
  labelValueProblem,
  reservedNamespaceProblem,
} from './syntax';
import { connectionDemand, hpaRangeProblem, limitBelowRequestProblem, pdbProblem, unreachableTargetProblem } from '../rules';

export { HOST_PATTERN, IMAGE_REF, imageRefProblem } from './syntax';

/** A string refined by a problem function of charts/config/syntax.ts. */
const checked = (problem: (v: string) => string | undefined) =>
  z.string().superRefine((v, ctx) => {
    const p = problem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
const MIB = 2 ** 20;
const cpu = (what: string) => checked(cpuProblem).describe(`${what} (a Kubernetes quantity, at least 1m).`);
const memory = (what: string) => checked((q) => bytesProblem(q, 6 * MIB, 'memory')).describe(`${what} (a Kubernetes quantity, at least 6Mi).`);
const storage = (what: string) => checked((q) => bytesProblem(q, MIB, 'storage')).describe(`${what} (a Kubernetes quantity, at least 1Mi).`);

const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS label (lower-case letters, digits and -, at most 63)');
const dnsSubdomain = z.string().regex(DNS_SUBDOMAIN, 'must be a DNS subdomain (lower-case letters, digits, - and ., at most 253)');
const labelMap = (what: string) =>
  z
    .record(z.string(), z.string())
    .superRefine((m, ctx) => {
      for (const [k, v] of Object.entries(m)) {
        const p = labelKeyProblem(k) ?? (what === 'labels' ? labelValueProblem(v) : undefined);
        if (p) ctx.addIssue({ code: 'custom', path: [k], message: p });
      }
    });
const imageRef = z.string().superRefine((ref, ctx) => {
  const p = imageRefProblem(ref);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});

export const resourcesSchema = z
  .object({
    requests: z.object({ cpu: cpu('CPU the scheduler reserves'), memory: memory('Memory the scheduler reserves') }).strict(),
    limits: z.object({ cpu: cpu('CPU ceiling (throttled above it)'), memory: memory('Memory ceiling (OOM-killed above it)') }).strict(),
    ephemeralStorage: storage('Ephemeral storage (logs, the /tmp emptyDir), requested and limited alike').default('256Mi'),
  })
  .strict()
  .describe('Resource requests and limits of the container; a limit below its request is refused.');

export const tierSchema = z
  .object({
    resources: resourcesSchema,
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('LOG_LEVEL of the process.'),
    image: imageRef
      .optional()
      .describe(
        'Full image reference (registry/repository:tag or @sha256:digest). Unset: images.registry + the contract repository + images.tag.',
      ),
  })
  .strict();

export const hpaSchema = z
  .object({
    minReplicas: z.int().min(1).max(1000).describe('Fewest pods the HorizontalPodAutoscaler keeps.'),
    maxReplicas: z.int().min(1).max(1000).describe('Most pods the HorizontalPodAutoscaler may create.'),
    cpuUtilization: z.int().min(1).max(1000).default(70).describe('Target average CPU utilization, % of the request (must be reachable below the limit).'),
    memoryUtilization: z.int().min(1).max(1000).default(80).describe('Target average memory utilization, % of the request (must be reachable below the limit).'),
    scaleDownStabilizationSeconds: z
      .int()
      .min(0)
      .max(3600)
      .default(300)
      .describe('Scale-down stabilization window: the highest recommendation of this window is used, so load spikes do not flap.'),
  })
  .strict()
  .describe('HorizontalPodAutoscaler (autoscaling/v2, CPU and memory) of each tier; unset: a fixed replica count.');

export const pdbSchema = z
  .object({
    maxUnavailable: z
      .int()
      .min(1)
      .default(1)
      .describe('Pods of a tier a voluntary disruption (node drain) may evict at once. Must leave a drain possible.'),
  })
  .strict()
  .describe('PodDisruptionBudget of each tier; only valid with at least 2 replicas (HPA minimum or replicas).');

/** Pods of another namespace the NetworkPolicies admit: the gateway's or ingress controller's, the metrics scraper's. */
const peerSchema = (who: string) =>
  z
    .object({
      namespace: dnsLabel.describe(`Namespace of ${who}.`),
      podLabels: labelMap('labels').default({}).describe(`Labels of ${who} (matchLabels); {}: every pod of the namespace.`),
    })
    .strict();

export const issuerSchema = z
  .object({
    kind: z.enum(['ClusterIssuer', 'Issuer']).default('ClusterIssuer').describe("cert-manager issuer kind (an Issuer lives in the environment's namespace)."),
    name: dnsSubdomain.describe('Name of the issuer (it must exist in the cluster).'),
  })
  .strict();

export const tlsSchema = z
  .object({
    secretName: dnsSubdomain.describe('Secret (type kubernetes.io/tls) that holds the certificate and key for the hosts.'),
    issuer: issuerSchema
      .optional()
      .describe('cert-manager issues and renews the certificate into the Secret (ACME HTTP-01 solver pods are admitted from the gateway); unset: the Secret is provided otherwise.'),
  })
  .strict();

export const ingressSchema = z
  .object({
    className: dnsSubdomain.describe('spec.ingressClassName (the name of an IngressClass; no default: name the controller the cluster runs).'),
    hosts: z.array(z.string()).min(1).describe('Host names served (RFC 1123, each once). `/` goes to the frontend, `/api` to the backend.'),
    tls: tlsSchema.optional().describe('TLS for the hosts; unset: plain HTTP.'),
    annotations: labelMap('annotations').default({}).describe("Ingress annotations (keys in Kubernetes syntax) for the controller's options; the issuer goes in tls.issuer."),
    controller: peerSchema('the ingress controller pods').describe('Who sends the traffic: the NetworkPolicies admit these pods to both tiers.'),
  })
  .strict()
  .describe('An Ingress in front of both tiers, for clusters without Gateway API (one of ingress and gateway).');

export const gatewaySchema = z
  .object({
    hosts: z
      .array(z.string())
      .default([])
      .describe('Host names of the HTTPRoute (RFC 1123, each once); []: every host of the listener. `/` goes to the frontend, `/api` to the backend.'),
    shared: z
      .object({
        name: dnsSubdomain.describe('Name of the Gateway.'),
        namespace: dnsLabel.describe('Namespace of the Gateway.'),
        listener: dnsSubdomain.describe("The listener the HTTPRoute attaches to (its sectionName); the platform gives it the environment's hosts and, with TLS, the Secret tls.secretName of this namespace."),
        protocol: z.enum(['HTTP', 'HTTPS']).describe("The listener's protocol, as the platform declares it: HTTPS where tls is set."),
      })
      .strict()
      .optional()
      .describe("A Gateway of the platform's, in its namespace (one of shared and own)."),
    own: z
      .object({
        className: dnsSubdomain.describe('gatewayClassName of the Gateway.'),
        name: dnsSubdomain.default('todo').describe("Name of the Gateway in the environment's namespace."),
      })
      .strict()
      .optional()
      .describe("A Gateway of the application's own, in its namespace: an HTTP listener on port 80 and, with tls, one HTTPS listener per host on 443 (one of shared and own)."),
    pods: peerSchema("the Gateway's data-plane pods (the proxies that connect to the backends)").describe(
      'Who sends the traffic: the NetworkPolicies admit these pods to both tiers (and to the ACME HTTP-01 solver pods).',
    ),
    tls: tlsSchema.optional().describe('TLS for the hosts; unset: no certificate of the application (plain HTTP, or TLS the platform terminates with its own).'),
  })
  .strict()
  .describe('Gateway API: an HTTPRoute in front of both tiers, on a shared Gateway or on one of its own (one of ingress and gateway).');

export const monitoringSchema = z
  .object({
    scraper: peerSchema('the metrics scraper (Prometheus) pods').describe('The NetworkPolicies admit these pods to the metrics port of every tier that serves metrics, and only to it.'),
    discovery: z
      .enum(['serviceMonitor', 'annotations'])
      .describe(
        'How the scraper finds the targets: a ServiceMonitor per tier (the Prometheus Operator; its CRD must be installed), or the prometheus.io/scrape, path and port pod annotations.',
      ),
  })
  .strict()
  .describe('Metrics scraping; unset: nothing may scrape, and no ServiceMonitor or prometheus.io annotation claims otherwise.');

export const inClusterDatabaseSchema = z
  .object({
    kind: z.literal('in-cluster'),
    image: imageRef.default('postgres:17.11-trixie').describe('Official PostgreSQL image, pinned by version.'),
    storage: storage('Size of the data volume (PVC)').default('1Gi'),
    storageClassName: dnsSubdomain.optional().describe('StorageClass of the PVC; unset: the cluster default.'),
    user: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('todo').describe('PostgreSQL user the backend connects as.'),
    database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('todo').describe('Database name.'),
    maxConnections: z.int().min(10).max(10000).default(100).describe("PostgreSQL's max_connections (passed to the server)."),
    reservedConnections: z
      .int()
      .min(3)
      .default(10)
      .describe('Connections kept out of the backend\'s budget: superuser_reserved_connections (3) and operators\' sessions (psql, `ops secrets --rotate`).'),
    resources: resourcesSchema.default({ requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' }, ephemeralStorage: '256Mi' }),
  })
  .strict()
  .describe('A single-replica PostgreSQL StatefulSet with a PVC. Connection budget: maxConnections − reservedConnections.');

export const externalDatabaseSchema = z
  .object({
    kind: z.literal('external'),
    port: z.int().min(1).max(65535).default(5432).describe('TCP port of the database (for the egress NetworkPolicy).'),
    egress: z
      .object({
        cidrs: z
          .array(checked(cidrProblem))
          .min(1)
          .optional()
          .describe("Address ranges (IPv4 or IPv6 CIDRs, network addresses) the database is in: the backend may reach them on the database port. A /0 range needs allowWorld."),
        pods: peerSchema('the pods behind the database\'s in-cluster Service (an operator-managed PostgreSQL in another namespace)')
          .optional()
          .describe('An in-cluster database in another namespace: the backend may reach these pods on the database port.'),
        allowWorld: z
          .boolean()
          .default(false)
          .describe('Accept a /0 range in cidrs (the database port open towards every address); refused otherwise.'),
      })
      .strict()
      .describe('Where the backend may connect to the database: cidrs or pods (one of them).'),
    connectionBudget: z
      .int()
      .min(1)
      .describe("Connections the backend may open: the database's max_connections minus what it reserves for others."),
  })
  .strict()
  .describe('An external PostgreSQL; its URLs are the Secret keys database-url and migration-database-url.');

const toleration = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const p = t.key !== undefined ? labelKeyProblem(t.key) : undefined;
    if (p) issue('key', p);
    const v = t.value !== undefined ? labelValueProblem(t.value) : undefined;
    if (v) issue('value', v);
    if (t.operator === 'Exists' && t.value) issue('value', 'must be empty when operator is Exists');
    if (!t.key && t.operator !== 'Exists') issue('operator', 'must be Exists when key is empty (the API server refuses it otherwise)');
  });

export const schedulingSchema = z
  .object({
    nodeSelector: labelMap('labels').default({}).describe('Node labels the pods must land on (keys and values in Kubernetes label syntax).'),
    tolerations: z.array(toleration).default([]).describe('Taints the pods tolerate.'),
    antiAffinity: z
      .enum(['none', 'preferred', 'required'])
      .default('preferred')
      .describe('Pod anti-affinity between pods of one tier (per node) when it may run more than one pod.'),
    zoneSpread: z
      .enum(['ScheduleAnyway', 'DoNotSchedule'])
      .default('ScheduleAnyway')
      .describe(
        'whenUnsatisfiable of the spread over topology.kubernetes.io/zone. DoNotSchedule makes it hard: only for clusters whose nodes all carry a zone label (nodes without one are left out).',
      ),
  })
  .strict();

type Issue = (path: (string | number)[], message: string) => void;

/** cert-manager's Ingress annotations: the typed tls.issuer writes them. */
const ISSUER_ANNOTATIONS = ['cert-manager.io/cluster-issuer', 'cert-manager.io/issuer'];

/** The entry point: one of ingress and gateway (or a NodePort), hosts valid and each once, TLS with what it needs. */
function checkEntry(
  env: { ingress?: z.output<typeof ingressSchema>; gateway?: z.output<typeof gatewaySchema>; frontendService: { type: string } },
  issue: Issue,
): void {
  const checkHosts = (field: 'ingress' | 'gateway', hosts: readonly string[]) => {
    const seen = new Set<string>();
    hosts.forEach((h, i) => {
      if (!HOST_PATTERN.test(h)) issue([field, 'hosts', i], `"${h}" is not a valid host name (RFC 1123, lower case, at least two labels)`);
      else if (seen.has(h)) issue([field, 'hosts', i], `"${h}" is listed twice`);
      seen.add(h);
    });
  };
  if (env.ingress && env.gateway) issue(['gateway'], 'an environment has one entry point: remove ingress or gateway');
  if (!env.ingress && !env.gateway && env.frontendService.type !== 'NodePort') {
    issue(['gateway'], 'an entry point is required unless frontendService.type is NodePort (otherwise nothing outside the cluster reaches the app): set gateway or ingress');
  }
  if (env.ingress) {
    checkHosts('ingress', env.ingress.hosts);
    for (const key of ISSUER_ANNOTATIONS) {
      if (!(key in env.ingress.annotations)) continue;
      issue(
        ['ingress', 'annotations', key],
        env.ingress.tls
          ? 'name the issuer in ingress.tls.issuer (typed; it also admits the ACME solver pods)'
          : 'an issuer without TLS: cert-manager issues nothing for an Ingress without tls; set ingress.tls (secretName and issuer) instead',
      );
    }
  }
  const gw = env.gateway;
  if (!gw) return;
  checkHosts('gateway', gw.hosts);
  if (!gw.shared === !gw.own) issue(['gateway'], gw.shared ? 'set one of gateway.shared and gateway.own, not both' : 'set gateway.shared (a Gateway of the platform\'s) or gateway.own (a Gateway of the application\'s own)');
  if (gw.tls && gw.hosts.length === 0) issue(['gateway', 'tls'], 'TLS without a host: the certificate names the hosts, set gateway.hosts');
  if (gw.tls && gw.shared?.protocol === 'HTTP') {
    issue(['gateway', 'shared', 'protocol'], `listener "${gw.shared.listener}" is HTTP, but gateway.tls asks for TLS: attach to an HTTPS listener that references the Secret ${gw.tls.secretName}`);
  }
}

/** The database's egress: CIDRs or pods, and never the whole address space unless the configuration accepts it. */
function checkDatabaseEgress(db: z.output<typeof externalDatabaseSchema>, issue: Issue): void {
  const e = db.egress;
  if (!e.cidrs === !e.pods) issue(['database', 'egress'], e.cidrs ? 'set one of egress.cidrs and egress.pods, not both' : 'set egress.cidrs (the database\'s address ranges) or egress.pods (an in-cluster database)');
  const world = (e.cidrs ?? []).findIndex((c) => !cidrProblem(c) && isWorldCidr(c));
  if (world >= 0 && !e.allowWorld) {
    issue(
      ['database', 'egress', 'cidrs', world],
      `"${e.cidrs![world]}" opens the database port towards every address: name the database's network, or set database.egress.allowWorld: true to accept it`,
    );
  }
  if (e.allowWorld && world < 0) issue(['database', 'egress', 'allowWorld'], 'applies only to a /0 range in egress.cidrs (there is none)');
}

export const environmentSchema = z
  .object({
    name: dnsLabel.max(58, 'at most 58 characters (the release label todo-<name> is a label value of at most 63)').describe('Environment name: dist/<name>/ and the release label todo-<name> (so at most 58).'),
    namespace: dnsLabel
      .superRefine((ns, ctx) => {
        const p = reservedNamespaceProblem(ns);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      })
      .describe('Namespace everything is created in (not default or kube-*: it gets Pod Security restricted and a deny-all NetworkPolicy).'),
    replicas: z.int().min(1).max(1000).describe('Pods per tier when there is no HPA.'),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent']).describe('imagePullPolicy of the app containers.'),
    images: z
      .object({
        registry: z
          .string()
          .regex(/^([a-z0-9.-]+(:\d+)?)(\/[a-z0-9._-]+)*$/, 'must be a registry host with an optional path, e.g. ghcr.io/acme')
          .optional()
          .describe('Registry (and path) prefixed to the repositories todo-backend and todo-frontend; unset: local images (minikube/kind).'),
        tag: z
          .string()
          .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a valid image tag')
          .optional()
          .describe('Tag of both images; unset: the git revision (git rev-parse --short=12 HEAD).'),
      })
      .strict()
      .default({})
      .describe('Where the two application images come from (backend.image / frontend.image override one tier).'),
    imagePullSecret: dnsSubdomain
      .optional()
      .describe(
        'Secret of type kubernetes.io/dockerconfigjson the kubelet pulls every image of the environment with (imagePullSecrets); `npm run secrets -- --env NAME --registry-credentials-stdin` creates it. Unset: anonymous pulls.',
      ),
    priorityClassName: dnsSubdomain
      .refine((n) => !n.startsWith('system-'), 'the system- PriorityClasses are reserved for the cluster\'s own components')
      .optional()
      .describe('PriorityClass of every pod (it must exist in the cluster); unset: the cluster default.'),
    secretName: dnsSubdomain
      .default('todo-secrets')
      .describe('Secret (created by `ops secrets` or managed elsewhere) with keys jwt-secret, database-url, migration-database-url and, in-cluster, postgres-password.'),
    backend: tierSchema
      .extend({
        dbPoolMax: z.int().min(1).max(100).default(10).describe('DB_POOL_MAX of the backend: connections per pod (see database connection budget).'),
        sessionCookieSecure: z
          .enum(['always', 'auto'])
          .default('always')
          .describe(
            "SESSION_COOKIE_SECURE: 'always' (the refresh cookie is Secure; browsers keep it over HTTPS only), or 'auto' (Secure only when the browser's connection is HTTPS) for an environment its users reach over plain HTTP, such as dev's NodePort.",
          ),
        trustedProxyCidrs: z
          .array(checked(cidrProblem))
          .min(1)
          .describe(
            "TRUSTED_PROXY_CIDRS: where the proxies in front of the API connect from (the gateway's or ingress controller's pods, and the frontend's where it proxies /api), usually the cluster's pod CIDR. Only connections admitted by the NetworkPolicies reach the API, so that is whose X-Forwarded-For is believed.",
          ),
        migration: z
          .object({
            lockTimeoutSeconds: z.int().min(1).max(3600).default(60).describe('MIGRATION_LOCK_TIMEOUT_SECONDS of the migrate init container.'),
            connectDeadlineSeconds: z.int().min(1).max(3600).default(60).describe('MIGRATION_CONNECT_DEADLINE_SECONDS of the migrate init container.'),
            appRole: z
              .string()
              .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL role name (lower-case letters, digits, _)')
              .optional()
              .describe("MIGRATION_APP_ROLE: the application's role where migrations run as another (migration-database-url); unset: one role does both."),
          })
          .strict()
          .default({ lockTimeoutSeconds: 60, connectDeadlineSeconds: 60 })
          .describe('The migrate init container (its DATABASE_URL is the Secret key migration-database-url).'),
      })
      .describe('The REST API tier (Deployment todo-backend; runs the migrations as an init container).'),
    frontend: tierSchema.describe('The web tier (Deployment todo-frontend).'),
    frontendService: z
      .object({
        type: z.enum(['ClusterIP', 'NodePort']).default('ClusterIP').describe('Service type of the frontend.'),
        nodePort: z.int().min(30000).max(32767).optional().describe('Node port when type is NodePort (only then).'),
      })
      .strict()
      .default({ type: 'ClusterIP' })
      .describe('The frontend Service (NodePort for minikube/kind without an Ingress).'),
    hpa: hpaSchema.optional(),
    pdb: pdbSchema.optional(),
    ingress: ingressSchema.optional(),
    gateway: gatewaySchema.optional(),
    monitoring: monitoringSchema.optional(),
    database: z.discriminatedUnion('kind', [inClusterDatabaseSchema, externalDatabaseSchema]).describe('Where PostgreSQL runs.'),
    scheduling: schedulingSchema
      .describe('Node selection and spreading of the pods.')
      .default({ nodeSelector: {}, tolerations: [], antiAffinity: 'preferred', zoneSpread: 'ScheduleAnyway' }),
    dnsNamespace: dnsLabel.default('kube-system').describe('Namespace of the cluster DNS pods (k8s-app=kube-dns); DNS egress is allowed to it.'),
  })
  .strict()
  .superRefine((env, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const hpa = env.hpa ? hpaRangeProblem(env.hpa.minReplicas, env.hpa.maxReplicas, 'hpa.') : undefined;
    if (hpa) issue(['hpa', 'minReplicas'], hpa);
    const fewest = env.hpa ? env.hpa.minReplicas : env.replicas;
    const pdb = env.pdb ? pdbProblem(fewest, env.pdb.maxUnavailable, 'pdb.') : undefined;
    if (pdb) issue(pdb.field === 'pdb' ? ['pdb'] : ['pdb', 'maxUnavailable'], pdb.message);
    if (env.frontendService.type === 'NodePort' && env.frontendService.nodePort === undefined) {
      issue(['frontendService', 'nodePort'], 'is required when frontendService.type is NodePort');
    }
    if (env.frontendService.type !== 'NodePort' && env.frontendService.nodePort !== undefined) {
      issue(['frontendService', 'nodePort'], 'applies only when frontendService.type is NodePort');
    }
    checkEntry(env, issue);
    const tiers = [
      ['backend', env.backend.resources],
      ['frontend', env.frontend.resources],
      ...(env.database.kind === 'in-cluster' ? [['database', env.database.resources] as const] : []),
    ] as const;
    // cross-field checks only on values that passed their own (one message per cause, not its consequences)
    const valid = (r: ResourcesConfig, res: 'cpu' | 'memory') =>
      res === 'cpu' ? !cpuProblem(r.requests.cpu) && !cpuProblem(r.limits.cpu) : !bytesProblem(r.requests.memory, 6 * MIB, '') && !bytesProblem(r.limits.memory, 6 * MIB, '');
    const consistent = new Set<string>();
    for (const [tier, r] of tiers) {
      for (const res of ['cpu', 'memory'] as const) {
        if (!valid(r, res)) continue;
        const p = limitBelowRequestProblem(r.requests[res], r.limits[res]);
        if (p) issue([tier, 'resources', 'limits', res], p);
        else consistent.add(`${tier}.${res}`);
      }
    }
    if (env.hpa) {
      const hpa = env.hpa;
      for (const [res, field] of [['cpu', 'cpuUtilization'], ['memory', 'memoryUtilization']] as const) {
        const problems = tiers
          .filter(([t]) => t !== 'database' && consistent.has(`${t}.${res}`))
          .map(([t, r]) => [t, unreachableTargetProblem(hpa[field], r.requests[res], r.limits[res])] as const)
          .filter(([, p]) => p)
          .map(([t, p]) => `for the ${t}: ${p}`);
        if (problems.length) issue(['hpa', field], problems.join('; '));
      }
    }
    const db = env.database;
    if (db.kind === 'external') checkDatabaseEgress(db, issue);
    if (db.kind === 'in-cluster' && db.reservedConnections >= db.maxConnections) {
      issue(['database', 'reservedConnections'], `(${db.reservedConnections}) must be below database.maxConnections (${db.maxConnections})`);
    }
    const budget = db.kind === 'in-cluster' ? db.maxConnections - db.reservedConnections : db.connectionBudget;
    const most = env.hpa ? env.hpa.maxReplicas : env.replicas;
    const { demand, formula } = connectionDemand(most, env.backend.dbPoolMax);
    if (demand > budget) {
      const fields = `${env.hpa ? 'hpa.maxReplicas' : 'replicas'}, backend.dbPoolMax`;
      const have = db.kind === 'in-cluster' ? `database.maxConnections ${db.maxConnections} − database.reservedConnections ${db.reservedConnections} = ${budget}` : `database.connectionBudget ${budget}`;
      issue(
        ['database', db.kind === 'in-cluster' ? 'maxConnections' : 'connectionBudget'],
        `the backend may open ${formula} connections, more than ${have}: lower ${fields} or raise the budget`,
      );
    }
  });

/** What an environment file writes (defaults not yet applied). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
/** The validated configuration with every default filled in. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type ResourcesConfig = z.output<typeof resourcesSchema>;
export type HpaConfig = z.output<typeof hpaSchema>;
export type PdbConfig = z.output<typeof pdbSchema>;
export type IngressConfig = z.output<typeof ingressSchema>;
export type GatewayConfig = z.output<typeof gatewaySchema>;
export type TlsConfig = z.output<typeof tlsSchema>;
export type IssuerConfig = z.output<typeof issuerSchema>;
export type MonitoringConfig = z.output<typeof monitoringSchema>;
/** Pods of a namespace (namespace, podLabels), as the configuration names the gateway's, the scraper's ... */
export type PeerConfig = MonitoringConfig['scraper'];
export type ExternalDatabaseConfig = z.output<typeof externalDatabaseSchema>;
export type SchedulingConfig = z.output<typeof schedulingSchema>;
export type InClusterDatabaseConfig = z.output<typeof inClusterDatabaseSchema>;

