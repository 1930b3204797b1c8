import { BACKEND, FRONTEND, SHUTDOWN } from './runtime';

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
    description: 'Secret that signs the session tokens (HS256). Set this or JWT_SECRET_FILE.',
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
  jwtTtlSeconds: intVar({ name: 'JWT_TTL_SECONDS', description: 'Lifetime of a session token, in seconds.', secret: false, default: '3600', min: 60, max: 2592000 }),
  loginRateLimitPerMinute: intVar({
    name: 'LOGIN_RATE_LIMIT_PER_MINUTE',
    description: 'Log-in and sign-up attempts allowed per client address per minute.',
    secret: false,
    default: '10',
    min: 1,
    max: 10000,
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
    description: 'After SIGTERM, how long in-flight requests may take before the process exits anyway.',
    secret: false,
    default: String(SHUTDOWN.drainTimeoutSeconds),
    min: 1,
    max: 300,
  }),
} as const;

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
    description: 'After SIGTERM, how long in-flight requests may take before the process exits anyway.',
    secret: false,
    default: String(SHUTDOWN.drainTimeoutSeconds),
    min: 1,
    max: 300,
  }),
} as const;

export type BackendEnv = EnvValues<typeof BACKEND_ENV>;
export type FrontendEnv = EnvValues<typeof FRONTEND_ENV>;
