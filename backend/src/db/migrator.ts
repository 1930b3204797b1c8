/**
 * Applies pending migrations (src/db/migrations.ts). Safe to run from several processes at once
 * (every replica's init container runs it): the whole run holds a PostgreSQL session-level
 * advisory lock, so one process migrates while the others wait, then find nothing to do.
 * Each migration runs in its own transaction together with its `schema_migrations` row.
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

const CREATE_TABLE = `
  create table if not exists schema_migrations (
    version integer primary key,
    name text not null,
    applied_at timestamptz not null default now()
  )`;

export async function migrateConnection(conn: Connection, log?: MigrateLog, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) throw new Error(`two migrations have version ${sorted[i]!.version}`);
  }
  const t0 = Date.now();
  await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  const waited = Date.now() - t0;
  if (waited > 200) log?.info('migrations: lock acquired after waiting (another process was migrating)', { waitedMs: waited });
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
    return { applied, unknown, current };
  } finally {
    await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
  }
}

export function migrate(db: Database, log?: MigrateLog): Promise<MigrationReport> {
  return db.withConnection((conn) => migrateConnection(conn, log));
}

/** The highest applied version, or 0 when the schema_migrations table does not exist yet. */
export async function schemaVersion(db: Database): Promise<number> {
  const exists = await db.query<{ t: string | null }>(`select to_regclass('schema_migrations')::text as t`);
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await db.query<{ v: number }>('select coalesce(max(version), 0)::int as v from schema_migrations');
  return Number(rows[0]?.v ?? 0);
}
