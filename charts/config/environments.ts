/**
 * The environments. Each is a plain object checked against `environmentSchema` at synth time.
 * To add one: add an entry here (the key is its name); `npm run synth` then writes dist/<name>/.
 */
import type { EnvironmentInput } from './schema';

// Memory (and ephemeral storage) requests equal their limits: exceeding them kills or evicts the pod,
// so the scheduler must reserve all of it. CPU may burst above its request (it only throttles).
const small = { requests: { cpu: '50m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
const backendProd = { requests: { cpu: '250m', memory: '384Mi' }, limits: { cpu: '1', memory: '384Mi' } };
const frontendProd = { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

// The cluster's pod CIDR: the proxies in front of the API (the gateway's pods, the frontend's where it
// proxies /api) connect from it. minikube and kind: 10.244.0.0/16 (the CI node's 10.244.0.0/24 is in it).
const localPodCidrs = ['10.244.0.0/16'];
// Prometheus (kube-prometheus-stack's labels) in the namespace monitoring.
const prometheus = { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } };

export const ENVIRONMENTS = {
  /** minikube or kind: one replica, local images, the frontend on NodePort 30000 (it proxies /api), PostgreSQL in the cluster. */
  dev: {
    name: 'dev',
    namespace: 'todo-dev',
    replicas: 1,
    imagePullPolicy: 'IfNotPresent',
    images: {},
    // plain HTTP on the NodePort: a Secure refresh cookie would not be kept (it is Secure over HTTPS still)
    backend: { resources: small, logLevel: 'debug', trustedProxyCidrs: localPodCidrs, sessionCookieSecure: 'auto' },
    frontend: { resources: small, logLevel: 'debug' },
    frontendService: { type: 'NodePort', nodePort: 30000 },
    database: { kind: 'in-cluster' },
  },
  /**
   * Production's shape on one node: an HTTPRoute on the cluster's shared Gateway (traefik/gateway) with TLS from
   * the ClusterIssuer pebble, HPA 2-4, PDB, local images and PostgreSQL in the cluster. Made for the CI test
   * cluster (test/cluster/); on kind or minikube with a Gateway API implementation and cert-manager, see
   * docs/infrastructure.md.
   */
  e2e: {
    name: 'e2e',
    namespace: 'todo-e2e',
    replicas: 2,
    imagePullPolicy: 'IfNotPresent',
    images: {},
    backend: { resources: small, trustedProxyCidrs: localPodCidrs },
    frontend: { resources: small },
    hpa: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 70, memoryUtilization: 80, scaleDownStabilizationSeconds: 60 },
    pdb: { maxUnavailable: 1 },
    gateway: {
      hosts: ['todo-e2e.gateway.test'],
      shared: { name: 'gateway', namespace: 'traefik', listener: 'https-todo-e2e', protocol: 'HTTPS' },
      pods: { namespace: 'traefik', podLabels: { app: 'traefik' } },
      tls: { secretName: 'todo-e2e-tls', issuer: { kind: 'ClusterIssuer', name: 'pebble' } },
    },
    monitoring: { scraper: prometheus, discovery: 'annotations' },
    database: { kind: 'in-cluster' },
  },
  /** A shared test cluster: production's shape at a smaller scale, an external database. */
  staging: {
    name: 'staging',
    namespace: 'todo-staging',
    replicas: 2,
    imagePullPolicy: 'Always',
    images: { registry: 'registry.example.com/todo' },
    backend: { resources: small, trustedProxyCidrs: ['10.8.0.0/14'] },
    frontend: { resources: small },
    pdb: { maxUnavailable: 1 },
    // the platform's Gateway gateway-system/public; its proxies carry the Gateway API's gateway-name label
    gateway: {
      hosts: ['todo.staging.example.com'],
      shared: { name: 'public', namespace: 'gateway-system', listener: 'https-todo-staging', protocol: 'HTTPS' },
      pods: { namespace: 'gateway-system', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } },
      tls: { secretName: 'todo-staging-tls', issuer: { kind: 'ClusterIssuer', name: 'letsencrypt-staging' } },
    },
    monitoring: { scraper: prometheus, discovery: 'serviceMonitor' },
    imagePullSecret: 'todo-registry',
    // the staging database: max_connections 100, 10 kept for its administrators; in the subnet 10.20.0.0/24
    database: { kind: 'external', connectionBudget: 90, egress: { cidrs: ['10.20.0.0/24'] } },
  },
  /** 3 to 10 replicas per tier, PDB, TLS, images pinnable by digest (TODO_BACKEND_IMAGE / TODO_FRONTEND_IMAGE). */
  production: {
    name: 'production',
    namespace: 'todo-production',
    replicas: 3,
    imagePullPolicy: 'Always',
    images: { registry: 'registry.example.com/todo' },
    backend: { resources: backendProd, logLevel: 'info', dbPoolMax: 10, trustedProxyCidrs: ['10.0.0.0/14'] },
    frontend: { resources: frontendProd, logLevel: 'info' },
    hpa: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80, scaleDownStabilizationSeconds: 300 },
    pdb: { maxUnavailable: 1 },
    gateway: {
      hosts: ['todo.example.com'],
      shared: { name: 'public', namespace: 'gateway-system', listener: 'https-todo', protocol: 'HTTPS' },
      pods: { namespace: 'gateway-system', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } },
      tls: { secretName: 'todo-tls', issuer: { kind: 'ClusterIssuer', name: 'letsencrypt' } },
    },
    monitoring: { scraper: prometheus, discovery: 'serviceMonitor' },
    imagePullSecret: 'todo-registry',
    // the production database: max_connections 200, 10 kept for its administrators; in the subnet 10.30.0.0/24
    database: { kind: 'external', connectionBudget: 190, egress: { cidrs: ['10.30.0.0/24'] } },
    scheduling: { antiAffinity: 'preferred' },
  },
} satisfies Record<string, EnvironmentInput>;
