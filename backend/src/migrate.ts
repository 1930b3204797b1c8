/**
 * `node dist/migrate.js` (contract BACKEND.migrateCommand): applies pending migrations to the
 * PostgreSQL database in DATABASE_URL and exits 0, or exits 1 with one clear message. It reads only
 * the contract's MIGRATE_ENV (no signing secret). Run as an init container in every backend replica,
 * so several may run at once: they serialise on a PostgreSQL advisory lock, waiting at most
 * MIGRATION_LOCK_TIMEOUT_SECONDS (src/db/migrator.ts). A database that is not reachable yet, or has
 * no connection slot free (SQLSTATE 53300, too many connections), is retried with exponential
 * backoff for MIGRATION_CONNECT_DEADLINE_SECONDS.
 */
import { EnvError, loadEnv, MIGRATE_ENV, type MigrateEnv } from '@todo/contract';
import { createLogger } from '@todo/server-kit/logger';
import pg from 'pg';
import { migrateConnection } from './db/migrator';
import { MIGRATIONS } from './db/migrations';
import { connectionOf } from './db/postgres';

/** Worth retrying: the server is not (yet) reachable, still starting up, or out of connection slots. */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', '57P03', '57P01', '53300']);

let env: MigrateEnv;
try {
  env = loadEnv(MIGRATE_ENV, process.env);
} catch (err) {
  if (err instanceof EnvError) {
    process.stderr.write(`migrate: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
const log = createLogger('backend-migrate', env.logLevel);

function describe(err: unknown): string {
  const e = err as Error & { code?: string };
  return e.code ? `${e.message || e.code} (${e.code})` : e.message;
}

/** Exponential backoff with jitter: 250 ms, 500 ms, 1 s, … at most 5 s between attempts. */
const backoffMs = (attempt: number, random = Math.random) => Math.round(Math.min(250 * 2 ** (attempt - 1), 5_000) * (0.5 + random() / 2));

async function connect(url: string): Promise<pg.Client> {
  const t0 = Date.now();
  const deadline = env.connectDeadlineSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'todo-backend-migrate', keepAlive: true });
    client.on('error', () => {}); // reported through the failing query instead
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      const code = String((err as { code?: string }).code);
      const wait = backoffMs(attempt);
      if (!TRANSIENT.has(code) || Date.now() - t0 + wait > deadline) throw err;
      log.warn({ attempt, retryInMs: wait, error: describe(err) }, code === '53300' ? 'the database has no connection slot free; retrying' : 'database not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function main() {
  const t0 = Date.now();
  const client = await connect(env.databaseUrl);
  try {
    const report = await migrateConnection(connectionOf(client), { info: (m, f) => log.info(f ?? {}, m), warn: (m, f) => log.warn(f ?? {}, m) }, MIGRATIONS, {
      lockTimeoutMs: env.lockTimeoutSeconds * 1000,
      appRole: env.appRole,
    });
    log.info(
      { schemaVersion: report.current, applied: report.applied.map((a) => a.version), ms: Date.now() - t0 },
      report.applied.length ? `migrations: ${report.applied.length} applied` : 'migrations: the schema is up to date',
    );
  } finally {
    await client.end().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`migrate: failed: ${describe(err)}\n`);
    process.exit(1);
  },
);
