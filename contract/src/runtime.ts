/** Numeric, non-root user and group the images declare (`USER`) and the manifests enforce (`runAsUser`). */
export const RUNTIME_USER = { uid: 1001, gid: 1001 } as const;

/** Paths the containers may write to; everything else is a read-only root filesystem. */
export const WRITABLE_PATHS = { tmp: '/tmp' } as const;

/**
 * Graceful shutdown, in seconds. The order on a pod deletion is:
 * 1. kubelet runs the `preStop` hook: a `sleep` of `preStopSleepSeconds`, while the endpoints
 *    controller and the ingress controller stop sending new traffic to the pod;
 * 2. kubelet sends SIGTERM: the process turns `/readyz` to 503 at once, stops accepting new
 *    connections, lets in-flight requests finish for at most `drainTimeoutSeconds`, closes the
 *    database pool and exits;
 * 3. kubelet sends SIGKILL after `terminationGracePeriodSeconds` (counted from the start of step 1)
 *    if the process is still alive. The grace period leaves a margin over steps 1 and 2.
 */
export const SHUTDOWN = {
  preStopSleepSeconds: 5,
  drainTimeoutSeconds: 15,
  terminationGracePeriodSeconds: 30,
} as const;

/**
 * HTTP connection timings of both Node servers (backend and frontend web server), in seconds.
 *
 * `keepAliveSeconds`: how long a server keeps an idle keep-alive connection open. It is longer than the
 * idle timeout of every proxy that pools connections to the servers, so that the proxy, never the
 * server, closes an idle connection: a server that closes first races the proxy's next request on it
 * (the proxy gets a reset; for a POST, which it may not retry, its client gets a 502). The proxies'
 * upstream idle timeouts, `proxyUpstreamIdleSeconds`: ingress-nginx 60 s (`upstream-keepalive-timeout`),
 * Traefik 90 s (`idleConnTimeout`), AWS load balancers 60 s.
 *
 * `clientIdleSeconds`: how long a client of ours (the frontend's `/api` proxy) keeps an idle pooled
 * connection to a server, shorter than `keepAliveSeconds` for the same reason.
 */
export const HTTP_TIMEOUTS = {
  keepAliveSeconds: 120,
  proxyUpstreamIdleSeconds: 90,
  clientIdleSeconds: 4,
  /** A request's headers must arrive within this time of its first byte. */
  headersSeconds: 10,
  /** A whole request (headers and body) must arrive within this time. */
  requestSeconds: 30,
} as const;

/** A tier of the application: its container port and the HTTP paths the kubelet probes. */
export interface TierContract {
  /** Component name; also the suffix of the Kubernetes object names and the `app.kubernetes.io/component` label. */
  readonly component: 'backend' | 'frontend';
  /** The TCP port the process listens on inside the container (env `PORT` defaults to it). */
  readonly port: number;
  /** The name of that port in the pod spec and the Service (`targetPort` refers to it by name). */
  readonly portName: 'http';
  /** Liveness: the process is alive and its event loop is not wedged. Never touches the database. */
  readonly livenessPath: '/healthz';
  /** Readiness: the process can serve (backend: the database answers) and is not shutting down. */
  readonly readinessPath: '/readyz';
}

export const BACKEND = {
  component: 'backend',
  port: 3000,
  portName: 'http',
  livenessPath: '/healthz',
  readinessPath: '/readyz',
  /** Prometheus metrics (request rate, errors, duration by route; process metrics). */
  metricsPath: '/metrics',
  /** Every API route lives below this prefix; the Ingress routes it to the backend. */
  apiPrefix: '/api',
  /** The OpenAPI 3 document describing the API. */
  openApiPath: '/api/openapi.json',
  /**
   * The command that applies pending database migrations and exits (run as an init container
   * before the API starts; see docs/architecture.md). Relative to the image's working directory.
   */
  migrateCommand: ['node', 'dist/migrate.js'],
} as const satisfies TierContract & Record<string, unknown>;

export const FRONTEND = {
  component: 'frontend',
  port: 8080,
  portName: 'http',
  livenessPath: '/healthz',
  readinessPath: '/readyz',
  /**
   * The runtime (not build-time) configuration as JSON, `{ "apiBaseUrl": "/api" }`. The same JSON is embedded
   * in the served index.html as `<script id="runtime-config" type="application/json">` (RUNTIME_CONFIG_ELEMENT_ID),
   * so the app has it without a round trip; this path serves it too.
   */
  runtimeConfigPath: '/runtime-config.json',
} as const satisfies TierContract & Record<string, unknown>;

/** The id of the JSON data block in index.html that holds the runtime configuration (FRONTEND.runtimeConfigPath). */
export const RUNTIME_CONFIG_ELEMENT_ID = 'runtime-config';

/** Default key names inside the Kubernetes Secrets the manifests reference (by name and key only). */
export const SECRET_KEYS = {
  /** The backend's JWT signing secret (at least 32 characters). */
  jwtSecret: 'jwt-secret',
  /**
   * The backend's PostgreSQL connection URL, `postgres://user:password@host:5432/db`: the application's role,
   * which needs only SELECT, INSERT, UPDATE and DELETE on the tables (docs/backend.md, "Database roles").
   */
  databaseUrl: 'database-url',
  /**
   * The migration command's PostgreSQL URL (its `DATABASE_URL`): a role that owns the schema (DDL). Where one
   * role does both, this key holds the same URL as `databaseUrl`.
   */
  migrationDatabaseUrl: 'migration-database-url',
  /** The in-cluster PostgreSQL superuser password (dev only; used by the postgres StatefulSet). */
  postgresPassword: 'postgres-password',
} as const;

/**
 * Image repositories (without registry) of the two tiers. `scripts/build-images` tags them with the
 * git revision (`git rev-parse --short=12 HEAD`) and the dev environment's manifests use that tag.
 */
export const IMAGE_REPOSITORIES = { backend: 'todo-backend', frontend: 'todo-frontend' } as const;
export const IMAGE_REVISION_LENGTH = 12;
