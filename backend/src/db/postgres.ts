/**
 * A `pg` pool as the `Database` the API uses. Every wait on the database is bounded, so that a stalled
 * or partitioned server (one that accepts bytes but never answers) gives a quick 503 rather than a
 * hang: the wait for a pooled connection or a new one (`acquireTimeoutMs`), each statement on the
 * client side (`queryTimeoutMs`; the connection is then dropped) and on the server side
 * (`statementTimeoutMs`, PostgreSQL cancels it cleanly), TCP keepalive on idle connections, and
 * `close()` itself (`closeTimeoutMs`: a stalled server never acknowledges a goodbye).
 */
import { createHash } from 'node:crypto';
import { BACKEND_ENV } from '@todo/contract';
import pg from 'pg';
import { type Connection, type Database, type QueryOptions, type QueryResult, withTimeout } from './types';

export interface PostgresOptions {
  connectionString: string;
  max: number;
  /** The bounds; each defaults to its variable's default in the contract (BACKEND_ENV). */
  acquireTimeoutMs?: number;
  queryTimeoutMs?: number;
  statementTimeoutMs?: number;
  keepAliveSeconds?: number;
  /** How long close() waits for the connections to say goodbye before it gives up on them. */
  closeTimeoutMs?: number;
  /** Called for errors of idle pooled connections (e.g. the server restarted); they must not crash the process. */
  onError?: (err: Error) => void;
}

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

/** A pool whose connections are opened lazily: constructing it never fails on an unreachable server. */
export function createPostgres(opts: PostgresOptions): Database {
  const byDefault = (spec: { default: string }) => Number(spec.default);
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max,
    connectionTimeoutMillis: opts.acquireTimeoutMs ?? byDefault(BACKEND_ENV.dbAcquireTimeoutMs),
    idleTimeoutMillis: 30_000,
    query_timeout: opts.queryTimeoutMs ?? byDefault(BACKEND_ENV.dbQueryTimeoutMs),
    statement_timeout: opts.statementTimeoutMs ?? byDefault(BACKEND_ENV.dbStatementTimeoutMs),
    keepAlive: true,
    keepAliveInitialDelayMillis: (opts.keepAliveSeconds ?? byDefault(BACKEND_ENV.dbKeepAliveSeconds)) * 1000,
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

  const query = async <R>(sql: string, params?: readonly unknown[], qopts?: QueryOptions): Promise<QueryResult<R>> => {
    const values = params as unknown[] | undefined;
    const res = qopts?.prepare ? await pool.query({ name: nameOf(sql), text: sql, values }) : await pool.query(sql, values);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  };

  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // A connection that failed mid-way may hold session state (a lock, an open transaction): drop it.
      client.release(broken);
    }
  }

  return {
    kind: 'postgres',
    query,
    async ping(timeoutMs) {
      await withTimeout(query('select 1'), timeoutMs, `the database did not answer within ${timeoutMs} ms`);
    },
    // A new replica gets its share of the traffic the moment it is ready: its connections are opened
    // (TCP, SCRAM authentication) before that, not under the first requests' acquire timeout.
    async warm(n) {
      const clients = await Promise.allSettled(Array.from({ length: Math.min(n, opts.max) }, () => pool.connect()));
      for (const c of clients) if (c.status === 'fulfilled') c.value.release();
      const failed = clients.find((c) => c.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
    withConnection: (fn) => withClient((client) => fn(connectionOf(client))),
    transaction: (fn) =>
      withClient(async (client) => {
        await client.query('begin');
        try {
          const result = await fn(connectionOf(client));
          await client.query('commit');
          return result;
        } catch (err) {
          await client.query('rollback').catch(() => {});
          throw err;
        }
      }),
    async close() {
      const ms = opts.closeTimeoutMs ?? 2000;
      await withTimeout(pool.end(), ms, `the database connections did not close within ${ms} ms`);
    },
  };
}
