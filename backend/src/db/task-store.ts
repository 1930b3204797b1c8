/**
 * The SQL of tasks. Every statement is scoped to its owner (`user_id = $n`), so another user's task is
 * indistinguishable from a missing one.
 *
 * Tasks leave the database as JSON text built by PostgreSQL (`TASK_JSON`): a page of 50 tasks is never
 * parsed into rows and serialised again in Node, which was most of the cost of a list. The two busiest
 * routes (list, create) also check the session inside their one statement (`SESSION_OK`), instead of a
 * separate round trip first.
 *
 * Concurrency: every task has a `version` that a trigger raises on each update (migration 3), which
 * PATCH and DELETE compare with If-Match; creates count against the user's quota under the user's row
 * lock; a create with an Idempotency-Key is stored with its response in the same transaction.
 * PATCH and DELETE run as one transaction each, which also creates, changes or ends a recurring
 * task's series and its next occurrence (src/db/series.ts).
 */
import { type DeleteScope, PRIORITIES, type Priority, type SortOrder, type TaskCreate, type TaskSortField, type TaskStatus, type TaskUpdate } from '@todo/contract';
import { firstDueDate, normalizeInstant, normalizeRecurrence, todayIn } from '@todo/contract/recurrence';
import { createSuccessor, dropEmptySeries, endSeries, insertSeries, lockTask, lockUser, planSeries, QuotaExceeded, removeUntouchedSuccessor } from './series';
import { PREPARED, SESSION_INVALID, SESSION_VERSION, TASK_JSON } from './sql';
import type { Connection, Database, Queryable } from './types';

/** A page of tasks as JSON text (`TaskPage`), and the `tasks_version` it was read at. */
export interface ListPage {
  version: string;
  json: string;
}

export interface ListParams {
  q?: string;
  status: TaskStatus;
  priority?: Priority;
  tag?: string;
  dueFrom?: string;
  dueTo?: string;
  sort: TaskSortField;
  order: SortOrder;
  page: number;
  pageSize: number;
}

/** One task as JSON text, and its version (the ETag). */
export interface TaskJson {
  json: string;
  version: number;
}

export type CreateOutcome =
  | { kind: 'created'; task: TaskJson }
  /** The same Idempotency-Key and body again: the task the first request created, as it is now. */
  | { kind: 'replayed'; status: number; task: TaskJson }
  /** The same Idempotency-Key with another body. */
  | { kind: 'key-reused' }
  | { kind: 'quota' }
  | { kind: 'session' };

export type WriteOutcome<T> = T | 'not-found' | 'precondition-failed' | 'session' | 'quota';

/** Deadlock and serialisation failures: PostgreSQL rolled the transaction back; running it again is safe. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `fn` in a transaction of `q` (a Database), or inside the transaction `q` already is (a
 * Connection: the idempotent create). A deadlock (possible only against the previous release during a
 * rolling update, which locks rows in another order) is retried.
 */
async function inTransaction<T>(q: Queryable, fn: (tx: Connection) => Promise<T>): Promise<T> {
  if (!('transaction' in q)) return fn(q as Connection);
  for (let attempt = 1; ; attempt++) {
    try {
      return await (q as Database).transaction(fn);
    } catch (err) {
      if (attempt >= 3 || !RETRYABLE.has(String((err as { code?: string }).code))) throw err;
    }
  }
}

/** A reminder as stored (milliseconds, UTC), or null. */
const reminderOf = (remindAt: string | null | undefined) => (remindAt ? normalizeInstant(remindAt) : null);

/** `%`, `_` and `\` are wildcards in LIKE patterns: a search for "50%" means the text "50%". */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Words of a search (at most 10), each of which must appear somewhere in the task. */
export const searchWords = (q: string) => q.trim().split(/\s+/).filter(Boolean).slice(0, 10);

/**
 * Inserts the task when the session (user $1, token $2) is valid and the user has fewer than $8 tasks.
 * The user's row is locked first (FOR UPDATE, re-read after a wait), so concurrent creates of one user
 * count one after the other and the quota is exact; the trigger updates that row anyway.
 */
const CREATE_SQL = `with u as (
    select task_count from users where id = $1 and not exists (select 1 from revoked_tokens r where r.jti = $2) for update
  ), ins as (
    insert into tasks (user_id, title, description, priority, tags, due_date, remind_at)
    select $1, $3, $4, $5, $6::text[], $7::date, $9::timestamptz from u where u.task_count < $8
    returning ${TASK_JSON}::text as json, version
  )
  select (select count(*) from u)::int as session, (select json from ins) as json, (select version from ins) as version`;

/**
 * Creates a task (one statement), or a recurring task with its series (one transaction: the user's
 * row locked first, the series, then the task as its occurrence 1). `q` is the database, or the
 * transaction of an idempotent create.
 */
export async function insertTask(q: Queryable, userId: string, jti: string, t: TaskCreate, quota: number): Promise<CreateOutcome> {
  const remindAt = reminderOf(t.remindAt);
  if (!t.recurrence) {
    const { rows } = await q.query<{ session: number; json: string | null; version: number | null }>(
      CREATE_SQL,
      [userId, jti, t.title, t.description ?? '', t.priority ?? 'medium', t.tags ?? [], t.dueDate ?? null, quota, remindAt],
      PREPARED,
    );
    const r = rows[0]!;
    if (Number(r.session) === 0) return { kind: 'session' };
    if (r.json === null) return { kind: 'quota' };
    return { kind: 'created', task: { json: r.json, version: Number(r.version) } };
  }
  const rule = t.recurrence;
  return inTransaction(q, async (tx): Promise<CreateOutcome> => {
    const user = await lockUser(tx, userId, jti);
    if (!user) return { kind: 'session' };
    if (user.taskCount >= quota) return { kind: 'quota' };
    const dueDate = t.dueDate ?? firstDueDate(rule, todayIn(user.timeZone));
    const seriesId = await insertSeries(tx, userId, normalizeRecurrence(rule, dueDate), dueDate, user.timeZone);
    const { rows } = await tx.query<{ json: string; version: number }>(
      `insert into tasks (user_id, title, description, priority, tags, due_date, remind_at, series_id, occurrence, occurrence_date)
       values ($1, $2, $3, $4, $5::text[], $6::date, $7::timestamptz, $8, 1, $6::date)
       returning ${TASK_JSON}::text as json, version`,
      [userId, t.title, t.description ?? '', t.priority ?? 'medium', t.tags ?? [], dueDate, remindAt, seriesId],
      PREPARED,
    );
    return { kind: 'created', task: { json: rows[0]!.json, version: Number(rows[0]!.version) } };
  });
}

export function createTaskStore(db: Database) {
  return {
    /** Creates a task (see insertTask). */
    create: (userId: string, jti: string, t: TaskCreate, quota: number) => insertTask(db, userId, jti, t, quota),

    async get(userId: string, id: string): Promise<TaskJson | undefined> {
      const { rows } = await db.query<{ json: string; version: number }>(`select ${TASK_JSON}::text as json, version from tasks where id = $1 and user_id = $2`, [id, userId], PREPARED);
      return rows[0] && { json: rows[0].json, version: Number(rows[0].version) };
    },

    /**
     * Applies the change when the session is valid, the task exists and, with `ifVersions` (If-Match),
     * still has one of them; in the same transaction: the series (new, changed or ended rule), and on
     * completing an occurrence its next one (taken back on reopening, if untouched).
     */
    async update(userId: string, jti: string, id: string, u: TaskUpdate, quota: number, ifVersions?: readonly number[]): Promise<WriteOutcome<TaskJson>> {
      try {
        return await inTransaction(db, async (tx): Promise<WriteOutcome<TaskJson>> => {
          const user = await lockUser(tx, userId, jti);
          if (!user) return 'session';
          const task = await lockTask(tx, userId, id);
          if (!task) return 'not-found';
          if (ifVersions !== undefined && !ifVersions.includes(task.version)) return 'precondition-failed';

          const plan = planSeries(task, u, user.timeZone);
          let series = task.series;
          let occurrence = task.occurrence;
          let occurrenceDate = task.occurrenceDate;
          if (plan.create) {
            const seriesId = await insertSeries(tx, userId, plan.create, plan.dueDate!, user.timeZone);
            series = { id: seriesId, rule: plan.create, anchor: plan.dueDate!, timeZone: user.timeZone };
            occurrence = 1;
            occurrenceDate = plan.dueDate;
          } else if (plan.change && series) {
            // The schedule restarts at this occurrence's due date, in the user's zone now.
            await tx.query(
              'update task_series set frequency = $2, every = $3, weekdays = $4::smallint[], until = $5::date, max_count = $6, anchor = $7::date, time_zone = $8 where id = $1',
              [series.id, plan.change.frequency, plan.change.interval, plan.change.weekdays, plan.change.until, plan.change.count, plan.dueDate, user.timeZone],
              PREPARED,
            );
            series = { id: series.id, rule: plan.change, anchor: plan.dueDate!, timeZone: user.timeZone };
            occurrenceDate = plan.dueDate;
          } else if (plan.end) {
            series = null;
            occurrence = null;
            occurrenceDate = null;
          }
          const reopening = task.completed && u.completed === false;
          if (reopening && series && occurrence !== null) await removeUntouchedSuccessor(tx, series.id, occurrence);

          const params: unknown[] = [id, userId];
          const sets: string[] = [];
          const set = (column: string, value: unknown, cast = '') => {
            params.push(value);
            sets.push(`${column} = $${params.length}${cast}`);
          };
          if (u.title !== undefined) set('title', u.title);
          if (u.description !== undefined) set('description', u.description);
          if (u.priority !== undefined) set('priority', u.priority);
          if (u.tags !== undefined) set('tags', u.tags, '::text[]');
          if (plan.dueDate !== task.dueDate || u.dueDate !== undefined) set('due_date', plan.dueDate, '::date');
          if (u.remindAt !== undefined) {
            set('remind_at', reminderOf(u.remindAt), '::timestamptz');
            // A reminder at another time is a new one: not acknowledged yet.
            sets.push(`reminder_acknowledged_at = case when remind_at is not distinct from $${params.length}::timestamptz then reminder_acknowledged_at end`);
          }
          if (u.completed !== undefined) {
            params.push(u.completed);
            const p = `$${params.length}::boolean`;
            // Completing an already completed task keeps its original completion time.
            sets.push(`completed = ${p}`, `completed_at = case when ${p} then coalesce(completed_at, now()) else null end`);
          }
          if (series?.id !== task.series?.id || occurrenceDate !== task.occurrenceDate) {
            set('series_id', series?.id ?? null, '::uuid');
            set('occurrence', occurrence, '::int');
            set('occurrence_date', occurrenceDate, '::date');
          }
          // A PATCH that changes nothing (the same rule again) is still a write, as any other PATCH.
          if (sets.length === 0) sets.push('version = version');
          // version and updated_at are set by the tasks_touch trigger; at most a few hundred statement shapes.
          const { rows } = await tx.query<{ json: string; version: number }>(
            `update tasks set ${sets.join(', ')} where id = $1 and user_id = $2 returning ${TASK_JSON}::text as json, version`,
            params,
            PREPARED,
          );
          if (plan.change && series) {
            // The other occurrences show the new rule: each is a new version (and the list cache sees it).
            await tx.query('update tasks set occurrence_date = occurrence_date where series_id = $1 and id <> $2', [series.id, id], PREPARED);
          }
          if (plan.end && task.series) await endSeries(tx, task.series.id);
          if (!task.completed && u.completed === true && series) {
            await createSuccessor(tx, userId, { ...task, ...pick(u), dueDate: plan.dueDate, remindAt: u.remindAt !== undefined ? reminderOf(u.remindAt) : task.remindAt, occurrence, occurrenceDate }, series, quota);
          }
          return { json: rows[0]!.json, version: Number(rows[0]!.version) };
        });
      } catch (err) {
        if (err instanceof QuotaExceeded) return 'quota';
        throw err;
      }
    },

    /**
     * Deletes the task (scope `occurrence`) or, for an occurrence of a series, every occurrence and the
     * series (scope `series`). Deleting an open occurrence alone skips it: the next one is created, as
     * when it is completed.
     */
    async delete(userId: string, jti: string, id: string, scope: DeleteScope, quota: number, ifVersions?: readonly number[]): Promise<WriteOutcome<'deleted'>> {
      try {
        return await inTransaction(db, async (tx): Promise<WriteOutcome<'deleted'>> => {
          const user = await lockUser(tx, userId, jti);
          if (!user) return 'session';
          const task = await lockTask(tx, userId, id);
          if (!task) return 'not-found';
          if (ifVersions !== undefined && !ifVersions.includes(task.version)) return 'precondition-failed';
          if (task.series && scope === 'series') {
            await tx.query('delete from tasks where series_id = $1 and user_id = $2', [task.series.id, userId], PREPARED);
            await tx.query('delete from task_series where id = $1', [task.series.id], PREPARED);
            return 'deleted';
          }
          await tx.query('delete from tasks where id = $1 and user_id = $2', [id, userId], PREPARED);
          if (task.series) {
            if (!task.completed) await createSuccessor(tx, userId, task, task.series, quota);
            await dropEmptySeries(tx, task.series.id);
          }
          return 'deleted';
        });
      } catch (err) {
        if (err instanceof QuotaExceeded) return 'quota';
        throw err;
      }
    },

    /**
     * One page of tasks as JSON text (`TaskPage`), in one statement that also checks the session
     * (user $1, token `jti`).
     */
    async list(userId: string, jti: string, p: ListParams): Promise<ListPage | typeof SESSION_INVALID> {
      const params: unknown[] = [userId, jti];
      const arg = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      const where = ['user_id = $1'];
      const words = searchWords(p.q ?? '');
      for (const word of words) {
        // Fields joined by a newline: a search word has no whitespace, so it cannot match across two fields.
        where.push(`concat_ws(E'\\n', title, description, array_to_string(tags, E'\\n')) ilike ${arg(`%${likeEscape(word)}%`)}`);
      }
      if (p.status === 'open') where.push('not completed');
      if (p.status === 'completed') where.push('completed');
      if (p.priority) where.push(`priority = ${arg(p.priority)}`);
      if (p.tag) where.push(`${arg(p.tag)} = any(tags)`);
      if (p.dueFrom) where.push(`due_date >= ${arg(p.dueFrom)}::date`);
      if (p.dueTo) where.push(`due_date <= ${arg(p.dueTo)}::date`);
      const whereSql = where.join(' and ');

      const dir = p.order === 'asc' ? 'asc' : 'desc';
      // Ties are broken newest first, then by id, so that pages never overlap or skip.
      const tie = 'created_at desc, id desc';
      let orderBy: string;
      switch (p.sort) {
        case 'createdAt':
          orderBy = `created_at ${dir}, id ${dir}`;
          break;
        case 'dueDate':
          // Tasks without a due date come last in either direction.
          orderBy = `due_date ${dir} nulls last, ${tie}`;
          break;
        case 'priority':
          // Ascending means most important first (the order of PRIORITIES).
          orderBy = `array_position(${arg(PRIORITIES)}::text[], priority) ${dir}, ${tie}`;
          break;
        case 'title':
          orderBy = `lower(title) ${dir}, title ${dir}, ${tie}`;
          break;
      }
      const limit = arg(p.pageSize);
      const offset = arg((p.page - 1) * p.pageSize);
      const { rows } = await db.query<{ version: string | null; items: string; total: number }>(
        `select ${SESSION_VERSION('$2')} as version,
           coalesce((select json_agg(${TASK_JSON} order by ${orderBy})
                     from (select * from tasks where ${whereSql} order by ${orderBy} limit ${limit} offset ${offset}) page), '[]')::text as items,
           (select count(*) from tasks where ${whereSql})::int as total`,
        params,
        // Search words make the text vary without bound; every other shape comes from a small set.
        words.length === 0 ? PREPARED : undefined,
      );
      const row = rows[0]!;
      if (row.version === null) return SESSION_INVALID;
      return { version: String(row.version), json: `{"items":${row.items},"total":${Number(row.total)},"page":${p.page},"pageSize":${p.pageSize}}` };
    },
  };
}

/** The fields an occurrence passes on to the next one, as changed by the same PATCH. */
function pick(u: TaskUpdate) {
  const out: { title?: string; description?: string; priority?: string; tags?: string[] } = {};
  if (u.title !== undefined) out.title = u.title;
  if (u.description !== undefined) out.description = u.description;
  if (u.priority !== undefined) out.priority = u.priority;
  if (u.tags !== undefined) out.tags = u.tags;
  return out;
}

export type TaskStore = ReturnType<typeof createTaskStore>;
