/**
 * The backend as a Fastify application over a `Database`: each concern is a plugin in a file named
 * after it (src/plugins/, src/routes/), registered here in order. src/server.ts wires it to the
 * environment and the process; the tests build it over PGlite and use `inject`.
 */
import { AjvCompiler } from '@fastify/ajv-compiler';
import { BACKEND_ENV, LIMITS } from '@todo/contract';
import { applyHeadersTimeout, drain, logOptions, type LogLevel, registerCompression, serverTimeouts } from '@todo/server-kit';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { createPasswordHasher, DEFAULT_SCRYPT, type ScryptParams } from './auth/password';
import type { Database } from './db/types';
import { errorHandler, schemaErrorFormatter } from './errors';
import { authentication } from './plugins/authentication';
import { health } from './plugins/health';
import { listCache } from './plugins/list-cache';
import { metrics } from './plugins/metrics';
import { openapi } from './plugins/openapi';
import { rateLimits } from './plugins/rate-limits';
import { sessions } from './plugins/sessions';
import { taskStore } from './plugins/task-store';
import { wellFormed } from './plugins/well-formed';
import { accountRoutes } from './routes/accounts';
import { reminderRoutes } from './routes/reminders';
import { settingsRoutes } from './routes/settings';
import { taskRoutes } from './routes/tasks';

export interface BackendOptions {
  db: Database;
  jwtSecret: string;
  /** Lifetime of an access token (seconds). */
  accessTokenTtlSeconds: number;
  /** Lifetime of one refresh cookie, and the longest a session lasts (seconds; defaults: the contract's). */
  sessionIdleTimeoutSeconds?: number;
  sessionMaxAgeSeconds?: number;
  /** How long after a refresh the replaced cookie gets the same answer (seconds; default the contract's). */
  sessionRefreshGraceSeconds?: number;
  sessionCookieSecure?: 'always' | 'auto';
  /** Log-in and sign-up attempts per client address per minute. */
  loginRateLimitPerMinute: number;
  /** … per account per minute (default: as per address). */
  loginAccountRateLimitPerMinute?: number;
  /** Task writes per user per minute (default: unlimited for tests, 10^6). */
  writeRateLimitPerMinute?: number;
  /** Tasks one account may have (default 10^6). */
  taskQuota?: number;
  /** X-Forwarded-For is believed from these addresses and ranges only. */
  trustedProxies?: string[];
  logLevel?: LogLevel;
  /** Where log lines go (default: standard output). */
  logStream?: { write(line: string): void };
  scrypt?: ScryptParams;
  passwordHashConcurrency?: number;
  /** How long /readyz waits for the database (ms). */
  readinessTimeoutMs?: number;
  /** The database is migrated to this release's schema already (skips the check in /readyz). */
  schemaChecked?: boolean;
  /** Memory budget of the task-page cache (src/list-cache.ts), bytes; 0 disables it. */
  listCacheBytes?: number;
  /** Close `db` when the app closes (default true; false where several apps share it). */
  closeDatabase?: boolean;
}

export interface Backend {
  app: FastifyInstance;
  phase(): ReturnType<FastifyInstance['lifecycle']['phase']>;
  /** /readyz may answer 200 from now on (the database was opened and, for PGlite, migrated). */
  markReady(): void;
  /** The SIGTERM drain (server-kit `drain`); resolves `true` when no request was cut. */
  shutdown(opts: { delaySeconds: number; timeoutSeconds: number }): Promise<boolean>;
}

/**
 * Two ajv validators: request bodies are JSON and are checked as sent (a number is no string, a
 * string no array); query strings, path parameters and headers are text, so there `"2"` may become 2.
 * Neither strips unknown fields: `additionalProperties: false` rejects them.
 */
function validatorFactory() {
  const pool = AjvCompiler();
  type Pool = ReturnType<typeof AjvCompiler>;
  return (externalSchemas: Parameters<Pool>[0], options?: { customOptions?: object }) => {
    const make = (extra: object) =>
      pool(externalSchemas, { ...options, customOptions: { ...options?.customOptions, removeAdditional: false, allErrors: false, ...extra } } as Parameters<Pool>[1]);
    const strict = make({ coerceTypes: false });
    const coercing = make({ coerceTypes: 'array' });
    return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict(route as never) : finiteOnly(coercing(route as never)));
  };
}

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

/**
 * ajv's coercion of text to a number lets "1e400" through as Infinity (its range checks skip
 * non-finite numbers); PostgreSQL would refuse it. A coerced field that is not finite is a 400.
 */
function finiteOnly(validate: Validate): Validate {
  const wrapped: Validate = (data) => {
    const ok = validate(data);
    wrapped.errors = validate.errors;
    if (!ok || !data || typeof data !== 'object') return ok;
    for (const [name, value] of Object.entries(data)) {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        wrapped.errors = [{ instancePath: `/${name}`, schemaPath: '#/type', keyword: 'type', params: {}, message: 'must be a finite number' }];
        return false;
      }
    }
    return true;
  };
  return wrapped;
}

export function createBackend(opts: BackendOptions): Backend {
  const logger = { ...logOptions('backend', opts.logLevel ?? 'info'), ...(opts.logStream ? { stream: opts.logStream } : {}) };
  const app = Fastify({
    logger,
    // One line per request, written by server-kit's requestLog (src/plugins/metrics.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.bodyLimitBytes,
    // X-Forwarded-For names the client only when it comes from a configured proxy.
    trustProxy: opts.trustedProxies && opts.trustedProxies.length > 0 ? opts.trustedProxies : false,
    // During the drain, requests on open keep-alive connections are still served (with
    // `Connection: close`), not refused: the client may not have seen /readyz turn 503 yet.
    return503OnClosing: false,
    forceCloseConnections: false,
    ...serverTimeouts,
    schemaController: { compilersFactory: { buildValidator: validatorFactory() as never } },
    schemaErrorFormatter,
    routerOptions: { ignoreTrailingSlash: true },
  });
  applyHeadersTimeout(app);

  // JSON only: a text/plain body gets 415 rather than a confusing schema error.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  // Cheap, callback style: it runs on every response.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  const passwords = createPasswordHasher(opts.scrypt ?? DEFAULT_SCRYPT, opts.passwordHashConcurrency ?? 2);
  void app.register(drain);
  // Before every route: it learns them from onRoute (document, 405).
  void app.register(openapi);
  void app.register(metrics);
  void app.register(wellFormed);
  void app.register(registerCompression);
  void app.register(taskStore, { db: opts.db, closeDatabase: opts.closeDatabase ?? true });
  void app.register(rateLimits, {
    loginPerAddress: opts.loginRateLimitPerMinute,
    loginPerAccount: opts.loginAccountRateLimitPerMinute ?? opts.loginRateLimitPerMinute,
    writesPerUser: opts.writeRateLimitPerMinute ?? 1_000_000,
  });
  void app.register(authentication, { secret: opts.jwtSecret, ttlSeconds: opts.accessTokenTtlSeconds });
  const byDefault = (spec: { default: string }) => Number(spec.default);
  void app.register(sessions, {
    secret: opts.jwtSecret,
    accessTtlSeconds: opts.accessTokenTtlSeconds,
    idleTimeoutSeconds: opts.sessionIdleTimeoutSeconds ?? byDefault(BACKEND_ENV.sessionIdleTimeoutSeconds),
    maxAgeSeconds: opts.sessionMaxAgeSeconds ?? byDefault(BACKEND_ENV.sessionMaxAgeSeconds),
    refreshGraceSeconds: opts.sessionRefreshGraceSeconds ?? byDefault(BACKEND_ENV.sessionRefreshGraceSeconds),
    cookieSecure: opts.sessionCookieSecure ?? 'always',
  });
  void app.register(listCache, { maxBytes: opts.listCacheBytes });
  void app.register(health, { readinessTimeoutMs: opts.readinessTimeoutMs ?? 1000, schemaChecked: opts.schemaChecked ?? false });
  void app.register(accountRoutes, { passwords });
  void app.register(taskRoutes, { quota: opts.taskQuota ?? 1_000_000 });
  void app.register(reminderRoutes);
  void app.register(settingsRoutes);

  return {
    app,
    phase: () => (app.hasDecorator('lifecycle') ? app.lifecycle.phase() : 'starting'),
    markReady() {
      void app.ready().then(() => app.lifecycle.markReady());
    },
    async shutdown(o) {
      if (!app.hasDecorator('lifecycle')) await app.ready();
      return (await app.lifecycle.shutdown(o)).clean;
    },
  };
}
