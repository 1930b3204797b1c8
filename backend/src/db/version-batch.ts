/**
 * The list cache's per-request check (src/list-cache.ts), batched: "is the session (user, token)
 * still valid, and what is the user's tasks_version now?".
 *
 * Every request still gets an answer read by a statement that *started after the request arrived*:
 * a request waits for the next statement to be sent, never joins one already in flight. The checks
 * of all requests that arrived while a statement was running (any users, any tokens) go together
 * in the next one. So a write or a log-out committed before a request was sent is always seen, on
 * every replica, exactly as with one statement per request, for a fraction of the round trips.
 */
import { SESSION_INVALID } from './sql';
import type { Queryable } from './types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SQL = `select x.i::int as i,
    (select u.tasks_version::text from users u where u.id = x.uid and not exists (select 1 from revoked_tokens r where r.jti = x.jti)) as version
  from unnest($1::uuid[], $2::uuid[]) with ordinality as x(uid, jti, i)`;

type Waiter = { resolve: (v: string | typeof SESSION_INVALID) => void; reject: (err: unknown) => void };

export interface VersionChecker {
  /** The user's tasks_version as text, or SESSION_INVALID (no such user, or the token was revoked). */
  check(userId: string, jti: string): Promise<string | typeof SESSION_INVALID>;
  /** Statements sent so far (tests, diagnostics). */
  readonly statements: number;
}

export function createVersionChecker(db: Queryable): VersionChecker {
  let pending = new Map<string, { userId: string; jti: string; waiters: Waiter[] }>();
  let inFlight = false;
  let scheduled = false;
  let statements = 0;

  async function flush() {
    scheduled = false;
    if (inFlight || pending.size === 0) return;
    inFlight = true;
    const batch = [...pending.values()];
    pending = new Map();
    statements++;
    try {
      const { rows } = await db.query<{ i: number; version: string | null }>(SQL, [batch.map((b) => b.userId), batch.map((b) => b.jti)], { prepare: true });
      const byIndex = new Map(rows.map((r) => [Number(r.i), r.version]));
      batch.forEach((b, n) => {
        const v = byIndex.get(n + 1);
        const answer = v === null || v === undefined ? SESSION_INVALID : String(v);
        for (const w of b.waiters) w.resolve(answer);
      });
    } catch (err) {
      for (const b of batch) for (const w of b.waiters) w.reject(err);
    } finally {
      inFlight = false;
      // Requests that arrived meanwhile: their statement is sent now (after their arrival).
      if (pending.size) void flush();
    }
  }

  return {
    get statements() {
      return statements;
    },
    check(userId, jti) {
      if (!UUID.test(userId) || !UUID.test(jti)) return Promise.resolve(SESSION_INVALID);
      return new Promise((resolve, reject) => {
        const key = `${userId} ${jti}`;
        let entry = pending.get(key);
        if (!entry) pending.set(key, (entry = { userId, jti, waiters: [] }));
        entry.waiters.push({ resolve, reject });
        if (!inFlight && !scheduled) {
          // Gather the requests parsed in this same turn of the event loop.
          scheduled = true;
          process.nextTick(() => void flush());
        }
      });
    },
  };
}
