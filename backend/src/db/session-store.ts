/**
 * The SQL of sessions (refresh-token families, migration 4). A refresh locks the session's row, so
 * concurrent refreshes of one session are decided one after another, on every replica; the decision
 * (src/auth/session-policy.ts `decideRefresh`) uses the database's clock.
 *
 * `access_expires_at` bounds the access tokens issued for a session (now + their lifetime, plus
 * CLOCK_MARGIN for the replicas' clocks, which sign them): ending the session keeps its id in
 * revoked_tokens until then.
 */
import type { User } from '@todo/contract';
import type { Database, Queryable } from './types';

export interface SessionRow {
  userId: string;
  email: string;
  userCreatedAt: string;
  generation: number;
  rotatedAt: number;
  expiresAt: number;
  endedAt: number | null;
  /** The database's clock, read in the same statement. */
  now: number;
}

/** What a refresh does with a session, decided from its row and the presented generation. */
/** `generation`: the one the new cookie carries; `idleDeadline` and `now` (ms) on the database's clock. */
export type RefreshOutcome =
  | { kind: 'rotated' | 'replayed'; user: User; generation: number; now: number; idleDeadline: number }
  | { kind: 'refused'; reason: 'unknown' | 'ended' | 'idle' | 'expired' | 'reuse' };

const CLOCK_MARGIN = "interval '5 minutes'";
const accessUntil = (param: string) => `now() + make_interval(secs => ${param}) + ${CLOCK_MARGIN}`;

const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : Date.parse(String(v)));

export function createSessionStore(db: Database) {
  /** Ends a session (if still running) and revokes its access tokens; in `q`'s transaction when given. */
  async function end(q: Queryable, sessionId: string, reason: string): Promise<boolean> {
    const { rows } = await q.query<{ id: string }>(
      `with ended as (
         update sessions set ended_at = coalesce(ended_at, now()), end_reason = coalesce(end_reason, $2)
         where id = $1 returning id, access_expires_at
       )
       insert into revoked_tokens (jti, expires_at) select id, greatest(access_expires_at, now()) from ended
       on conflict (jti) do update set expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)
       returning jti as id`,
      [sessionId, reason],
    );
    return rows.length > 0;
  }

  return {
    /** A new session of `userId`, generation 1. */
    async start(sessionId: string, userId: string, maxAgeSeconds: number, accessTtlSeconds: number): Promise<{ expiresAt: number; now: number }> {
      const { rows } = await db.query<{ expires_at: Date | string; now: Date | string }>(
        `insert into sessions (id, user_id, expires_at, access_expires_at)
         values ($1, $2, now() + make_interval(secs => $3), ${accessUntil('$4')}) returning expires_at, now() as now`,
        [sessionId, userId, maxAgeSeconds, accessTtlSeconds],
      );
      return { expiresAt: ms(rows[0]!.expires_at), now: ms(rows[0]!.now) };
    },

    /**
     * One refresh, in one transaction holding the session's row lock: `decide` says what to do with
     * the row as it is now; a rotation moves the generation on, a reuse (and an idle or expired
     * session) ends the session. `accessTtlSeconds`: the lifetime of the access token about to be issued.
     */
    async refresh(
      sessionId: string,
      presented: number,
      decide: (row: SessionRow, presented: number) => RefreshOutcome,
      accessTtlSeconds: number,
    ): Promise<RefreshOutcome> {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<Record<string, unknown>>(
          `select s.user_id, u.email, u.created_at as user_created_at, s.generation, s.rotated_at, s.expires_at, s.ended_at, now() as now
           from sessions s join users u on u.id = s.user_id where s.id = $1 for update of s`,
          [sessionId],
        );
        const r = rows[0];
        if (!r) return { kind: 'refused', reason: 'unknown' } as const;
        const row: SessionRow = {
          userId: String(r.user_id),
          email: String(r.email),
          userCreatedAt: new Date(ms(r.user_created_at)).toISOString(),
          generation: Number(r.generation),
          rotatedAt: ms(r.rotated_at),
          expiresAt: ms(r.expires_at),
          endedAt: r.ended_at == null ? null : ms(r.ended_at),
          now: ms(r.now),
        };
        const outcome = decide(row, presented);
        if (outcome.kind === 'rotated') {
          await tx.query(
            `update sessions set generation = $2, rotated_at = now(), access_expires_at = greatest(access_expires_at, ${accessUntil('$3')}) where id = $1`,
            [sessionId, outcome.generation, accessTtlSeconds],
          );
        } else if (outcome.kind === 'replayed') {
          await tx.query(`update sessions set access_expires_at = greatest(access_expires_at, ${accessUntil('$2')}) where id = $1`, [sessionId, accessTtlSeconds]);
        } else if (outcome.kind === 'refused' && outcome.reason !== 'ended' && outcome.reason !== 'unknown') {
          await end(tx, sessionId, outcome.reason);
        }
        return outcome;
      });
    },

    /** Ends the session and revokes its access tokens; false when there is no such session. */
    end: (sessionId: string, reason: string) => end(db, sessionId, reason),

    /** Forgets sessions past their absolute end and revocations past the expiry of every token they name. */
    async forgetExpired(): Promise<void> {
      await db.query('delete from sessions where expires_at < now()');
      await db.query('delete from revoked_tokens where expires_at < now()');
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
