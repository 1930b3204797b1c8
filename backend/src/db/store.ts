/**
 * The SQL behind the API: users, session revocation, and tasks. Every task query is scoped to its
 * owner (`user_id = $n`), so another user's task is indistinguishable from a missing one.
 *
 * Tasks leave the database as JSON text built by PostgreSQL (`TASK_JSON`): a page of 50 tasks is
 * never parsed into rows and serialised again in Node, which was most of the cost of a list.
 * The two busiest routes (list, create) also check the session inside their one statement
 * (`SESSION_OK`), instead of a separate round trip first.
 */
import { PRIORITIES, type Priority, type SortOrder, type TaskCreate, type TaskSortField, type TaskStatus, type TaskUpdate, type User } from '@todo/contract';
import type { Queryable } from './types';

const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();

interface UserRow {
  id: string;
  email: string;
  created_at: Date | string;
}
const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, createdAt: iso(r.created_at) });

const PREPARED = { prepare: true } as const;

/** A timestamp as JavaScript's toISOString() writes it (UTC, milliseconds, Z). */
const isoSql = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One task as JSON (contract `Task`), built by PostgreSQL. */
export const TASK_JSON = `json_build_object(
  'id', id, 'title', title, 'description', description, 'priority', priority, 'tags', tags,
  'dueDate', to_char(due_date, 'YYYY-MM-DD'), 'completed', completed, 'completedAt', ${isoSql('completed_at')},
  'createdAt', ${isoSql('created_at')}, 'updatedAt', ${isoSql('updated_at')})`;

/** True when user $1 exists and token `jtiParam` is not revoked: the session check, inside a statement. */
const SESSION_OK = (jtiParam: string) =>
  `exists (select 1 from users u where u.id = $1 and not exists (select 1 from revoked_tokens r where r.jti = ${jtiParam}))`;

/**
 * The user's `tasks_version` as text when user $1 exists and token `jtiParam` is not revoked, else
 * null: the session check and the list cache's version in one expression (one snapshot with the
 * rest of the statement).
 */
const SESSION_VERSION = (jtiParam: string) =>
  `(select u.tasks_version::text from users u where u.id = $1 and not exists (select 1 from revoked_tokens r where r.jti = ${jtiParam}))`;

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

/** `%`, `_` and `\` are wildcards in LIKE patterns: a search for "50%" means the text "50%". */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Words of a search (at most 10), each of which must appear somewhere in the task. */
export const searchWords = (q: string) => q.trim().split(/\s+/).filter(Boolean).slice(0, 10);

/** Sent when the session check inside a statement failed. */
export const SESSION_INVALID = Symbol('session invalid');

export function createStore(db: Queryable) {
  return {
    // ---- users and sessions ----------------------------------------------------------------
    /** Creates the user, or returns undefined when the email is taken. */
    async createUser(email: string, passwordHash: string): Promise<User | undefined> {
      const { rows } = await db.query<UserRow>(
        'insert into users (email, password_hash) values ($1, $2) on conflict (email) do nothing returning id, email, created_at',
        [email, passwordHash],
      );
      return rows[0] && toUser(rows[0]);
    },

    async findUserByEmail(email: string): Promise<(User & { passwordHash: string }) | undefined> {
      const { rows } = await db.query<UserRow & { password_hash: string }>('select id, email, created_at, password_hash from users where email = $1', [email], PREPARED);
      return rows[0] && { ...toUser(rows[0]), passwordHash: rows[0].password_hash };
    },

    /** The token's user, or undefined when the user is gone or the token was revoked (one query). */
    async sessionUser(userId: string, jti: string): Promise<User | undefined> {
      const { rows } = await db.query<UserRow>(
        'select u.id, u.email, u.created_at from users u where u.id = $1 and not exists (select 1 from revoked_tokens r where r.jti = $2)',
        [userId, jti],
        PREPARED,
      );
      return rows[0] && toUser(rows[0]);
    },

    async revokeToken(jti: string, expiresAt: Date): Promise<void> {
      await db.query('insert into revoked_tokens (jti, expires_at) values ($1, $2) on conflict (jti) do nothing', [jti, expiresAt.toISOString()]);
      // Tokens past their expiry are refused anyway: forget them.
      await db.query('delete from revoked_tokens where expires_at < now()');
    },

    // ---- tasks (JSON text) -------------------------------------------------------------------
    /** Creates the task if the session (user $1, token `jti`) is valid; returns its JSON. */
    async createTaskJson(userId: string, jti: string, t: TaskCreate): Promise<string | typeof SESSION_INVALID> {
      const { rows } = await db.query<{ json: string }>(
        `insert into tasks (user_id, title, description, priority, tags, due_date)
         select $1, $3, $4, $5, $6::text[], $7::date where ${SESSION_OK('$2')}
         returning ${TASK_JSON}::text as json`,
        [userId, jti, t.title, t.description ?? '', t.priority ?? 'medium', t.tags ?? [], t.dueDate ?? null],
        PREPARED,
      );
      return rows[0] ? rows[0].json : SESSION_INVALID;
    },

    async getTaskJson(userId: string, id: string): Promise<string | undefined> {
      const { rows } = await db.query<{ json: string }>(`select ${TASK_JSON}::text as json from tasks where id = $1 and user_id = $2`, [id, userId], PREPARED);
      return rows[0]?.json;
    },

    async updateTaskJson(userId: string, id: string, u: TaskUpdate): Promise<string | undefined> {
      const params: unknown[] = [id, userId];
      const sets: string[] = ['updated_at = now()'];
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
      const { rows } = await db.query<{ json: string }>(
        `update tasks set ${sets.join(', ')} where id = $1 and user_id = $2 returning ${TASK_JSON}::text as json`,
        params,
        PREPARED, // at most 2^6 shapes: which fields change
      );
      return rows[0]?.json;
    },

    async deleteTask(userId: string, id: string): Promise<boolean> {
      const { rowCount } = await db.query('delete from tasks where id = $1 and user_id = $2', [id, userId], PREPARED);
      return rowCount > 0;
    },

    /**
     * One page of tasks as JSON text (`TaskPage`), in one statement that also checks the session
     * (user $1, token `jti`).
     */
    async listTasksJson(userId: string, jti: string, p: ListParams): Promise<ListPage | typeof SESSION_INVALID> {
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

export type Store = ReturnType<typeof createStore>;
