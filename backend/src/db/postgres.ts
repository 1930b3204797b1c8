import { createHash } from 'node:crypto';
import pg from 'pg';
import { type Connection, type Database, type QueryOptions, type QueryResult, withTimeout } from './types';

export interface PostgresOptions {
  connectionString: string;
  max: number;
  /** Called for errors of idle pooled connections (e.g. the server restarted); they must not crash the process. */
  onError?: (err: Error) => void;
}

/** A `pg` pool. Connections are opened lazily: constructing it never fails on an unreachable server. */
/** One pg client (pooled or not) as the `Connection` the migrator and the stores use. */
export function connectionOf(client: pg.ClientBase): Connection {
  return {
    async query<R>(sql: string, params?: readonly unknown[]) {
      const res = await client.query(sql, params as unknown[] | undefined);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

export function createPostgres(opts: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A runaway query cannot hold a connection (or a drain) for long.
    statement_timeout: 15_000,
    application_name: 'todo-backend',
    // Prepared statements (QueryOptions.prepare) are planned once, not at every call: their
    // parameters (user id, page size, filters) do not change what the best plan is.
    options: '-c plan_cache_mode=force_generic_plan',
  });
  pool.on('error', (err) => opts.onError?.(err));

  // Prepared statements are named after their text; pg prepares each once per connection.
  const names = new Map<string, string>();
  const nameOf = (sql: string) => {
    let name = names.get(sql);
    if (!name) {
      name = `s_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
      names.set(sql, name);
    }
    return name;
  };

  const query = async <R>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> => {
    const values = params as unknown[] | undefined;
    const res = opts?.prepare ? await pool.query({ name: nameOf(sql), text: sql, values }) : await pool.query(sql, values);
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
      const conn = connectionOf(client);
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
