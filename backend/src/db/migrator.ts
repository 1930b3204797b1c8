/**
 * Applies pending migrations (src/db/migrations.ts). Safe to run from several processes at once
 * (every replica's init container runs it): the whole run holds a PostgreSQL session-level
 * advisory lock, so one process migrates while the others wait, then find nothing to do.
 * The wait is bounded (`lockTimeoutMs`): it logs every few seconds who holds the lock, and gives up
 * with an error naming the holder. Each migration runs in its own transaction together with its
 * `schema_migrations` row, with a lock_timeout, so that a migration waiting on a table lock behind
 * long queries fails instead of stalling every query queued behind it. `appRole`: after migrating,
 * that role gets SELECT, INSERT, UPDATE and DELETE on the tables (read-only on schema_migrations).
 */
import { type Migration, MIGRATIONS } from './migrations';
import type { Connection, Database } from './types';

/** Constant shared by every process that migrates this schema: "todo" in ASCII. */
export const MIGRATION_LOCK_KEY = 0x746f646f;

export interface MigrationReport {
  applied: { version: number; name: string; ms: number }[];
  /** Versions recorded in the database that this code does not know (a newer release migrated it). */
  unknown: number[];
  current: number;
}

export interface MigrateLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface MigrateOptions {
  /** How long to wait for the advisory lock (default: 60 s). */
  lockTimeoutMs?: number;
  /** How often to log while waiting for it. */
  lockLogEveryMs?: number;
  /** PostgreSQL's lock_timeout for each migration's statements (default: 10 s). */
  statementLockTimeoutMs?: number;
  /** The application's role, granted DML on the tables after migrating. */
  appRole?: string;
}

export class MigrationLockTimeout extends Error {
  constructor(waitedMs: number, holder: string) {
    super(`waited ${Math.round(waitedMs / 1000)} s for the migration lock, held by ${holder}; giving up (MIGRATION_LOCK_TIMEOUT_SECONDS)`);
    this.name = 'MigrationLockTimeout';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Who holds the advisory lock: application name, address, process id and since when. */
async function lockHolder(conn: Connection): Promise<string> {
  const { rows } = await conn.query<{ app: string | null; addr: string | null; pid: number; since: string | null; state: string | null }>(
    `select a.application_name as app, a.client_addr::text as addr, a.pid, to_char(a.backend_start, 'YYYY-MM-DD"T"HH24:MI:SS') as since, a.state
     from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and l.objid = $1`,
    [MIGRATION_LOCK_KEY],
  );
  const h = rows[0];
  return h ? `PostgreSQL backend ${h.pid} (application "${h.app ?? ''}", client ${h.addr ?? 'local'}, connected since ${h.since ?? '?'}, ${h.state ?? 'unknown state'})` : 'a session that has just released it';
}

/** Takes the advisory lock, waiting at most `timeoutMs`; logs the holder every `logEveryMs`. */
async function acquireLock(conn: Connection, log: MigrateLog | undefined, timeoutMs: number, logEveryMs: number): Promise<void> {
  const t0 = Date.now();
  let lastLog = -Infinity; // the first wait is logged at once, then every logEveryMs
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const { rows } = await conn.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [MIGRATION_LOCK_KEY]);
    if (rows[0]?.ok) {
      const waited = Date.now() - t0;
      if (waited > 200) log?.info('migrations: lock acquired after waiting (another process was migrating)', { waitedMs: waited });
      return;
    }
    const waited = Date.now() - t0;
    if (waited >= timeoutMs) throw new MigrationLockTimeout(waited, await lockHolder(conn));
    if (Date.now() - lastLog >= logEveryMs) {
      lastLog = Date.now();
      log?.warn('migrations: waiting for the migration lock', { waitedMs: waited, timeoutMs, holder: await lockHolder(conn) });
    }
    await sleep(Math.min(delay, timeoutMs - waited));
  }
}

const CREATE_TABLE = `
  create table if not exists schema_migrations (
    version integer primary key,
    name text not null,
    applied_at timestamptz not null default now()
  )`;

export async function migrateConnection(conn: Connection, log?: MigrateLog, migrations: readonly Migration[] = MIGRATIONS, opts: MigrateOptions = {}): Promise<MigrationReport> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) throw new Error(`two migrations have version ${sorted[i]!.version}`);
  }
  await acquireLock(conn, log, opts.lockTimeoutMs ?? 60_000, opts.lockLogEveryMs ?? 5_000);
  try {
    await conn.exec(CREATE_TABLE);
    const { rows } = await conn.query<{ version: number }>('select version from schema_migrations order by version');
    const done = new Set(rows.map((r) => Number(r.version)));
    const known = new Set(sorted.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length) log?.warn('migrations: the database has versions this release does not know (a newer release migrated it)', { unknown });
    const applied: MigrationReport['applied'] = [];
    for (const m of sorted) {
      if (done.has(m.version)) continue;
      const started = Date.now();
      await conn.exec('begin');
      try {
        await conn.exec(`set local lock_timeout = ${Math.round(opts.statementLockTimeoutMs ?? 10_000)}`);
        await conn.exec(m.sql);
        await conn.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
        await conn.exec('commit');
      } catch (err) {
        await conn.exec('rollback').catch(() => {});
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      const ms = Date.now() - started;
      applied.push({ version: m.version, name: m.name, ms });
      log?.info('migrations: applied', { version: m.version, name: m.name, ms });
    }
    const current = Math.max(0, ...done, ...applied.map((a) => a.version));
    if (opts.appRole) await grantApp(conn, opts.appRole, log);
    return { applied, unknown, current };
  } finally {
    await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
  }
}

/** The application's role may read and write rows, never change the schema or the migration record. */
async function grantApp(conn: Connection, role: string, log?: MigrateLog): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`not a plain role name: ${JSON.stringify(role)}`);
  await conn.exec(`grant usage on schema public to "${role}";
    grant select, insert, update, delete on all tables in schema public to "${role}";
    revoke insert, update, delete, truncate on schema_migrations from "${role}";`);
  log?.info('migrations: granted the application role DML on the tables', { role });
}

export function migrate(db: Database, log?: MigrateLog, opts?: MigrateOptions): Promise<MigrationReport> {
  return db.withConnection((conn) => migrateConnection(conn, log, MIGRATIONS, opts));
}

/** The highest applied version, or 0 when the schema_migrations table does not exist yet. */
export async function schemaVersion(db: Database): Promise<number> {
  const exists = await db.query<{ t: string | null }>(`select to_regclass('schema_migrations')::text as t`);
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await db.query<{ v: number }>('select coalesce(max(version), 0)::int as v from schema_migrations');
  return Number(rows[0]?.v ?? 0);
}
