/**
 * `node dist/migrate.js` (contract BACKEND.migrateCommand): applies pending migrations to the
 * PostgreSQL database in DATABASE_URL and exits 0, or exits 1 with one clear message. Run as an
 * init container in every backend replica, so several may run at once: they serialise on a
 * PostgreSQL advisory lock (src/db/migrator.ts). Retries the connection for a while, because the
 * database may still be starting when the pod does.
 */
import { BACKEND_ENV, EnvError, loadEnv } from '@todo/contract';
import pg from 'pg';
import { migrateConnection } from './db/migrator';
import { connectionOf } from './db/postgres';

const CONNECT_DEADLINE_MS = 60_000;
/** Worth retrying: the server is not (yet) reachable or still starting up. */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', '57P03', '57P01']);

const env = (() => {
  try {
    return loadEnv({ databaseUrl: BACKEND_ENV.databaseUrl, logLevel: BACKEND_ENV.logLevel }, process.env);
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`migrate: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
})();

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}) {
  if (LEVELS[level] < LEVELS[env.logLevel]) return;
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'backend-migrate', msg, ...fields })}\n`);
}

function describe(err: unknown): string {
  const e = err as Error & { code?: string };
  return e.code ? `${e.message || e.code} (${e.code})` : e.message;
}

async function connect(url: string): Promise<pg.Client> {
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'todo-backend-migrate' });
    client.on('error', () => {}); // reported through the failing query instead
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      const code = String((err as { code?: string }).code);
      if (!TRANSIENT.has(code) || Date.now() - t0 > CONNECT_DEADLINE_MS) throw err;
      log('warn', 'database not reachable yet; retrying', { attempt, error: describe(err) });
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 3_000)));
    }
  }
}

async function main() {
  if (!env.databaseUrl) {
    process.stderr.write(`migrate: ${BACKEND_ENV.databaseUrl.name} is required: the PostgreSQL database to migrate (postgres://user:password@host:5432/db)\n`);
    process.exit(1);
  }
  const t0 = Date.now();
  const client = await connect(env.databaseUrl);
  try {
    const conn = connectionOf(client);
    const report = await migrateConnection(conn, { info: (m, f) => log('info', m, f), warn: (m, f) => log('warn', m, f) });
    log('info', report.applied.length ? `migrations: ${report.applied.length} applied` : 'migrations: the schema is up to date', {
      schemaVersion: report.current,
      applied: report.applied.map((a) => a.version),
      ms: Date.now() - t0,
    });
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
