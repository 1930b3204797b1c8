/**
 * The task routes. Lists come from the list cache (src/plugins/list-cache.ts). Writes count against
 * the user's write rate limit (429 with Retry-After). Concurrency: a task's ETag is `"<version>"`;
 * PATCH and DELETE with If-Match apply only to that version (412 otherwise), so two clients editing
 * one task cannot silently overwrite each other. POST with an Idempotency-Key creates the task once
 * (src/db/idempotency.ts). Creates beyond TASK_QUOTA_PER_USER are refused with 403. Recurring tasks:
 * completing (or deleting) an occurrence creates the next one in the same transaction
 * (src/db/series.ts); DELETE with `scope=series` removes every occurrence.
 */
import { API_ROUTES, type DeleteScope, LIMITS, type TaskCreate, type TaskQuery, type TaskUpdate } from '@todo/contract';
import { normalizeInstant } from '@todo/contract/recurrence';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { CreateOutcome, TaskJson } from '../db/task-store';
import { HttpError, sessionInvalid } from '../errors';
import { etagMatches } from '../plugins/list-cache';
import {
  BEARER,
  errors,
  IdempotencyHeaderSchema,
  IfMatchHeaderSchema,
  RETRY_AFTER,
  TaskCreateSchema,
  TaskDeleteQuerySchema,
  TaskPageSchema,
  TaskParamsSchema,
  TaskQuerySchema,
  TaskSchema,
  TaskUpdateSchema,
} from '../schemas';

const etag = (version: number) => `"${version}"`;
const ETAG = { etag: { description: 'The task\'s version as an entity tag, `"<version>"`: send it back in If-Match' } };

/**
 * If-Match as the versions it names: undefined when absent or `*` (the task must only exist), else the
 * versions of its strong entity tags (weak tags never match, RFC 9110 §13.1.1).
 */
export function ifMatchVersions(header: string | undefined): number[] | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const versions: number[] = [];
  for (const part of header.split(',')) {
    const m = /^\s*"(\d{1,9})"\s*$/.exec(part);
    if (m) versions.push(Number(m[1]));
  }
  return versions;
}

/**
 * A reminder the schema let through that Temporal cannot place (kept as a check of its own: the
 * schema's pattern and ajv's date-time format are what clients see).
 */
export function checkRemindAt(body: { remindAt?: string | null }, where = 'body/remindAt'): void {
  if (typeof body.remindAt !== 'string') return;
  try {
    normalizeInstant(body.remindAt);
  } catch {
    throw new HttpError(400, `${where} must be a date and time with an offset, ISO 8601 (e.g. 2026-03-30T07:00:00Z), years 0001 to 9999`);
  }
}

const quotaExceeded = (quota: number, what = 'adding more') => new HttpError(403, `You have ${quota} tasks, the most an account may have. Delete some before ${what}.`);
const notFound = () => new HttpError(404, 'There is no such task.');
const changed = () => new HttpError(412, 'The task was changed since you read it. Load it again and repeat your change on the current version.');
const json = (reply: FastifyReply, status: number, text: string) => reply.code(status).type('application/json; charset=utf-8').send(text);
const sendTask = (reply: FastifyReply, status: number, task: TaskJson) => json(reply.header('etag', etag(task.version)), status, task.json);

export const taskRoutes: FastifyPluginAsync<{ quota: number }> = async (app, { quota }) => {
  const taskPath = `${API_ROUTES.tasks}/:id`;

  app.get<{ Querystring: TaskQuery }>(
    API_ROUTES.tasks,
    {
      config: { auth: 'inline' },
      schema: {
        summary: 'List, search, filter, sort and page your tasks',
        tags: ['tasks'],
        security: BEARER,
        querystring: TaskQuerySchema,
        response: { 200: TaskPageSchema, 304: { type: 'null', description: 'Not modified: If-None-Match names the current ETag' }, ...errors(400, 401, 503) },
        responseHeaders: { 200: { etag: { description: 'The page\'s entity tag (If-None-Match)' } }, 503: RETRY_AFTER },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const sort = q.sort ?? 'createdAt';
      return app.taskPages.send(request, reply, {
        q: q.q,
        status: q.status ?? 'all',
        priority: q.priority,
        tag: q.tag,
        dueFrom: q.dueFrom,
        dueTo: q.dueTo,
        sort,
        order: q.order ?? (sort === 'createdAt' ? 'desc' : 'asc'),
        page: q.page ?? 1,
        pageSize: q.pageSize ?? LIMITS.pageSizeDefault,
      });
    },
  );

  app.post<{ Body: TaskCreate; Headers: { 'idempotency-key'?: string } }>(
    API_ROUTES.tasks,
    {
      config: { auth: 'inline' },
      schema: {
        summary: 'Create a task (at most once per Idempotency-Key)',
        tags: ['tasks'],
        security: BEARER,
        headers: IdempotencyHeaderSchema,
        body: TaskCreateSchema,
        response: { 201: TaskSchema, ...errors(400, 401, 403, 413, 415, 422, 429, 503) },
        responseHeaders: { 201: { ...ETAG, location: { description: 'The new task\'s URL' } }, 429: RETRY_AFTER, 503: RETRY_AFTER },
      },
    },
    async (request, reply) => {
      const { sub, sid } = request.claims!;
      await app.limits.write(request);
      checkRemindAt(request.body);
      const key = request.headers['idempotency-key'];
      const outcome: CreateOutcome = key ? await app.tasks.createIdempotent(sub, sid, key, request.body, quota) : await app.tasks.create(sub, sid, request.body, quota);
      switch (outcome.kind) {
        case 'session':
          throw sessionInvalid();
        case 'quota':
          throw quotaExceeded(quota);
        case 'key-reused':
          throw new HttpError(422, 'This Idempotency-Key was already used for a different task. Use a new key for a new task.');
        case 'replayed':
          reply.header('idempotent-replayed', 'true');
          return locate(reply, outcome.task.json) && sendTask(reply, outcome.status, outcome.task);
        case 'created':
          return locate(reply, outcome.task.json) && sendTask(reply, 201, outcome.task);
      }
    },
  );

  /** Location of the task in `taskJson` (its id leads the object). */
  function locate(reply: FastifyReply, taskJson: string) {
    const id = /^\{"id" ?: ?"([0-9a-f-]{36})"/.exec(taskJson)?.[1];
    if (id) reply.header('location', API_ROUTES.task(id));
    return true;
  }

  app.get<{ Params: { id: string } }>(
    taskPath,
    {
      config: { auth: 'session' },
      schema: {
        summary: 'One task',
        tags: ['tasks'],
        security: BEARER,
        params: TaskParamsSchema,
        response: { 200: TaskSchema, 304: { type: 'null', description: 'Not modified: If-None-Match names the current ETag' }, ...errors(400, 401, 404, 503) },
        responseHeaders: { 200: ETAG, 503: RETRY_AFTER },
      },
    },
    async (request, reply) => {
      const task = await app.tasks.get(request.user.id, request.params.id);
      if (!task) throw notFound();
      const inm = request.headers['if-none-match'];
      if (inm && etagMatches(inm, etag(task.version))) return reply.code(304).header('etag', etag(task.version)).send();
      return sendTask(reply, 200, task);
    },
  );

  app.patch<{ Params: { id: string }; Body: TaskUpdate; Headers: { 'if-match'?: string } }>(
    taskPath,
    {
      config: { auth: 'inline' },
      schema: {
        summary:
          'Change a task (any subset of its fields; `completed: true` marks it done, and for a recurring task creates its next occurrence once); If-Match makes it conditional',
        tags: ['tasks'],
        security: BEARER,
        params: TaskParamsSchema,
        headers: IfMatchHeaderSchema,
        body: TaskUpdateSchema,
        response: { 200: TaskSchema, ...errors(400, 401, 403, 404, 412, 413, 415, 429, 503) },
        responseHeaders: { 200: ETAG, 429: RETRY_AFTER, 503: RETRY_AFTER },
      },
    },
    async (request, reply) => {
      const { sub, jti } = request.claims!;
      await app.limits.write(request);
      checkRemindAt(request.body);
      const result = await app.tasks.update(sub, jti, request.params.id, request.body, quota, ifMatchVersions(request.headers['if-match']));
      if (typeof result !== 'string') return sendTask(reply, 200, result);
      throw failure(result, 'completing this repeating task (its next occurrence would be one more)');
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { scope?: DeleteScope }; Headers: { 'if-match'?: string } }>(
    taskPath,
    {
      config: { auth: 'inline' },
      schema: {
        summary: 'Delete a task; for an occurrence of a recurring task, `scope=series` deletes every occurrence, the default skips this one (its next occurrence is created); If-Match makes it conditional',
        tags: ['tasks'],
        security: BEARER,
        params: TaskParamsSchema,
        querystring: TaskDeleteQuerySchema,
        headers: IfMatchHeaderSchema,
        response: { 204: { type: 'null' }, ...errors(400, 401, 403, 404, 412, 429, 503) },
        responseHeaders: { 429: RETRY_AFTER, 503: RETRY_AFTER },
      },
    },
    async (request, reply) => {
      const { sub, jti } = request.claims!;
      await app.limits.write(request);
      const result = await app.tasks.delete(sub, jti, request.params.id, request.query.scope ?? 'occurrence', quota, ifMatchVersions(request.headers['if-match']));
      if (result === 'deleted') return reply.code(204).send();
      throw failure(result, 'skipping this occurrence (its next one would be one more), or delete the whole series');
    },
  );

  function failure(outcome: 'not-found' | 'precondition-failed' | 'session' | 'quota', quotaWhat: string): HttpError {
    switch (outcome) {
      case 'not-found':
        return notFound();
      case 'precondition-failed':
        return changed();
      case 'session':
        return sessionInvalid();
      case 'quota':
        return quotaExceeded(quota, quotaWhat);
    }
  }
};
