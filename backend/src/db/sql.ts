/**
 * SQL fragments shared by the stores (src/db/account-store.ts, src/db/task-store.ts) and the list
 * cache's version check (src/db/version-batch.ts).
 */

/** Keep the statement prepared on each connection (its text comes from a small fixed set). */
export const PREPARED = { prepare: true } as const;

/** Sent when the session check inside a statement failed (no such user, or the token's session ended). */
export const SESSION_INVALID = Symbol('session invalid');

/** A timestamp as JavaScript's toISOString() writes it (UTC, milliseconds, Z). */
export const isoSql = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A task's recurrence (contract `Recurrence` and its time zone) from its series row, or null. */
const RECURRENCE_JSON = `case when series_id is null then null else (select json_build_object(
    'frequency', s.frequency, 'interval', s.every, 'weekdays', s.weekdays, 'until', to_char(s.until, 'YYYY-MM-DD'),
    'count', s.max_count, 'timeZone', s.time_zone) from task_series s where s.id = series_id) end`;

/** One task as JSON (contract `Task`), built by PostgreSQL; `id` leads (the route reads it for Location). */
export const TASK_JSON = `json_build_object(
  'id', id, 'title', title, 'description', description, 'priority', priority, 'tags', tags,
  'dueDate', to_char(due_date, 'YYYY-MM-DD'), 'completed', completed, 'completedAt', ${isoSql('completed_at')},
  'createdAt', ${isoSql('created_at')}, 'updatedAt', ${isoSql('updated_at')}, 'version', version,
  'recurrence', ${RECURRENCE_JSON}, 'seriesId', series_id, 'occurrence', occurrence, 'remindAt', ${isoSql('remind_at')})`;

/**
 * True when user $1 exists and the session `sidParam` (the access token's sid claim) was not ended:
 * the session check, inside a statement.
 */
export const SESSION_OK = (sidParam: string) =>
  `exists (select 1 from users u where u.id = $1 and not exists (select 1 from revoked_tokens r where r.jti = ${sidParam}))`;

/**
 * The user's `tasks_version` as text when user $1 exists and the session `sidParam` was not ended,
 * else null: the session check and the list cache's version in one expression (one snapshot with
 * the rest of the statement).
 */
export const SESSION_VERSION = (sidParam: string) =>
  `(select u.tasks_version::text from users u where u.id = $1 and not exists (select 1 from revoked_tokens r where r.jti = ${sidParam}))`;
