/**
 * The small database interface the API uses, implemented over a `pg` pool (PostgreSQL) and over
 * embedded PGlite (local development and the unit tests). Both speak PostgreSQL's SQL dialect.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Keep the statement prepared on each connection (PostgreSQL parses and plans it once, not on
   * every call). Only for statements whose text comes from a small fixed set.
   */
  prepare?: boolean;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>>;
}

/** One dedicated connection: what the migrator needs (session-level advisory lock, transactions). */
export interface Connection extends Queryable {
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Resolves when the database answers `select 1` within `timeoutMs`; rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
  /** Runs `fn` on one connection held for its duration. */
  withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  /** Opens up to `n` pooled connections ahead of traffic (PostgreSQL); resolves when they are open. */
  warm?(n: number): Promise<void>;
  close(): Promise<void>;
}

/** Rejects with `message` if `promise` has not settled after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
