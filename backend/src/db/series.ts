/**
 * The writes of recurring tasks (migration 5): series rows, the next occurrence, and the locks that
 * make them safe with any number of replicas.
 *
 * Exactly once: an occurrence is created only inside the transaction that completes (or skips) the
 * one before it, and `insert … on conflict (series_id, occurrence) do nothing` against the unique key
 * makes a second attempt — a concurrent completion on another replica, a retry, complete → reopen →
 * complete — find the row there and add nothing. Nothing about it lives in process memory.
 *
 * Lock order, the same in every write transaction of a user: the user's row first (`lockUser`, which
 * also checks the session and gives the time zone and the task count for the quota), then task rows.
 * The version trigger updates the user's row on every task write anyway, so this serialises nothing
 * that was not serialised already, and transactions that touch several tasks cannot deadlock.
 */
import type { Recurrence, RecurrenceInput, TaskUpdate } from '@todo/contract';
import { carryReminder, firstDueDate, nextOccurrence, normalizeRecurrence, sameRecurrence, scheduleDateFrom, todayIn } from '@todo/contract/recurrence';
import { isoSql, PREPARED } from './sql';
import type { Connection, Queryable } from './types';

/** Thrown inside a transaction to roll it back: the next occurrence would exceed the task quota. */
export class QuotaExceeded extends Error {
  constructor() {
    super('task quota');
  }
}

export interface LockedUser {
  timeZone: string;
  taskCount: number;
}

/** Locks user $1's row when token `jti` is not revoked; undefined when the session is not valid. */
export async function lockUser(q: Queryable, userId: string, jti: string): Promise<LockedUser | undefined> {
  const { rows } = await q.query<{ time_zone: string; task_count: number }>(
    'select time_zone, task_count from users where id = $1 and not exists (select 1 from revoked_tokens r where r.jti = $2) for update',
    [userId, jti],
    PREPARED,
  );
  return rows[0] && { timeZone: rows[0].time_zone, taskCount: Number(rows[0].task_count) };
}

export interface SeriesRow {
  id: string;
  rule: Recurrence;
  anchor: string;
  timeZone: string;
}

/** A task row as the writes need it, with its series. */
export interface TaskRow {
  version: number;
  completed: boolean;
  title: string;
  description: string;
  priority: string;
  tags: string[];
  dueDate: string | null;
  remindAt: string | null;
  occurrence: number | null;
  occurrenceDate: string | null;
  series: SeriesRow | null;
}

const DAY = (column: string) => `to_char(${column}, 'YYYY-MM-DD')`;

/** Locks and reads task $1 of user $2 (after lockUser). */
export async function lockTask(q: Queryable, userId: string, id: string): Promise<TaskRow | undefined> {
  const { rows } = await q.query<Record<string, unknown>>(
    `select t.version, t.completed, t.title, t.description, t.priority, t.tags, ${DAY('t.due_date')} as due_date,
       ${isoSql('t.remind_at')} as remind_at, t.series_id, t.occurrence, ${DAY('t.occurrence_date')} as occurrence_date,
       s.frequency, s.every, s.weekdays, ${DAY('s.until')} as until, s.max_count, ${DAY('s.anchor')} as anchor, s.time_zone
     from tasks t left join task_series s on s.id = t.series_id
     where t.id = $1 and t.user_id = $2 for update of t`,
    [id, userId],
    PREPARED,
  );
  const r = rows[0];
  if (!r) return undefined;
  const series: SeriesRow | null = r.series_id
    ? {
        id: String(r.series_id),
        rule: {
          frequency: r.frequency as Recurrence['frequency'],
          interval: Number(r.every),
          weekdays: (r.weekdays as number[]).map(Number),
          until: (r.until as string | null) ?? null,
          count: r.max_count === null ? null : Number(r.max_count),
        },
        anchor: String(r.anchor),
        timeZone: String(r.time_zone),
      }
    : null;
  return {
    version: Number(r.version),
    completed: Boolean(r.completed),
    title: String(r.title),
    description: String(r.description),
    priority: String(r.priority),
    tags: r.tags as string[],
    dueDate: (r.due_date as string | null) ?? null,
    remindAt: (r.remind_at as string | null) ?? null,
    occurrence: r.occurrence === null ? null : Number(r.occurrence),
    occurrenceDate: (r.occurrence_date as string | null) ?? null,
    series,
  };
}

/** A new series row for `rule`, starting at `anchor`, in the user's time zone. */
export async function insertSeries(q: Queryable, userId: string, rule: Recurrence, anchor: string, timeZone: string): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `insert into task_series (user_id, frequency, every, weekdays, until, max_count, anchor, time_zone)
     values ($1, $2, $3, $4::smallint[], $5::date, $6, $7::date, $8) returning id`,
    [userId, rule.frequency, rule.interval, rule.weekdays, rule.until, rule.count, anchor, timeZone],
    PREPARED,
  );
  return rows[0]!.id;
}

/**
 * Creates the occurrence after `task` (completed or skipped) unless its series has ended or that
 * occurrence exists already; its reminder keeps its local time in the series' zone. Returns whether
 * a row was added. Throws QuotaExceeded (the caller rolls back) when the user has no room for it.
 */
export async function createSuccessor(tx: Connection, userId: string, task: TaskRow, series: SeriesRow, quota: number): Promise<boolean> {
  if (task.occurrence === null || task.occurrenceDate === null) return false;
  const next = nextOccurrence(series.rule, { anchor: series.anchor, occurrenceDate: task.occurrenceDate, occurrence: task.occurrence }, todayIn(series.timeZone));
  if (!next) return false;
  const remindAt = task.remindAt ? carryReminder(task.remindAt, task.dueDate ?? task.occurrenceDate, next.dueDate, series.timeZone) : null;
  const { rows } = await tx.query<{ task_count: number }>('select task_count from users where id = $1', [userId], PREPARED);
  if (Number(rows[0]!.task_count) >= quota) {
    // Already there (a retry, a concurrent completion): no room is needed.
    const exists = await tx.query('select 1 from tasks where series_id = $1 and occurrence = $2', [series.id, next.occurrence], PREPARED);
    if (exists.rowCount > 0) return false;
    throw new QuotaExceeded();
  }
  const ins = await tx.query(
    `insert into tasks (user_id, title, description, priority, tags, due_date, remind_at, series_id, occurrence, occurrence_date)
     values ($1, $2, $3, $4, $5::text[], $6::date, $7::timestamptz, $8, $9, $6::date)
     on conflict (series_id, occurrence) do nothing`,
    [userId, task.title, task.description, task.priority, task.tags, next.dueDate, remindAt, series.id, next.occurrence],
    PREPARED,
  );
  return ins.rowCount > 0;
}

/** Reopening an occurrence takes back the next one it created, if nobody has changed that one since (version 1, open). */
export async function removeUntouchedSuccessor(tx: Queryable, seriesId: string, occurrence: number): Promise<void> {
  await tx.query('delete from tasks where series_id = $1 and occurrence = $2 and version = 1 and not completed', [seriesId, occurrence + 1], PREPARED);
}

/** Ends a series: every occurrence becomes a plain task (no more are created), and the series row goes. */
export async function endSeries(tx: Queryable, seriesId: string): Promise<void> {
  await tx.query('update tasks set series_id = null, occurrence = null, occurrence_date = null where series_id = $1', [seriesId], PREPARED);
  await tx.query('delete from task_series where id = $1', [seriesId], PREPARED);
}

/** Drops a series row no task refers to any more (its last occurrence was deleted). */
export async function dropEmptySeries(tx: Queryable, seriesId: string): Promise<void> {
  await tx.query('delete from task_series s where s.id = $1 and not exists (select 1 from tasks t where t.series_id = s.id)', [seriesId], PREPARED);
}

/** What a PATCH does to the recurrence of a task, worked out before anything is written. */
export interface SeriesPlan {
  /** The task's due date after the change (a recurring task always has one). */
  dueDate: string | null;
  /** Create a series with this rule (the task becomes its occurrence 1). */
  create?: Recurrence;
  /** Change the task's series to this rule, restarting its schedule at the task's due date. */
  change?: Recurrence;
  /** Stop repeating: the series ends. */
  end?: boolean;
}

/**
 * The recurrence side of a PATCH of `task`: a new or changed rule (re-anchored at the task's due date,
 * in the user's zone now), the end of the series, or a due date that a recurring task may not lose
 * (it becomes the schedule's first date from today).
 */
export function planSeries(task: TaskRow, u: Pick<TaskUpdate, 'dueDate' | 'recurrence'>, userZone: string): SeriesPlan {
  let dueDate = u.dueDate !== undefined ? u.dueDate : task.dueDate;
  const rule = u.recurrence;
  if (rule === null) return task.series ? { dueDate, end: true } : { dueDate };
  if (rule !== undefined) {
    dueDate ??= firstDueDate(rule, todayIn(userZone));
    const next = normalizeRecurrence(rule as RecurrenceInput, dueDate);
    if (!task.series) return { dueDate, create: next };
    // The same rule again (a form that sends every field) changes nothing about the series.
    if (sameRecurrence(next, task.series.rule) && (u.dueDate === undefined || u.dueDate === task.dueDate)) return { dueDate };
    return { dueDate, change: next };
  }
  if (task.series && dueDate === null) {
    const today = todayIn(task.series.timeZone);
    dueDate = scheduleDateFrom(task.series.rule, task.series.anchor, today) ?? today;
  }
  return { dueDate };
}
