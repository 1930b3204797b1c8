/**
 * Embedded PGlite (PostgreSQL compiled to WebAssembly), used when DATABASE_URL is unset: local
 * development and the unit tests. It is loaded with a dynamic import only then, and it is left out
 * of the production bundle (esbuild marks it external; the image has no node_modules), so a
 * container without DATABASE_URL fails with a clear message instead.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Connection, Database, QueryResult } from './types';

export class PgliteUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      'DATABASE_URL is required: it is unset, and the embedded development database (@electric-sql/pglite) is not installed in this build. ' +
        'Set DATABASE_URL to a PostgreSQL URL (postgres://user:password@host:5432/db).',
    );
    this.name = 'PgliteUnavailableError';
    this.cause = cause;
  }
}

export interface PgliteOptions {
  /** A directory for a persistent database; unset keeps it in memory. */
  dataDir?: string;
  /**
   * In-memory only: a directory where a snapshot of a freshly initialised (empty) cluster is kept,
   * keyed by the PGlite version. Creating a cluster (initdb) takes several seconds of CPU; loading
   * the snapshot takes about one. `false` disables it.
   */
  snapshotDir?: string | false;
}

export const DEFAULT_SNAPSHOT_DIR = path.join(os.tmpdir(), 'todo-backend-pglite');

export type PgliteModule = typeof import('@electric-sql/pglite');

/** Loads PGlite, or throws `PgliteUnavailableError` (it is not part of the production image). */
export async function loadPglite(): Promise<PgliteModule> {
  try {
    return await import('@electric-sql/pglite');
  } catch (err) {
    throw new PgliteUnavailableError(err);
  }
}

function pgliteVersion(): string | undefined {
  try {
    const entry = require.resolve('@electric-sql/pglite');
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version;
  } catch {
    return undefined;
  }
}

async function createInMemory(mod: PgliteModule, snapshotDir: string | false): Promise<PGlite> {
  const version = snapshotDir ? pgliteVersion() : undefined;
  if (!snapshotDir || !version) return mod.PGlite.create();
  const file = path.join(snapshotDir, `empty-cluster-${version}.tar`);
  let tar: Buffer | undefined;
  try {
    tar = readFileSync(file);
  } catch {
    tar = undefined;
  }
  if (tar) {
    try {
      return await mod.PGlite.create({ loadDataDir: new Blob([tar]) });
    } catch {
      rmSync(file, { force: true }); // a damaged snapshot: make a new one
    }
  }
  const db = await mod.PGlite.create();
  try {
    const dump = await db.dumpDataDir('none');
    mkdirSync(snapshotDir, { recursive: true });
    // Written under a unique name, then renamed: concurrent processes never read half a file.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, file);
  } catch {
    // The snapshot only saves time; the database works without it.
  }
  return db;
}

export async function createPglite(opts: PgliteOptions = {}, loaded?: PgliteModule): Promise<Database> {
  const mod = loaded ?? (await loadPglite());
  const db = opts.dataDir
    ? await mod.PGlite.create(opts.dataDir)
    : await createInMemory(mod, opts.snapshotDir === undefined ? DEFAULT_SNAPSHOT_DIR : opts.snapshotDir);

  const query = async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    const res = await db.query<R>(sql, params as unknown[] | undefined);
    // As pg's rowCount: the rows a SELECT (or RETURNING) gave, else the rows a write touched.
    return { rows: res.rows, rowCount: res.rows.length || (res.affectedRows ?? 0) };
  };
  const conn: Connection = {
    query,
    async exec(sql) {
      await db.exec(sql);
    },
  };
  let closed = false;
  return {
    kind: 'pglite',
    query,
    async ping() {
      if (closed) throw new Error('the database is closed');
      await query('select 1');
    },
    // PGlite has exactly one connection; it serialises queries itself.
    withConnection: (fn) => fn(conn),
    // PGlite's own transaction holds its one connection for `fn` alone (other queries wait).
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          async query<R>(sql: string, params?: readonly unknown[]) {
            const res = await tx.query<R>(sql, params as unknown[] | undefined);
            return { rows: res.rows, rowCount: res.rows.length || (res.affectedRows ?? 0) };
          },
          async exec(sql: string) {
            await tx.exec(sql);
          },
        }),
      ),
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
