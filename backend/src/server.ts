/**
 * Entry point of the API server (bundled by esbuild into dist/server.js). Configuration comes only
 * from the environment (contract BACKEND_ENV); a missing or malformed variable stops the start with
 * one message naming it, and exit code 1.
 *
 * With DATABASE_URL: PostgreSQL through a pool; the schema is migrated beforehand by
 * `node dist/migrate.js` (the init container), never here. Without it: embedded PGlite (in memory,
 * or PGLITE_DATA_DIR), migrated at start, for local development.
 */
import { EnvError } from '@todo/contract';
import { shutdownOnSignals } from '@todo/server-kit';
import { createBackend } from './app';
import { loadConfig } from './config';
import { migrate } from './db/migrator';
import { createPglite, loadPglite, PgliteUnavailableError } from './db/pglite';
import { createPostgres } from './db/postgres';
import type { Database } from './db/types';

function fatal(message: string): never {
  process.stderr.write(`backend: ${message}\n`);
  process.exit(1);
}

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof EnvError) fatal(err.message);
    throw err;
  }

  // Without DATABASE_URL, PGlite must be installed (it is not, in the image): say so before listening.
  let pgliteModule;
  if (!config.databaseUrl) {
    try {
      pgliteModule = await loadPglite();
    } catch (err) {
      if (err instanceof PgliteUnavailableError) fatal(err.message);
      throw err;
    }
  }

  // The database handle is created first (lazily connecting), so the backend can listen at once:
  // /healthz answers while /readyz waits for the database (PGlite takes a few seconds to start).
  let db: Database | undefined;
  const pending: Promise<Database> = config.databaseUrl
    ? Promise.resolve(
        createPostgres({
          connectionString: config.databaseUrl,
          max: config.dbPoolMax,
          acquireTimeoutMs: config.dbAcquireTimeoutMs,
          queryTimeoutMs: config.dbQueryTimeoutMs,
          statementTimeoutMs: config.dbStatementTimeoutMs,
          keepAliveSeconds: config.dbKeepAliveSeconds,
          onError: (err) => backend.app.log.warn({ error: err.message }, 'database connection error (idle client)'),
        }),
      )
    : createPglite({ dataDir: config.pgliteDataDir }, pgliteModule);

  // Requests that arrive while PGlite is still starting wait for it.
  const lazyDb: Database = {
    get kind() {
      return db?.kind ?? (config.databaseUrl ? 'postgres' : 'pglite');
    },
    query: async (sql, params, opts) => (db ?? (await pending)).query(sql, params, opts),
    ping: async (ms) => (db ?? (await pending)).ping(ms),
    withConnection: async (fn) => (db ?? (await pending)).withConnection(fn),
    transaction: async (fn) => (db ?? (await pending)).transaction(fn),
    close: async () => (await pending.catch(() => undefined))?.close(),
  };

  const backend = createBackend({
    db: lazyDb,
    jwtSecret: config.jwtSecret,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    sessionIdleTimeoutSeconds: config.sessionIdleTimeoutSeconds,
    sessionMaxAgeSeconds: config.sessionMaxAgeSeconds,
    sessionRefreshGraceSeconds: config.sessionRefreshGraceSeconds,
    sessionCookieSecure: config.sessionCookieSecure,
    loginRateLimitPerMinute: config.loginRateLimitPerMinute,
    loginAccountRateLimitPerMinute: config.loginAccountRateLimitPerMinute,
    writeRateLimitPerMinute: config.writeRateLimitPerMinute,
    taskQuota: config.taskQuota,
    trustedProxies: config.trustedProxies,
    passwordHashConcurrency: config.passwordHashConcurrency,
    readinessTimeoutMs: config.readinessTimeoutMs,
    logLevel: config.logLevel,
    schemaChecked: !config.databaseUrl,
  });
  const { app } = backend;
  shutdownOnSignals(app, { delaySeconds: config.shutdownDelaySeconds, timeoutSeconds: config.shutdownTimeoutSeconds });

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    fatal(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  app.log.info({ host: config.host, port: config.port, database: config.databaseUrl ? 'postgres' : config.pgliteDataDir ? 'pglite (file)' : 'pglite (memory)' }, 'listening');

  try {
    db = await pending;
    if (db.kind === 'pglite') {
      const report = await migrate(db, { info: (m, f) => app.log.info(f ?? {}, m), warn: (m, f) => app.log.warn(f ?? {}, m) });
      app.log.warn(
        { schemaVersion: report.current, dataDir: config.pgliteDataDir ?? null },
        'using the embedded PGlite database (development only): set DATABASE_URL for PostgreSQL',
      );
    }
  } catch (err) {
    fatal(`cannot open the database: ${(err as Error).message}`);
  }
  // PostgreSQL: the pool's connections opened before the first requests (a database that is down now
  // is no reason not to start: /readyz says so, and the pool connects once it is back).
  const t0 = Date.now();
  await db.warm?.(config.dbPoolMax).then(
    () => app.log.info({ connections: config.dbPoolMax, ms: Date.now() - t0 }, 'database connections opened'),
    (err: Error) => app.log.warn({ err: err.message }, 'could not open the database connections ahead of traffic'),
  );
  app.lifecycle.markReady();
  app.log.info('ready');
}

main().catch((err: Error) => fatal(err.stack ?? err.message));
