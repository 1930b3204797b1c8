import { BACKEND, FRONTEND, SECRET_KEYS, SHUTDOWN } from './runtime';

/**
 * One environment variable that a process reads. The same declaration drives
 * - the process's start-up parsing (`loadEnv`), which names every missing or malformed variable;
 * - the manifests (charts/): secret variables come from a Secret by name and key, the others from the ConfigMap;
 * - the configuration reference in docs/ (generated, so it cannot go stale).
 */
export interface EnvVarSpec<T = unknown> {
  readonly name: string;
  /** One sentence: what the variable changes. */
  readonly description: string;
  /** Secret values come only from a Kubernetes Secret (or a file mounted from one); never from a ConfigMap. */
  readonly secret: boolean;
  /** The value used when unset, as text (documented verbatim). `undefined` with `optional` means "unset is meaningful". */
  readonly default?: string;
  /** May be left unset with no default; the parsed value is then `undefined`. */
  readonly optional?: boolean;
  /** Human description of the accepted values, for error messages and docs. */
  readonly accepts: string;
  /** Parses the raw text; throws an `Error` whose message says what is wrong with it. */
  readonly parse: (raw: string) => T;
}

type Parsed<S> = S extends EnvVarSpec<infer T> ? (S extends { optional: true } ? T | undefined : T) : never;
export type EnvValues<Specs extends Record<string, EnvVarSpec>> = { -readonly [K in keyof Specs]: Parsed<Specs[K]> };

/** Raised by `loadEnv`: lists every bad variable at once, one per line. */
export class EnvError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/**
 * Reads and validates every variable of `specs` from `source` (normally `process.env`).
 * Throws one `EnvError` naming every missing or malformed variable; never returns a half-valid result.
 */
export function loadEnv<Specs extends Record<string, EnvVarSpec>>(
  specs: Specs,
  source: Record<string, string | undefined>,
): EnvValues<Specs> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(specs)) {
    const raw = source[spec.name];
    const text = raw === undefined || raw === '' ? spec.default : raw;
    if (text === undefined) {
      if (!spec.optional) problems.push(`${spec.name} is required but not set (${spec.description})`);
      out[key] = undefined;
      continue;
    }
    try {
      out[key] = spec.parse(text);
    } catch (e) {
      // Never echo a secret's value back in an error message.
      const shown = spec.secret ? '<hidden>' : JSON.stringify(text);
      problems.push(`${spec.name}=${shown} is invalid: ${(e as Error).message} (expected ${spec.accepts})`);
    }
  }
  if (problems.length > 0) throw new EnvError(problems);
  return out as EnvValues<Specs>;
}

// ---- value kinds -------------------------------------------------------------------------------

type Base = Pick<EnvVarSpec, 'name' | 'description' | 'secret' | 'default' | 'optional'>;

export function intVar<const B extends Base & { min: number; max: number }>(base: B): EnvVarSpec<number> & B {
  const accepts = `an integer from ${base.min} to ${base.max}`;
  return {
    ...base,
    accepts,
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error('not an integer');
      const n = Number(raw.trim());
      if (n < base.min || n > base.max) throw new Error(`out of range`);
      return n;
    },
  };
}

export function stringVar<const B extends Base & { minLength?: number; pattern?: RegExp; accepts?: string }>(base: B): EnvVarSpec<string> & B {
  const min = base.minLength ?? 1;
  return {
    ...base,
    accepts: base.accepts ?? (min > 1 ? `text of at least ${min} characters` : 'non-empty text'),
    parse(raw) {
      if (raw.length < min) throw new Error(`shorter than ${min} characters`);
      if (base.pattern && !base.pattern.test(raw)) throw new Error('does not match the expected format');
      return raw;
    },
  };
}

export function enumVar<const V extends string, const B extends Base & { values: readonly V[] } = Base & { values: readonly V[] }>(
  base: B & { values: readonly V[] },
): EnvVarSpec<V> & B {
  return {
    ...base,
    accepts: `one of ${base.values.join(', ')}`,
    parse(raw) {
      if (!(base.values as readonly string[]).includes(raw)) throw new Error('not an allowed value');
      return raw as V;
    },
  };
}

export function urlVar<const B extends Base & { protocols: readonly string[]; allowRelativePath?: boolean }>(base: B): EnvVarSpec<string> & B {
  const kinds = base.protocols.map((p) => `${p}//…`).join(' or ');
  return {
    ...base,
    accepts: base.allowRelativePath ? `a path starting with / or a URL (${kinds})` : `a URL (${kinds})`,
    parse(raw) {
      if (base.allowRelativePath && raw.startsWith('/') && !raw.startsWith('//')) return raw;
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new Error('not a URL');
      }
      if (!base.protocols.includes(u.protocol)) throw new Error(`protocol ${u.protocol} is not allowed`);
      return raw;
    },
  };
}

/**
 * A comma-separated list of IPv4/IPv6 addresses and CIDR ranges (`10.0.0.0/8, ::1`); empty text or
 * unset means none.
 */
export function cidrListVar<const B extends Base>(base: B): EnvVarSpec<string[]> & B {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  const v6 = /^[0-9a-f:]*:[0-9a-f:.]*$/i;
  return {
    ...base,
    accepts: 'a comma-separated list of IP addresses or CIDR ranges (10.0.0.0/8, fd00::/8)',
    parse(raw) {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      for (const item of items) {
        const [addr, bits, extra] = item.split('/');
        const max = addr && v4.test(addr) ? 32 : addr && v6.test(addr) ? 128 : 0;
        if (max === 0 || extra !== undefined) throw new Error(`"${item}" is not an IP address or CIDR range`);
        if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)) throw new Error(`"${item}" has a prefix length outside 0-${max}`);
      }
      return items;
    },
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// ---- the backend's variables -------------------------------------------------------------------

export const BACKEND_ENV = {
  port: intVar({ name: 'PORT', description: 'TCP port the API listens on.', secret: false, default: String(BACKEND.port), min: 1, max: 65535 }),
  host: stringVar({ name: 'HOST', description: 'Address the API binds to.', secret: false, default: '0.0.0.0' }),
  logLevel: enumVar({ name: 'LOG_LEVEL', description: 'Minimum level of the JSON logs written to standard output.', secret: false, default: 'info', values: LOG_LEVELS }),
  databaseUrl: urlVar({
    name: 'DATABASE_URL',
    description: 'PostgreSQL connection URL. When unset, the backend runs on an embedded PGlite database (local development only).',
    secret: true,
    optional: true,
    protocols: ['postgres:', 'postgresql:'],
  }),
  pgliteDataDir: stringVar({
    name: 'PGLITE_DATA_DIR',
    description: 'Directory for the embedded PGlite database when DATABASE_URL is unset; unset keeps it in memory.',
    secret: false,
    optional: true,
  }),
  dbPoolMax: intVar({ name: 'DB_POOL_MAX', description: 'Maximum number of PostgreSQL connections in the pool.', secret: false, default: '10', min: 1, max: 100 }),
  jwtSecret: stringVar({
    name: 'JWT_SECRET',
    description: 'Secret that signs the access tokens (HS256) and keys the refresh cookies (HKDF). Set this or JWT_SECRET_FILE.',
    secret: true,
    optional: true,
    minLength: 32,
  }),
  jwtSecretFile: stringVar({
    name: 'JWT_SECRET_FILE',
    description: 'Path of a file (e.g. a mounted Secret) holding the JWT signing secret; used when JWT_SECRET is unset.',
    secret: false,
    optional: true,
  }),
  accessTokenTtlSeconds: intVar({
    name: 'ACCESS_TOKEN_TTL_SECONDS',
    description:
      'Lifetime of an access token (the bearer JWT), in seconds. The web app renews it before it expires with the refresh cookie; API clients log in again or refresh. Must be below SESSION_IDLE_TIMEOUT_SECONDS.',
    secret: false,
    default: '900',
    min: 10,
    max: 86400,
  }),
  sessionIdleTimeoutSeconds: intVar({
    name: 'SESSION_IDLE_TIMEOUT_SECONDS',
    description:
      'Lifetime of one refresh cookie, in seconds: a session not renewed for this long ends (each renewal sets a new cookie with a new lifetime). At most SESSION_MAX_AGE_SECONDS.',
    secret: false,
    default: '604800',
    min: 60,
    max: 31536000,
  }),
  sessionMaxAgeSeconds: intVar({
    name: 'SESSION_MAX_AGE_SECONDS',
    description: 'Longest a session lasts from its log-in, in seconds, however often it is renewed; then the user logs in again.',
    secret: false,
    default: '2592000',
    min: 60,
    max: 31536000,
  }),
  sessionRefreshGraceSeconds: intVar({
    name: 'SESSION_REFRESH_GRACE_SECONDS',
    description:
      'For this many seconds after a refresh, the refresh cookie it replaced may be presented again and gets the same new cookie (two tabs renewing at once, an answer lost on the way); presented later, or once the new cookie was used, it ends the session as a stolen one would. 0: any second use ends the session.',
    secret: false,
    default: '10',
    min: 0,
    max: 60,
  }),
  sessionCookieSecure: enumVar({
    name: 'SESSION_COOKIE_SECURE',
    description:
      'always: the refresh cookie is Secure (browsers keep it over HTTPS; Chromium also from http://localhost and http://127.0.0.1). auto: Secure only when the browser connects over HTTPS (the connection, or X-Forwarded-Proto), for development over plain HTTP, where a browser drops a Secure cookie.',
    secret: false,
    default: 'always',
    values: ['always', 'auto'],
  }),
  loginRateLimitPerMinute: intVar({
    name: 'LOGIN_RATE_LIMIT_PER_MINUTE',
    description:
      'Log-in and sign-up attempts allowed per client address per minute (all accounts together; many users may share an address behind a NAT).',
    secret: false,
    default: '60',
    min: 1,
    max: 100000,
  }),
  loginAccountRateLimitPerMinute: intVar({
    name: 'LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE',
    description: 'Log-in and sign-up attempts allowed per account (email address) per minute, from any address.',
    secret: false,
    default: '10',
    min: 1,
    max: 100000,
  }),
  writeRateLimitPerMinute: intVar({
    name: 'WRITE_RATE_LIMIT_PER_MINUTE',
    description: 'Task creates, changes and deletions allowed per user per minute; beyond it 429 with Retry-After.',
    secret: false,
    default: '300',
    min: 1,
    max: 1000000,
  }),
  taskQuota: intVar({
    name: 'TASK_QUOTA_PER_USER',
    description: 'The most tasks one account may have; a create beyond it is refused with 403.',
    secret: false,
    default: '5000',
    min: 1,
    max: 10000000,
  }),
  trustedProxies: cidrListVar({
    name: 'TRUSTED_PROXY_CIDRS',
    description:
      'Addresses of the proxies in front of the API (the ingress controller, the frontend web server): only from these is X-Forwarded-For believed when it names the client address (rate limits, logs). Unset: the connection address is the client.',
    secret: false,
    optional: true,
  }),
  passwordHashConcurrency: intVar({
    name: 'PASSWORD_HASH_CONCURRENCY',
    description: 'Password hashes (scrypt, 16 MiB each) computed at once; further log-ins and sign-ups wait their turn. Bounds the memory log-ins take.',
    secret: false,
    default: '2',
    min: 1,
    max: 64,
  }),
  dbAcquireTimeoutMs: intVar({
    name: 'DB_ACQUIRE_TIMEOUT_MS',
    description:
      'How long a request waits for a pooled PostgreSQL connection (or for a new one to open) before it gets 503. With DB_QUERY_TIMEOUT_MS it bounds how long a stalled database can hold a request.',
    secret: false,
    default: '700',
    min: 50,
    max: 60000,
  }),
  dbQueryTimeoutMs: intVar({
    name: 'DB_QUERY_TIMEOUT_MS',
    description: 'Client-side limit of one statement: a database that does not answer within it (stalled, partitioned) gives 503 and the connection is dropped.',
    secret: false,
    default: '1000',
    min: 50,
    max: 600000,
  }),
  dbStatementTimeoutMs: intVar({
    name: 'DB_STATEMENT_TIMEOUT_MS',
    description: "PostgreSQL's statement_timeout for the API's connections: the server cancels a longer statement (503); below DB_QUERY_TIMEOUT_MS so that a slow statement ends cleanly.",
    secret: false,
    default: '800',
    min: 10,
    max: 600000,
  }),
  dbKeepAliveSeconds: intVar({
    name: 'DB_TCP_KEEPALIVE_SECONDS',
    description: 'Idle time after which TCP keepalive probes check a PostgreSQL connection (a vanished peer is noticed instead of hanging).',
    secret: false,
    default: '10',
    min: 1,
    max: 7200,
  }),
  readinessTimeoutMs: intVar({
    name: 'READINESS_DB_TIMEOUT_MS',
    description: '/readyz answers 503 when the database does not answer `select 1` within this time (below the probe timeout of 2 s).',
    secret: false,
    default: '1000',
    min: 50,
    max: 60000,
  }),
  shutdownDelaySeconds: intVar({
    name: 'SHUTDOWN_DELAY_SECONDS',
    description:
      'After SIGTERM, how long the process keeps serving while /readyz already answers 503, before it stops accepting connections. 0 in Kubernetes, where the preStop sleep gives load balancers that time.',
    secret: false,
    default: '0',
    min: 0,
    max: 60,
  }),
  shutdownTimeoutSeconds: intVar({
    name: 'SHUTDOWN_TIMEOUT_SECONDS',
    description:
      'After SIGTERM, how long in-flight requests and open keep-alive connections may take before the process closes them and exits.',
    secret: false,
    default: String(SHUTDOWN.drainTimeoutSeconds),
    min: 1,
    max: 300,
  }),
} as const;

// ---- the migration command's variables ----------------------------------------------------------

/** What `node dist/migrate.js` (BACKEND.migrateCommand) reads: nothing else (no signing secret). */
export const MIGRATE_ENV = {
  databaseUrl: urlVar({
    name: 'DATABASE_URL',
    description: `PostgreSQL URL of a role that may change the schema (DDL); in Kubernetes from the Secret key ${SECRET_KEYS.migrationDatabaseUrl}.`,
    secret: true,
    protocols: ['postgres:', 'postgresql:'],
  }),
  logLevel: enumVar({ name: 'LOG_LEVEL', description: 'Minimum level of the JSON logs written to standard output.', secret: false, default: 'info', values: LOG_LEVELS }),
  lockTimeoutSeconds: intVar({
    name: 'MIGRATION_LOCK_TIMEOUT_SECONDS',
    description:
      'How long the command waits for the migration lock held by another process (logging every few seconds), then exits 1 naming the holder.',
    secret: false,
    default: '60',
    min: 1,
    max: 3600,
  }),
  connectDeadlineSeconds: intVar({
    name: 'MIGRATION_CONNECT_DEADLINE_SECONDS',
    description:
      'How long the command retries, with backoff, a database that is not reachable yet or has no connection slot free (too many connections), then exits 1.',
    secret: false,
    default: '60',
    min: 1,
    max: 3600,
  }),
  appRole: stringVar({
    name: 'MIGRATION_APP_ROLE',
    description:
      "The application's PostgreSQL role, when it differs from the migration's: after migrating, the command grants it SELECT, INSERT, UPDATE and DELETE on the tables, and nothing else.",
    secret: false,
    optional: true,
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
    accepts: 'a PostgreSQL role name (lower-case letters, digits, _)',
  }),
} as const;

/** PostgreSQL connections one migration process holds at a time (the connection budget counts them per pod). */
export const MIGRATION_CONNECTIONS = 1;

// ---- the frontend server's variables -----------------------------------------------------------

export const FRONTEND_ENV = {
  port: intVar({ name: 'PORT', description: 'TCP port the web server listens on.', secret: false, default: String(FRONTEND.port), min: 1, max: 65535 }),
  host: stringVar({ name: 'HOST', description: 'Address the web server binds to.', secret: false, default: '0.0.0.0' }),
  logLevel: enumVar({ name: 'LOG_LEVEL', description: 'Minimum level of the JSON logs written to standard output.', secret: false, default: 'info', values: LOG_LEVELS }),
  apiBaseUrl: urlVar({
    name: 'API_BASE_URL',
    description: `Where the browser sends API calls, served to it at run time in ${FRONTEND.runtimeConfigPath}. Keep the same-origin default behind an Ingress.`,
    secret: false,
    default: BACKEND.apiPrefix,
    protocols: ['http:', 'https:'],
    allowRelativePath: true,
  }),
  apiUpstream: urlVar({
    name: 'API_UPSTREAM',
    description: `When set, the web server proxies ${BACKEND.apiPrefix}/* to this backend URL (used where no Ingress routes ${BACKEND.apiPrefix}, e.g. a NodePort in dev).`,
    secret: false,
    optional: true,
    protocols: ['http:', 'https:'],
  }),
  shutdownDelaySeconds: intVar({
    name: 'SHUTDOWN_DELAY_SECONDS',
    description:
      'After SIGTERM, how long the process keeps serving while /readyz already answers 503, before it stops accepting connections. 0 in Kubernetes, where the preStop sleep gives load balancers that time.',
    secret: false,
    default: '0',
    min: 0,
    max: 60,
  }),
  shutdownTimeoutSeconds: intVar({
    name: 'SHUTDOWN_TIMEOUT_SECONDS',
    description:
      'After SIGTERM, how long in-flight requests and open keep-alive connections may take before the process closes them and exits.',
    secret: false,
    default: String(SHUTDOWN.drainTimeoutSeconds),
    min: 1,
    max: 300,
  }),
} as const;

export type BackendEnv = EnvValues<typeof BACKEND_ENV>;
export type MigrateEnv = EnvValues<typeof MIGRATE_ENV>;
export type FrontendEnv = EnvValues<typeof FRONTEND_ENV>;
