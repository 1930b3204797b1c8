/**
 * The typed, validated configuration of one environment. Every field documents itself with
 * `.describe()`; scripts/gen-config-docs.ts turns this schema into docs/configuration.md.
 * Cross-field rules (HPA min <= max, a PDB that can never block a drain, ...) live in `superRefine`
 * so the error names the field it is about.
 */
import { z } from 'zod';

const quantity = (what: string) =>
  z
    .string()
    .regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G)?$/, `must be a Kubernetes quantity (e.g. 100m, 256Mi)`)
    .describe(what);

/** RFC 1123 DNS name, optionally with a leading wildcard label. */
export const HOST_PATTERN = /^(\*\.)?(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label (lower-case letters, digits and -, at most 63)');

export const resourcesSchema = z
  .object({
    requests: z.object({ cpu: quantity('CPU the scheduler reserves.'), memory: quantity('Memory the scheduler reserves.') }).strict(),
    limits: z.object({ cpu: quantity('CPU ceiling (throttled above it).'), memory: quantity('Memory ceiling (OOM-killed above it).') }).strict(),
    ephemeralStorage: quantity('Ephemeral storage (logs, the /tmp emptyDir), requested and limited alike.').default('256Mi'),
  })
  .strict()
  .describe('Resource requests and limits of the container.');

export const tierSchema = z
  .object({
    resources: resourcesSchema,
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('LOG_LEVEL of the process.'),
    image: z
      .string()
      .optional()
      .describe(
        'Full image reference (registry/repository:tag or @sha256:digest). Unset: images.registry + the contract repository + images.tag.',
      ),
  })
  .strict();

export const hpaSchema = z
  .object({
    minReplicas: z.int().min(1).describe('Fewest pods the HorizontalPodAutoscaler keeps.'),
    maxReplicas: z.int().min(1).describe('Most pods the HorizontalPodAutoscaler may create.'),
    cpuUtilization: z.int().min(1).max(1000).default(70).describe('Target average CPU utilization, % of the request.'),
    memoryUtilization: z.int().min(1).max(1000).default(80).describe('Target average memory utilization, % of the request.'),
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

export const ingressSchema = z
  .object({
    className: z.string().min(1).default('nginx').describe('spec.ingressClassName.'),
    hosts: z.array(z.string()).min(1).describe('Host names served (RFC 1123). `/` goes to the frontend, `/api` to the backend.'),
    tlsSecretName: z.string().optional().describe('Secret holding the TLS certificate for the hosts (e.g. written by cert-manager); unset: no TLS.'),
    annotations: z.record(z.string(), z.string()).default({}).describe('Ingress annotations, e.g. cert-manager.io/cluster-issuer.'),
    controllerNamespace: dnsLabel
      .default('ingress-nginx')
      .describe('Namespace of the ingress controller pods; the NetworkPolicies admit traffic from it.'),
  })
  .strict()
  .describe('Ingress in front of both tiers; unset: no Ingress (dev uses the frontend NodePort).');

export const inClusterDatabaseSchema = z
  .object({
    kind: z.literal('in-cluster'),
    image: z.string().default('postgres:17.11-trixie').describe('Official PostgreSQL image, pinned by version.'),
    storage: quantity('Size of the data volume (PVC).').default('1Gi'),
    storageClassName: z.string().optional().describe('StorageClass of the PVC; unset: the cluster default.'),
    user: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('todo').describe('PostgreSQL user the backend connects as.'),
    database: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('todo').describe('Database name.'),
    resources: resourcesSchema.default({ requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' }, ephemeralStorage: '256Mi' }),
  })
  .strict()
  .describe('A single-replica PostgreSQL StatefulSet with a PVC, for dev.');

export const externalDatabaseSchema = z
  .object({
    kind: z.literal('external'),
    port: z.int().min(1).max(65535).default(5432).describe('TCP port of the database (for the egress NetworkPolicy).'),
    egressCidrs: z
      .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR'))
      .min(1)
      .default(['0.0.0.0/0'])
      .describe('Address ranges the backend may reach the database in.'),
  })
  .strict()
  .describe('An external PostgreSQL; its URL is the Secret key database-url.');

export const schedulingSchema = z
  .object({
    nodeSelector: z.record(z.string(), z.string()).default({}).describe('Node labels the pods must land on.'),
    tolerations: z
      .array(
        z
          .object({
            key: z.string().optional(),
            operator: z.enum(['Exists', 'Equal']).optional(),
            value: z.string().optional(),
            effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
          })
          .strict(),
      )
      .default([])
      .describe('Taints the pods tolerate.'),
    antiAffinity: z
      .enum(['none', 'preferred', 'required'])
      .default('preferred')
      .describe('Pod anti-affinity between pods of one tier (per node) when it may run more than one pod.'),
  })
  .strict();

export const environmentSchema = z
  .object({
    name: dnsLabel.describe('Environment name: dist/<name>/ and the release label.'),
    namespace: dnsLabel.describe('Namespace everything is created in.'),
    replicas: z.int().min(1).describe('Pods per tier when there is no HPA.'),
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
    secretName: dnsLabel
      .default('todo-secrets')
      .describe('Secret (created by `ops secrets` or managed elsewhere) with keys jwt-secret, database-url and, in dev, postgres-password.'),
    backend: tierSchema.extend({
      dbPoolMax: z.int().min(1).max(100).default(10).describe('DB_POOL_MAX of the backend.'),
    }).describe('The REST API tier (Deployment todo-backend; runs the migrations as an init container).'),
    frontend: tierSchema.describe('The web tier (Deployment todo-frontend).'),
    frontendService: z
      .object({
        type: z.enum(['ClusterIP', 'NodePort']).default('ClusterIP').describe('Service type of the frontend.'),
        nodePort: z.int().min(30000).max(32767).optional().describe('Node port when type is NodePort.'),
      })
      .strict()
      .default({ type: 'ClusterIP' })
      .describe('The frontend Service (NodePort for minikube/kind without an Ingress).'),
    hpa: hpaSchema.optional(),
    pdb: pdbSchema.optional(),
    ingress: ingressSchema.optional(),
    database: z.discriminatedUnion('kind', [inClusterDatabaseSchema, externalDatabaseSchema]).describe('Where PostgreSQL runs.'),
    scheduling: schedulingSchema.describe('Node selection hooks of the app pods.').default({ nodeSelector: {}, tolerations: [], antiAffinity: 'preferred' }),
    dnsNamespace: dnsLabel.default('kube-system').describe('Namespace of the cluster DNS pods (k8s-app=kube-dns); DNS egress is allowed to it.'),
  })
  .strict()
  .superRefine((env, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (env.hpa && env.hpa.minReplicas > env.hpa.maxReplicas) {
      issue(['hpa', 'minReplicas'], `hpa.minReplicas (${env.hpa.minReplicas}) must not exceed hpa.maxReplicas (${env.hpa.maxReplicas})`);
    }
    const fewest = env.hpa ? env.hpa.minReplicas : env.replicas;
    if (env.pdb) {
      if (fewest < 2) {
        issue(['pdb'], `a PodDisruptionBudget on ${fewest} replica would block every node drain: needs at least 2 replicas (hpa.minReplicas or replicas)`);
      } else if (env.pdb.maxUnavailable >= fewest) {
        issue(['pdb', 'maxUnavailable'], `pdb.maxUnavailable (${env.pdb.maxUnavailable}) must be below the fewest replicas (${fewest}) or it protects nothing`);
      }
    }
    if (env.frontendService.type === 'NodePort' && env.frontendService.nodePort === undefined) {
      issue(['frontendService', 'nodePort'], 'is required when frontendService.type is NodePort');
    }
    env.ingress?.hosts.forEach((h, i) => {
      if (!HOST_PATTERN.test(h)) issue(['ingress', 'hosts', i], `"${h}" is not a valid host name (RFC 1123, lower case, at least two labels)`);
    });
    if (env.ingress?.tlsSecretName !== undefined && !/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(env.ingress.tlsSecretName)) {
      issue(['ingress', 'tlsSecretName'], `"${env.ingress.tlsSecretName}" is not a valid Secret name`);
    }
    if (!env.ingress && env.frontendService.type !== 'NodePort') {
      issue(['ingress'], 'is required unless frontendService.type is NodePort (otherwise nothing outside the cluster reaches the app)');
    }
  });

/** What an environment file writes (defaults not yet applied). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
/** The validated configuration with every default filled in. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;

/**
 * A container image reference that names a tag or a digest (never implicitly `latest`).
 * Groups: 1 repository (with registry), 2 tag, 3 digest.
 */
export const IMAGE_REF = /^((?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;
