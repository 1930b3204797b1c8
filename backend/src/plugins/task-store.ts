/**
 * The database and its stores as decorators: `app.db` (the `Database`), `app.accounts` (users and
 * sessions, src/db/account-store.ts), `app.tasks` (src/db/task-store.ts, with the idempotent
 * create of src/db/idempotency.ts), `app.reminders` (src/db/reminders.ts) and `app.settings` (the
 * user's time zone, src/db/settings-store.ts). The database is closed when the app closes (unless it is shared:
 * the tests run several apps on one), within the bound of its own close().
 */
import fp from 'fastify-plugin';
import { type AccountStore, createAccountStore } from '../db/account-store';
import { createIdempotentCreate } from '../db/idempotency';
import { createReminderStore, type ReminderStore } from '../db/reminders';
import { createSettingsStore, type SettingsStore } from '../db/settings-store';
import { createTaskStore, type TaskStore } from '../db/task-store';
import type { Database } from '../db/types';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    accounts: AccountStore;
    tasks: TaskStore & { createIdempotent: ReturnType<typeof createIdempotentCreate> };
    reminders: ReminderStore;
    settings: SettingsStore;
  }
}

export const taskStore = fp<{ db: Database; closeDatabase: boolean }>(
  (app, { db, closeDatabase }, done) => {
    app.decorate('db', db);
    app.decorate('accounts', createAccountStore(db));
    app.decorate('tasks', { ...createTaskStore(db), createIdempotent: createIdempotentCreate(db) });
    app.decorate('reminders', createReminderStore(db));
    app.decorate('settings', createSettingsStore(db));
    if (closeDatabase) {
      app.addHook('onClose', async () => {
        await db.close().catch((err: Error) => app.log.warn({ error: err.message }, 'shutdown: closing the database failed'));
      });
    }
    done();
  },
  { name: 'task-store' },
);
