/**
 * The SQL behind the API: users, sessions' revocation, and tasks. Every task query is scoped to
 * its owner (`user_id = $n`), so another user's task is indistinguishable from a missing one.
 */
import {
  PRIORITIES,
  type Priority,
  type SortOrder,
  type Task,
  type TaskCreate,
  type TaskPage,
  type TaskSortField,
  type TaskStatus,
  type TaskUpdate,
  type User,
} from '@todo/contract';
import type { Queryable } from './types';

const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();

interface UserRow {
  id: string;
  email: string;
  created_at: Date | string;
}
const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, createdAt: iso(r.created_at) });

interface TaskRow {
  id: string;
  title: string;
  description: string;
  priority: Priority;
  tags: string[];
  due_date: string | null;
  completed: boolean;
  completed_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const TASK_COLUMNS = `id, title, description, priority, tags, to_char(due_date, 'YYYY-MM-DD') as due_date, completed, completed_at, created_at, updated_at`;

const toTask = (r: TaskRow): Task => ({
  id: r.id,
  title: r.title,
  description: r.description,
  priority: r.priority,
  tags: r.tags,
  dueDate: r.due_date,
  completed: r.completed,
  completedAt: r.completed_at === null ? null : iso(r.completed_at),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

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
      const { rows } = await db.query<UserRow & { password_hash: string }>('select id, email, created_at, password_hash from users where email = $1', [email]);
      return rows[0] && { ...toUser(rows[0]), passwordHash: rows[0].password_hash };
    },

    /** The token's user, or undefined when the user is gone or the token was revoked (one query). */
    async sessionUser(userId: string, jti: string): Promise<User | undefined> {
      const { rows } = await db.query<UserRow>(
        'select u.id, u.email, u.created_at from users u where u.id = $1 and not exists (select 1 from revoked_tokens r where r.jti = $2)',
        [userId, jti],
      );
      return rows[0] && toUser(rows[0]);
    },

    async revokeToken(jti: string, expiresAt: Date): Promise<void> {
      await db.query('insert into revoked_tokens (jti, expires_at) values ($1, $2) on conflict (jti) do nothing', [jti, expiresAt.toISOString()]);
      // Tokens past their expiry are refused anyway: forget them.
      await db.query('delete from revoked_tokens where expires_at < now()');
    },

    // ---- tasks -------------------------------------------------------------------------------
    async createTask(userId: string, t: TaskCreate): Promise<Task> {
      const { rows } = await db.query<TaskRow>(
        `insert into tasks (user_id, title, description, priority, tags, due_date)
         values ($1, $2, $3, $4, $5, $6) returning ${TASK_COLUMNS}`,
        [userId, t.title, t.description ?? '', t.priority ?? 'medium', t.tags ?? [], t.dueDate ?? null],
      );
      return toTask(rows[0]!);
    },

    async getTask(userId: string, id: string): Promise<Task | undefined> {
      const { rows } = await db.query<TaskRow>(`select ${TASK_COLUMNS} from tasks where id = $1 and user_id = $2`, [id, userId]);
      return rows[0] && toTask(rows[0]);
    },

    async updateTask(userId: string, id: string, u: TaskUpdate): Promise<Task | undefined> {
      const params: unknown[] = [id, userId];
      const sets: string[] = ['updated_at = now()'];
      const set = (column: string, value: unknown) => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      if (u.title !== undefined) set('title', u.title);
      if (u.description !== undefined) set('description', u.description);
      if (u.priority !== undefined) set('priority', u.priority);
      if (u.tags !== undefined) set('tags', u.tags);
      if (u.dueDate !== undefined) set('due_date', u.dueDate);
      if (u.completed !== undefined) {
        params.push(u.completed);
        const p = `$${params.length}::boolean`;
        // Completing an already completed task keeps its original completion time.
        sets.push(`completed = ${p}`, `completed_at = case when ${p} then coalesce(completed_at, now()) else null end`);
      }
      const { rows } = await db.query<TaskRow>(`update tasks set ${sets.join(', ')} where id = $1 and user_id = $2 returning ${TASK_COLUMNS}`, params);
      return rows[0] && toTask(rows[0]);
    },

    async deleteTask(userId: string, id: string): Promise<boolean> {
      const { rowCount } = await db.query('delete from tasks where id = $1 and user_id = $2', [id, userId]);
      return rowCount > 0;
    },

    async listTasks(userId: string, p: ListParams): Promise<TaskPage> {
      const params: unknown[] = [userId];
      const arg = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      const where = ['user_id = $1'];
      for (const word of searchWords(p.q ?? '')) {
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
      const whereParams = params.slice();

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
      const { rows } = await db.query<TaskRow & { total: number }>(
        `select ${TASK_COLUMNS}, count(*) over ()::int as total from tasks where ${whereSql} order by ${orderBy} limit ${limit} offset ${offset}`,
        params,
      );
      let total: number;
      if (rows.length > 0) total = Number(rows[0]!.total);
      else if (p.page === 1) total = 0;
      else {
        // Past the last page: the window function saw no row, so count separately.
        const count = await db.query<{ n: number }>(`select count(*)::int as n from tasks where ${whereSql}`, whereParams);
        total = Number(count.rows[0]!.n);
      }
      return { items: rows.map(toTask), total, page: p.page, pageSize: p.pageSize };
    },
  };
}

export type Store = ReturnType<typeof createStore>;
