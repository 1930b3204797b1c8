/**
 * Every error reaches the client in Fastify's shape, `{ statusCode, error, message }` (contract
 * `ApiError`), with a message fit to show to a user. Client mistakes are 4xx with a precise message;
 * only our own faults are 500, and those never reveal internals.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { LIMITS } from '@todo/contract';
import type { ErrorObject } from 'ajv';
import { DATE_PATTERN, INSTANT_PATTERN, NOT_BLANK_PATTERN, TEXT_PATTERN } from './schemas';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const UNAUTHORIZED = 'Your session has ended or is not valid. Please log in again.';

/** 401 for a token that is invalid, expired or revoked, or whose user is gone. */
export const sessionInvalid = () => new HttpError(401, UNAUTHORIZED, { 'www-authenticate': 'Bearer' });

export function apiError(statusCode: number, message: string) {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

const INSTANT_RULE = 'must be a date and time with an offset, ISO 8601 (e.g. 2026-03-30T07:00:00Z), years 0001 to 9999';

/** What a nullable field must be when it is not null (the anyOf of src/schemas.ts). */
const NULLABLE_RULES: Record<string, string> = {
  remindAt: INSTANT_RULE,
  recurrence: 'must be a rule {frequency, interval, weekdays, until, count}',
  count: `must be a whole number from 1 to ${LIMITS.recurrenceCountMax}`,
};

/** One readable sentence for the first schema violation, naming the field: "body/title must …". */
export function describeSchemaError(errors: ErrorObject[], dataVar: string): string {
  const e = errors[0];
  if (!e) return `${dataVar} is invalid`;
  const where = `${dataVar}${e.instancePath}`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where} has an unknown field "${String(p.additionalProperty)}"`;
    case 'required':
      return `${where} must have the field "${String(p.missingProperty)}"`;
    case 'enum':
      return `${where} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'format':
      if (p.format === 'date') return `${where} must be a real calendar date written YYYY-MM-DD`;
      if (p.format === 'email') return `${where} must be an email address`;
      if (p.format === 'uuid') return `${where} must be a task id (a UUID)`;
      if (p.format === 'date-time') return `${where} ${INSTANT_RULE}`;
      return `${where} must be a valid ${String(p.format)}`;
    case 'pattern':
      if (p.pattern === TEXT_PATTERN) return `${where} must not contain NUL characters`;
      if (p.pattern === NOT_BLANK_PATTERN) return `${where} must not be blank`;
      if (p.pattern === DATE_PATTERN) return `${where} must be a calendar date from the year 0001 to 9999, written YYYY-MM-DD`;
      if (p.pattern === LIMITS.tagPattern) return `${where} must be a lower-case word: letters, digits, "-" and "_"`;
      if (p.pattern === INSTANT_PATTERN) return `${where} ${INSTANT_RULE}`;
      if (p.pattern === LIMITS.timeZonePattern) return `${where} must be an IANA time zone name such as Europe/Berlin`;
      return `${where} ${e.message}`;
    case 'minProperties':
      return `${where} must change at least one field`;
    case 'uniqueItems':
      return `${where} must not repeat an item`;
    case 'maxItems':
      // The `then` of RecurrenceInputSchema: weekdays with a daily or monthly rule.
      if (p.limit === 0 && where.endsWith('/weekdays')) return `${where} must be empty: weekdays are for a weekly rule only`;
      return `${where} ${e.message ?? 'has too many items'}`;
    case 'anyOf': {
      // A value or null (dueDate, remindAt, …); the interesting error is the value's, reported before it.
      const field = e.instancePath.slice(e.instancePath.lastIndexOf('/') + 1);
      return `${where} ${NULLABLE_RULES[field] ?? 'must be a calendar date written YYYY-MM-DD'}, or null`;
    }
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

/** Fastify's `schemaErrorFormatter`: a 400 whose message names the field and the rule. */
export function schemaErrorFormatter(errors: ErrorObject[], dataVar: string): Error {
  // With allErrors off ajv stops at the first failure; for anyOf its own sub-errors come first.
  const first = errors.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'type') ?? errors[0];
  const anyOf = errors.find((e) => e.keyword === 'anyOf');
  // A value-or-null field: its own rule reads better than "must be string"; an object's missing or unknown field is said as such.
  const shape = first && (first.keyword === 'additionalProperties' || first.keyword === 'required');
  const chosen = anyOf && first && !shape && first.instancePath === anyOf.instancePath ? anyOf : first;
  const err = new HttpError(400, describeSchemaError(chosen ? [chosen] : [], dataVar));
  return err;
}

export interface ErrorLog {
  error(obj: object, msg: string): void;
}

/**
 * The database cannot serve right now: the service is unavailable, not broken. Connection failures,
 * a server shutting down or out of connection slots (53300), a statement cancelled by
 * statement_timeout (57014), and the client-side bounds of src/db/postgres.ts (no connection in
 * time, no answer in time).
 */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03', '53300', '57014']);
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|the database did not answer/i;

export function errorHandler(err: FastifyError & { headers?: Record<string, string> }, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof HttpError) {
    reply.headers(err.headers);
    return reply.code(err.statusCode).send(apiError(err.statusCode, err.message));
  }
  const status = err.statusCode ?? 500;
  // A request no route takes can fail earlier, in body parsing (e.g. a body method without a
  // Content-Type): it still gets the 404 or 405 of its path.
  if (request.is404 && status >= 400 && status < 500 && request.server.hasDecorator('noRoute')) return request.server.noRoute(request, reply);
  if (status >= 400 && status < 500) {
    // Fastify's own client errors: bad JSON, 413, 415, ...
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `The request body is larger than the limit of ${Math.round(request.routeOptions.bodyLimit / 1024)} kB`;
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = 'Send the request body as JSON (Content-Type: application/json)';
    else if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') message = 'The request body is not valid JSON.';
    else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') message = 'The request body is empty but declared as JSON; send a JSON object or no Content-Type';
    return reply.code(status).send(apiError(status, message));
  }
  if (UNAVAILABLE.has(String(err.code)) || UNAVAILABLE_MESSAGE.test(err.message)) {
    request.log.error({ err: { message: err.message, code: err.code } }, 'database unavailable');
    return reply.code(503).header('retry-after', '5').send(apiError(503, 'The database is not available right now. Please try again in a moment.'));
  }
  request.log.error({ err: { message: err.message, code: err.code, stack: err.stack } }, 'request failed');
  return reply.code(500).send(apiError(500, 'Something went wrong on the server. Please try again.'));
}
