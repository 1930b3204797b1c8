import type { Connection, Database, QueryResult } from '../src/db/types';

/**
 * A database double for the tests that are about the HTTP layer, not SQL: every query answers
 * after `delayMs` with the rows `answer` gives (or fails when `failing` is set).
 */
export function stubDatabase(answer: (sql: string, params?: readonly unknown[]) => unknown[] = () => []) {
  const state = { delayMs: 0, failing: false, closed: false, queries: 0 };
  const query = async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    state.queries++;
    if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
    if (state.failing || state.closed) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const rows = answer(sql, params) as R[];
    return { rows, rowCount: rows.length };
  };
  const db: Database = {
    kind: 'postgres',
    query,
    async ping(timeoutMs) {
      if (state.delayMs > timeoutMs) throw new Error(`the database did not answer within ${timeoutMs} ms`);
      await query('select 1');
    },
    withConnection: (fn) => fn({ query, exec: async () => {} } as Connection),
    transaction: (fn) => fn({ query, exec: async () => {} } as Connection),
    async close() {
      state.closed = true;
    },
  };
  return { db, state };
}
