import pg from 'pg';
import { type Connection, type Database, type QueryResult, withTimeout } from './types';

export interface PostgresOptions {
  connectionString: string;
  max: number;
  /** Called for errors of idle pooled connections (e.g. the server restarted); they must not crash the process. */
  onError?: (err: Error) => void;
}

/** A `pg` pool. Connections are opened lazily: constructing it never fails on an unreachable server. */
export function createPostgres(opts: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A runaway query cannot hold a connection (or a drain) for long.
    statement_timeout: 15_000,
    application_name: 'todo-backend',
  });
  pool.on('error', (err) => opts.onError?.(err));

  const query = async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    const res = await pool.query(sql, params as unknown[] | undefined);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  };

  return {
    kind: 'postgres',
    query,
    async ping(timeoutMs) {
      await withTimeout(query('select 1'), timeoutMs, `the database did not answer within ${timeoutMs} ms`);
    },
    async withConnection(fn) {
      const client = await pool.connect();
      const conn: Connection = {
        async query<R>(sql: string, params?: readonly unknown[]) {
          const res = await client.query(sql, params as unknown[] | undefined);
          return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
        },
        async exec(sql) {
          await client.query(sql);
        },
      };
      let broken: Error | undefined;
      try {
        return await fn(conn);
      } catch (err) {
        broken = err as Error;
        throw err;
      } finally {
        // A connection that failed mid-way may hold session state (a lock, an open transaction): drop it.
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
