/** The user's settings (migration 5): the IANA time zone recurring tasks and reminders are computed in. */
import { PREPARED } from './sql';
import type { Queryable } from './types';

export function createSettingsStore(db: Queryable) {
  return {
    async timeZone(userId: string): Promise<string | undefined> {
      const { rows } = await db.query<{ time_zone: string }>('select time_zone from users where id = $1', [userId], PREPARED);
      return rows[0]?.time_zone;
    },
    /** Stores `zone` (already checked and spelled as the runtime spells it); false when the user is gone. */
    async setTimeZone(userId: string, zone: string): Promise<boolean> {
      const { rowCount } = await db.query('update users set time_zone = $2 where id = $1 and time_zone is distinct from $2', [userId, zone], PREPARED);
      return rowCount > 0 || (await this.timeZone(userId)) !== undefined;
    },
  };
}

export type SettingsStore = ReturnType<typeof createSettingsStore>;
