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

export const ENVIRONMENTS = {
  /** minikube or kind: one replica, local images, the frontend on NodePort 30000, PostgreSQL in the cluster. */
  dev: {
    name: 'dev',
    namespace: 'todo-dev',
    replicas: 1,
    imagePullPolicy: 'IfNotPresent',
    images: {},
    backend: { resources: small, logLevel: 'debug' },
    frontend: { resources: small, logLevel: 'debug' },
    frontendService: { type: 'NodePort', nodePort: 30000 },
    database: { kind: 'in-cluster' },
  },
  /**
   * Production's shape on one node: Ingress (class nginx, host todo.localhost), HPA 2-4, PDB, local images and
   * PostgreSQL in the cluster. For kind or minikube with an ingress controller, and the CI test cluster (test/cluster/).
   */
  e2e: {
    name: 'e2e',
    namespace: 'todo-e2e',
    replicas: 2,
    imagePullPolicy: 'IfNotPresent',
    images: {},
    backend: { resources: small },
    frontend: { resources: small },
    hpa: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 70, memoryUtilization: 80, scaleDownStabilizationSeconds: 60 },
    pdb: { maxUnavailable: 1 },
    ingress: { className: 'nginx', hosts: ['todo.localhost'] },
    database: { kind: 'in-cluster' },
  },
  /** A shared test cluster: production's shape at a smaller scale, an external database. */
  staging: {
    name: 'staging',
    namespace: 'todo-staging',
    replicas: 2,
    imagePullPolicy: 'Always',
    images: { registry: 'registry.example.com/todo' },
    backend: { resources: small },
    frontend: { resources: small },
    pdb: { maxUnavailable: 1 },
    ingress: {
      className: 'nginx',
      hosts: ['todo.staging.example.com'],
      tlsSecretName: 'todo-staging-tls',
      annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-staging' },
    },
    imagePullSecret: 'todo-registry',
    // the staging database: max_connections 100, 10 kept for its administrators
    database: { kind: 'external', connectionBudget: 90 },
  },
  /** 3 to 10 replicas per tier, PDB, TLS, images pinnable by digest (TODO_BACKEND_IMAGE / TODO_FRONTEND_IMAGE). */
  production: {
    name: 'production',
    namespace: 'todo-production',
    replicas: 3,
    imagePullPolicy: 'Always',
    images: { registry: 'registry.example.com/todo' },
    backend: { resources: backendProd, logLevel: 'info', dbPoolMax: 10 },
    frontend: { resources: frontendProd, logLevel: 'info' },
    hpa: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80, scaleDownStabilizationSeconds: 300 },
    pdb: { maxUnavailable: 1 },
    ingress: {
      className: 'nginx',
      hosts: ['todo.example.com'],
      tlsSecretName: 'todo-tls',
      annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
    },
    imagePullSecret: 'todo-registry',
    // the production database: max_connections 200, 10 kept for its administrators
    database: { kind: 'external', connectionBudget: 190 },
    scheduling: { antiAffinity: 'preferred' },
  },
} satisfies Record<string, EnvironmentInput>;
