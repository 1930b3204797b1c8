/**
 * Reminders (migration 5): an open task's `remind_at` is due once that instant has passed, until it
 * is acknowledged (`reminder_acknowledged_at`), which any device may do: the state is the server's,
 * so a reminder seen on the phone is not shown again on the laptop, and one that came due while no
 * device was open is listed when the user comes back.
 */
import type { ReminderAcknowledge } from '@todo/contract';
import { lockUser } from './series';
import { isoSql, PREPARED, SESSION_OK, SESSION_INVALID, TASK_JSON } from './sql';
import type { Database } from './types';

export function createReminderStore(db: Database) {
  return {
    /**
     * `ReminderList` as JSON text: the server's clock and user $1's open tasks whose reminder is due by
     * now + `withinMinutes` and not acknowledged, oldest first, at most `limit`; one statement that
     * also checks the session.
     */
    async due(userId: string, jti: string, withinMinutes: number, limit: number): Promise<string | typeof SESSION_INVALID> {
      const { rows } = await db.query<{ ok: boolean; json: string }>(
        `select ${SESSION_OK('$2')} as ok, json_build_object('now', ${isoSql('now()')}, 'items', coalesce(
           (select json_agg(${TASK_JSON} order by remind_at, id) from (
              select * from tasks where user_id = $1 and remind_at is not null and reminder_acknowledged_at is null and not completed
                and remind_at <= now() + make_interval(mins => $3::int) order by remind_at, id limit $4) due), '[]'))::text as json`,
        [userId, jti, withinMinutes, limit],
        PREPARED,
      );
      return rows[0]!.ok ? rows[0]!.json : SESSION_INVALID;
    },

    /**
     * Acknowledges each reminder that still is what the client saw (same task, same `remindAt`, not yet
     * acknowledged); returns how many were, or SESSION_INVALID. The user's row is locked first, as in
     * every task write (src/db/series.ts).
     */
    async acknowledge(userId: string, jti: string, items: ReminderAcknowledge['items']): Promise<number | typeof SESSION_INVALID> {
      return db.transaction(async (tx) => {
        if (!(await lockUser(tx, userId, jti))) return SESSION_INVALID;
        const { rowCount } = await tx.query(
          `update tasks t set reminder_acknowledged_at = now()
           from unnest($2::uuid[], $3::timestamptz[]) as a(id, at)
           where t.id = a.id and t.user_id = $1 and t.remind_at = a.at and t.reminder_acknowledged_at is null`,
          [userId, items.map((i) => i.taskId), items.map((i) => i.remindAt)],
          PREPARED,
        );
        return rowCount;
      });
    },
  };
}

export type ReminderStore = ReturnType<typeof createReminderStore>;
