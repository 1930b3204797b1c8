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
 */
import { PRIORITIES, type Priority, type SortOrder, type TaskCreate, type TaskSortField, type TaskStatus, type TaskUpdate } from '@todo/contract';
import { PREPARED, SESSION_INVALID, SESSION_VERSION, TASK_JSON } from './sql';
import type { Database, Queryable } from './types';

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

export type WriteOutcome<T> = T | 'not-found' | 'precondition-failed';

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
    insert into tasks (user_id, title, description, priority, tags, due_date)
    select $1, $3, $4, $5, $6::text[], $7::date from u where u.task_count < $8
    returning ${TASK_JSON}::text as json, version
  )
  select (select count(*) from u)::int as session, (select json from ins) as json, (select version from ins) as version`;

export async function insertTask(q: Queryable, userId: string, jti: string, t: TaskCreate, quota: number): Promise<CreateOutcome> {
  const { rows } = await q.query<{ session: number; json: string | null; version: number | null }>(
    CREATE_SQL,
    [userId, jti, t.title, t.description ?? '', t.priority ?? 'medium', t.tags ?? [], t.dueDate ?? null, quota],
    PREPARED,
  );
  const r = rows[0]!;
  if (Number(r.session) === 0) return { kind: 'session' };
  if (r.json === null) return { kind: 'quota' };
  return { kind: 'created', task: { json: r.json, version: Number(r.version) } };
}

export function createTaskStore(db: Database) {
  /** Why a conditional write touched no row: the task is not there, or its version moved on. */
  async function missingOrChanged(userId: string, id: string, ifVersions: readonly number[] | undefined): Promise<'not-found' | 'precondition-failed'> {
    if (ifVersions === undefined) return 'not-found';
    const { rowCount } = await db.query('select 1 from tasks where id = $1 and user_id = $2', [id, userId], PREPARED);
    return rowCount > 0 ? 'precondition-failed' : 'not-found';
  }

  return {
    /** Creates a task (see CREATE_SQL). */
    create: (userId: string, jti: string, t: TaskCreate, quota: number) => insertTask(db, userId, jti, t, quota),

    async get(userId: string, id: string): Promise<TaskJson | undefined> {
      const { rows } = await db.query<{ json: string; version: number }>(`select ${TASK_JSON}::text as json, version from tasks where id = $1 and user_id = $2`, [id, userId], PREPARED);
      return rows[0] && { json: rows[0].json, version: Number(rows[0].version) };
    },

    /** Applies the change when the task exists and, with `ifVersions` (If-Match), still has one of them. */
    async update(userId: string, id: string, u: TaskUpdate, ifVersions?: readonly number[]): Promise<WriteOutcome<TaskJson>> {
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
      if (u.dueDate !== undefined) set('due_date', u.dueDate, '::date');
      if (u.completed !== undefined) {
        params.push(u.completed);
        const p = `$${params.length}::boolean`;
        // Completing an already completed task keeps its original completion time.
        sets.push(`completed = ${p}`, `completed_at = case when ${p} then coalesce(completed_at, now()) else null end`);
      }
      let where = 'id = $1 and user_id = $2';
      if (ifVersions !== undefined) {
        params.push(ifVersions);
        where += ` and version = any($${params.length}::int[])`;
      }
      // version and updated_at are set by the tasks_touch trigger.
      const { rows } = await db.query<{ json: string; version: number }>(
        `update tasks set ${sets.join(', ')} where ${where} returning ${TASK_JSON}::text as json, version`,
        params,
        PREPARED, // at most 2^7 shapes: which fields change, and whether If-Match was given
      );
      if (rows[0]) return { json: rows[0].json, version: Number(rows[0].version) };
      return missingOrChanged(userId, id, ifVersions);
    },

    async delete(userId: string, id: string, ifVersions?: readonly number[]): Promise<WriteOutcome<'deleted'>> {
      const params: unknown[] = [id, userId];
      if (ifVersions !== undefined) params.push(ifVersions);
      const { rowCount } = await db.query(`delete from tasks where id = $1 and user_id = $2${ifVersions !== undefined ? ' and version = any($3::int[])' : ''}`, params, PREPARED);
      if (rowCount > 0) return 'deleted';
      return missingOrChanged(userId, id, ifVersions);
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

export type TaskStore = ReturnType<typeof createTaskStore>;
