/**
 * POST /api/tasks with an Idempotency-Key: the same key and body within IDEMPOTENCY_HOURS gives the
 * task the first request created again, as it is now, with the first request's status (the task is
 * created once); the same key with another body is refused (the route answers 422). Keys are per
 * user, kept in `idempotency_keys` (migration 3); deleting the task forgets its key.
 */
import { createHash } from 'node:crypto';
import type { TaskCreate } from '@todo/contract';
import { PREPARED, TASK_JSON } from './sql';
import { type CreateOutcome, insertTask } from './task-store';
import type { Database, Queryable } from './types';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_HOURS = 24;

/** The request's fingerprint: its parsed body as JSON with sorted keys, hashed. */
export function requestHash(body: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('base64url');
}

/** An existing, unexpired key: its task as it is now, or key-reused when the body differs. */
async function storedKey(q: Queryable, userId: string, key: string, hash: string): Promise<CreateOutcome | undefined> {
  const { rows } = await q.query<{ request_hash: string; json: string | null; version: number | null }>(
    `select k.request_hash, t.json, t.version from idempotency_keys k
       left join (select id, ${TASK_JSON}::text as json, version from tasks) t on t.id = k.task_id
     where k.user_id = $1 and k.key = $2 and k.created_at > now() - interval '${IDEMPOTENCY_HOURS} hours'`,
    [userId, key],
    PREPARED,
  );
  const row = rows[0];
  if (!row || row.json === null) return undefined;
  return row.request_hash === hash ? { kind: 'replayed', status: 201, task: { json: row.json, version: Number(row.version) } } : { kind: 'key-reused' };
}

/**
 * One transaction locks the user's row, claims the key (a concurrent request with the same key waits on
 * the row, then finds it), inserts the task and stores the response with the key. A refused create (session, quota) rolls
 * back and stores nothing, so the client may retry with the same key.
 */
export function createIdempotentCreate(db: Database) {
  let lastSweep = 0;
  return async (userId: string, jti: string, key: string, t: TaskCreate, quota: number): Promise<CreateOutcome> => {
    const hash = requestHash(t);
    // Expired keys are forgotten, at most once an hour per process.
    if (Date.now() - lastSweep > 3_600_000) {
      lastSweep = Date.now();
      void db.query(`delete from idempotency_keys where created_at < now() - interval '${IDEMPOTENCY_HOURS} hours'`).catch(() => {});
    }
    const known = await storedKey(db, userId, key, hash);
    if (known) return known;
    const refused = Symbol('refused');
    try {
      return await db.transaction(async (tx) => {
        await tx.query(`delete from idempotency_keys where user_id = $1 and key = $2 and created_at <= now() - interval '${IDEMPOTENCY_HOURS} hours'`, [userId, key]);
        // The user's row first (as the create does next): the key's foreign key would otherwise take a
        // share lock on it that a concurrent create of the same user, holding its own, waits on forever.
        await tx.query(`select 1 from users where id = $1 for update`, [userId], PREPARED);
        const claimed = await tx.query(
          `insert into idempotency_keys (user_id, key, request_hash)
           select $1, $2, $3 where exists (select 1 from users where id = $1)
           on conflict (user_id, key) do nothing returning 1`,
          [userId, key, hash],
          PREPARED,
        );
        // Claimed by a request that committed meanwhile (or the user is gone).
        if (claimed.rowCount === 0) return (await storedKey(tx, userId, key, hash)) ?? { kind: 'session' };
        const outcome = await insertTask(tx, userId, jti, t, quota);
        if (outcome.kind !== 'created') throw Object.assign(new Error('create refused'), { [refused]: outcome });
        await tx.query(`update idempotency_keys set task_id = ($3::text::json ->> 'id')::uuid where user_id = $1 and key = $2`, [userId, key, outcome.task.json], PREPARED);
        return outcome;
      });
    } catch (err) {
      const outcome = (err as { [refused]?: CreateOutcome })[refused];
      if (outcome) return outcome;
      throw err;
    }
  };
}
