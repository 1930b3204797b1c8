/**
 * JSON schemas of every request part and response, built from the contract's limits and enums.
 * Fastify validates requests with them (ajv, `additionalProperties: false` rejects unknown fields),
 * serialises responses with them, and src/openapi.ts turns them into the OpenAPI document: the
 * named ones below become `components.schemas`.
 */
import { API_HEADERS, CSRF_HEADER_VALUE, DELETE_SCOPES, FREQUENCIES, LIMITS, PRIORITIES, SORT_ORDERS, TASK_SORT_FIELDS, TASK_STATUSES } from '@todo/contract';

/**
 * Text that PostgreSQL can store: no NUL character (PostgreSQL's text cannot hold one). Unpaired UTF-16
 * surrogates, which cannot be written as UTF-8, are refused by src/plugins/well-formed.ts: no regex
 * dialect that clients' validators share (ECMAScript, Python, Rust) can name them.
 */
export const TEXT_PATTERN = '^[^\\x00]*$';
/** At least one character that is not white space. */
export const NOT_BLANK_PATTERN = '\\S';
/** Years 0001 to 9999: PostgreSQL has no year 0, and four digits are what the format allows. */
export const DATE_PATTERN = '^(?!0000)[0-9]{4}-';
/**
 * An instant as RFC 3339 writes it, with `T` and an offset (`Z` or `±hh:mm`), at most nanoseconds, years
 * 0001 to 9999: what Temporal, PostgreSQL and ajv's `date-time` all read the same way.
 */
export const INSTANT_PATTERN = '^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$';

const dateTime = { type: 'string', format: 'date-time' } as const;
/** A real calendar date, YYYY-MM-DD (ajv-formats' `date` rejects 2026-02-30), years 0001 to 9999. */
const date = { type: 'string', format: 'date', pattern: DATE_PATTERN, description: 'Calendar date YYYY-MM-DD (years 0001 to 9999)' } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const instant = { type: 'string', format: 'date-time', pattern: INSTANT_PATTERN, description: 'An instant, ISO 8601 with an offset, e.g. 2026-03-30T07:00:00Z' } as const;
const timeZone = {
  type: 'string',
  minLength: 1,
  maxLength: LIMITS.timeZoneMaxLength,
  pattern: LIMITS.timeZonePattern,
  description: 'An IANA time zone name, e.g. Europe/Berlin (one the server does not know: 422)',
} as const;
const text = (maxLength: number, extra: object = {}) => ({ type: 'string', maxLength, pattern: TEXT_PATTERN, ...extra }) as const;

export const UserSchema = {
  type: 'object',
  required: ['id', 'email', 'createdAt'],
  additionalProperties: false,
  properties: { id: uuid, email: { type: 'string' }, createdAt: dateTime },
} as const;

export const SessionSchema = {
  type: 'object',
  required: ['token', 'expiresAt', 'user'],
  additionalProperties: false,
  properties: {
    token: { type: 'string', description: 'The access token: send as `Authorization: Bearer <token>`' },
    expiresAt: { ...dateTime, description: 'When the access token expires; renew before it (POST /api/auth/session/refresh)' },
    user: UserSchema,
  },
} as const;

export const CredentialsSchema = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', format: 'email', maxLength: LIMITS.emailMaxLength },
    password: text(LIMITS.passwordMaxLength, { minLength: LIMITS.passwordMinLength }),
    timeZone: { ...timeZone, description: 'The browser\'s IANA time zone, stored as the user\'s (Settings); one the server does not know: 422' },
  },
} as const;

export const SettingsSchema = {
  type: 'object',
  required: ['timeZone'],
  additionalProperties: false,
  properties: { timeZone },
} as const;

const title = { type: 'string', minLength: 1, maxLength: LIMITS.titleMaxLength, allOf: [{ pattern: TEXT_PATTERN }, { pattern: NOT_BLANK_PATTERN }] } as const;
const description = text(LIMITS.descriptionMaxLength);
const priority = { type: 'string', enum: PRIORITIES } as const;
const tag = { type: 'string', minLength: 1, maxLength: LIMITS.tagMaxLength, pattern: LIMITS.tagPattern } as const;
const tags = { type: 'array', maxItems: LIMITS.tagsMaxCount, uniqueItems: true, items: tag } as const;
const dueDate = { anyOf: [date, { type: 'null' }] } as const;
const remindAt = { anyOf: [instant, { type: 'null' }] } as const;

const recurrenceFields = {
  frequency: { type: 'string', enum: FREQUENCIES },
  interval: { type: 'integer', minimum: 1, maximum: LIMITS.recurrenceIntervalMax, description: 'Every this many days, weeks or months (default 1)' },
  weekdays: {
    type: 'array',
    maxItems: 7,
    uniqueItems: true,
    items: { type: 'integer', minimum: 1, maximum: 7 },
    description: 'Weekly rules only: ISO weekdays, 1 = Monday … 7 = Sunday (default: the due date\'s)',
  },
  until: { anyOf: [{ ...date, description: 'The last date an occurrence may fall on' }, { type: 'null' }] },
  count: { anyOf: [{ type: 'integer', minimum: 1, maximum: LIMITS.recurrenceCountMax, description: 'How many occurrences in all' }, { type: 'null' }] },
} as const;

/** How a task repeats, as sent (contract RecurrenceInput). Weekdays belong to weekly rules only. */
export const RecurrenceInputSchema = {
  type: 'object',
  required: ['frequency'],
  additionalProperties: false,
  properties: recurrenceFields,
  if: { properties: { frequency: { not: { const: 'weekly' } } } },
  then: { properties: { weekdays: { type: 'array', maxItems: 0 } } },
} as const;

/** … as the API answers it (contract Recurrence), with the time zone of its series. */
export const RecurrenceSchema = {
  type: 'object',
  required: ['frequency', 'interval', 'weekdays', 'until', 'count', 'timeZone'],
  additionalProperties: false,
  properties: {
    frequency: recurrenceFields.frequency,
    interval: { type: 'integer' },
    weekdays: { type: 'array', items: { type: 'integer' } },
    until: { type: ['string', 'null'], format: 'date' },
    count: { type: ['integer', 'null'] },
    timeZone: { type: 'string', description: 'The IANA zone the series is computed in: the user\'s when the rule was set' },
  },
} as const;
const recurrence = { anyOf: [RecurrenceInputSchema, { type: 'null' }] } as const;

export const TaskSchema = {
  type: 'object',
  required: ['id', 'title', 'description', 'priority', 'tags', 'dueDate', 'completed', 'completedAt', 'createdAt', 'updatedAt', 'version', 'recurrence', 'seriesId', 'occurrence', 'remindAt'],
  additionalProperties: false,
  properties: {
    id: uuid,
    title: { type: 'string' },
    description: { type: 'string' },
    priority,
    tags: { type: 'array', items: { type: 'string' } },
    dueDate: { type: ['string', 'null'], format: 'date' },
    completed: { type: 'boolean' },
    completedAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: dateTime,
    updatedAt: dateTime,
    version: { type: 'integer', minimum: 1, description: 'Raised by every change; the ETag of the task is `"<version>"` (If-Match)' },
    recurrence: { anyOf: [RecurrenceSchema, { type: 'null' }] },
    seriesId: { type: ['string', 'null'], format: 'uuid', description: 'The series of a recurring task' },
    occurrence: { type: ['integer', 'null'], minimum: 1, description: 'This occurrence\'s number in its series (1, 2, …)' },
    remindAt: { type: ['string', 'null'], format: 'date-time', description: 'The reminder (an instant, UTC)' },
  },
} as const;

export const TaskCreateSchema = {
  type: 'object',
  required: ['title'],
  additionalProperties: false,
  properties: { title, description, priority, tags, dueDate, recurrence, remindAt },
} as const;

export const TaskUpdateSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { title, description, priority, tags, dueDate, completed: { type: 'boolean' }, recurrence, remindAt },
} as const;

export const TaskDeleteQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scope: { type: 'string', enum: DELETE_SCOPES, description: 'occurrence (default): this task; series: every occurrence of its series' },
  },
} as const;

export const ReminderQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    within: {
      type: 'integer',
      minimum: 0,
      maximum: LIMITS.remindersWithinMaxMinutes,
      default: 0,
      description: 'Also list reminders due within this many minutes from now (default 0: those due now)',
    },
  },
} as const;

export const ReminderListSchema = {
  type: 'object',
  required: ['now', 'items'],
  additionalProperties: false,
  properties: {
    now: { ...dateTime, description: 'The server\'s clock when it answered' },
    items: { type: 'array', items: TaskSchema, description: 'Open tasks whose reminder is due (by now + within) and not acknowledged, oldest first' },
  },
} as const;

export const ReminderAcknowledgeSchema = {
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      minItems: 1,
      maxItems: LIMITS.remindersMax,
      items: {
        type: 'object',
        required: ['taskId', 'remindAt'],
        additionalProperties: false,
        properties: { taskId: uuid, remindAt: { ...instant, description: 'The reminder as listed: a reminder moved meanwhile is not acknowledged' } },
      },
    },
  },
} as const;

export const ReminderAcknowledgedSchema = {
  type: 'object',
  required: ['acknowledged'],
  additionalProperties: false,
  properties: { acknowledged: { type: 'integer', minimum: 0, description: 'How many reminders were acknowledged now' } },
} as const;

export const TaskQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: text(LIMITS.searchMaxLength, { description: 'Words to find in the title, description or tags (case-insensitive; every word must match)' }),
    status: { type: 'string', enum: TASK_STATUSES, default: 'all' },
    priority,
    tag,
    dueFrom: { ...date, description: 'Due on or after this date (YYYY-MM-DD)' },
    dueTo: { ...date, description: 'Due on or before this date (YYYY-MM-DD)' },
    sort: { type: 'string', enum: TASK_SORT_FIELDS, default: 'createdAt' },
    order: { type: 'string', enum: SORT_ORDERS, description: 'Default: desc for createdAt, asc otherwise' },
    page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: LIMITS.pageSizeMax, default: LIMITS.pageSizeDefault },
  },
} as const;

export const TaskPageSchema = {
  type: 'object',
  required: ['items', 'total', 'page', 'pageSize'],
  additionalProperties: false,
  properties: {
    items: { type: 'array', items: TaskSchema },
    total: { type: 'integer' },
    page: { type: 'integer' },
    pageSize: { type: 'integer' },
  },
} as const;

export const TaskParamsSchema = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: uuid },
} as const;

/** `If-Match` on PATCH and DELETE: `*` or a list of entity tags (a task's ETag is `"<version>"`); a value that names no version of ours matches none (412). */
export const IfMatchHeaderSchema = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      maxLength: 1000,
      description: 'Apply only if the task still has this version: its ETag, `"<version>"` (412 otherwise)',
    },
  },
} as const;

export const IdempotencyHeaderSchema = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[!-~]+$',
      description: 'A key the client makes per intended task (e.g. a UUID): the same key and body within 24 hours gives the same task and status; another body, 422',
    },
  },
} as const;

/** The header the cookie routes require: a cross-site page cannot send it without a CORS preflight, which the API never grants. */
export const CsrfHeaderSchema = {
  type: 'object',
  required: [API_HEADERS.csrf.toLowerCase()],
  properties: {
    [API_HEADERS.csrf.toLowerCase()]: {
      type: 'string',
      enum: [CSRF_HEADER_VALUE],
      description: `Must be "${CSRF_HEADER_VALUE}": proves the request comes from a script of this site, not from another site's form or link`,
    },
  },
} as const;
/** `security` of a route that needs a session token. */
export const BEARER = [{ bearer: [] }];
/** The `Retry-After` response header (429, 503). */
export const RETRY_AFTER = { 'retry-after': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } };

export const ErrorSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/** Schemas listed under `components.schemas` in the OpenAPI document (referenced by identity). */
export const NAMED_SCHEMAS: Record<string, object> = {
  User: UserSchema,
  Session: SessionSchema,
  Credentials: CredentialsSchema,
  Task: TaskSchema,
  TaskCreate: TaskCreateSchema,
  TaskUpdate: TaskUpdateSchema,
  TaskPage: TaskPageSchema,
  Recurrence: RecurrenceSchema,
  RecurrenceInput: RecurrenceInputSchema,
  ReminderList: ReminderListSchema,
  ReminderAcknowledge: ReminderAcknowledgeSchema,
  Settings: SettingsSchema,
  Error: ErrorSchema,
};

/** Error responses a route may give, for its schema (serialisation and the OpenAPI document). */
export function errors(...codes: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(codes.map((c) => [c, ErrorSchema]));
}
