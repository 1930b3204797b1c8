/**
 * The backend as a Fastify application over a `Database`: the REST API below BACKEND.apiPrefix,
 * the probes, the metrics and the OpenAPI document, plus the shutdown sequence. src/server.ts
 * wires it to the environment and the process; the tests build it over PGlite and use `inject`.
 */
import { BlockList, isIP } from 'node:net';
import { API_ROUTES, BACKEND, LIMITS, type TaskCreate, type TaskQuery, type TaskUpdate, type User } from '@todo/contract';
import { AjvCompiler } from '@fastify/ajv-compiler';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import { createTokenSigner, TokenError, type TokenClaims } from './auth/jwt';
import { burnVerification, DEFAULT_SCRYPT, hashPassword, type ScryptParams, verifyPassword } from './auth/password';
import { createRateLimiter } from './auth/rate-limit';
import { schemaVersion } from './db/migrator';
import { LATEST_VERSION } from './db/migrations';
import { createVersionChecker } from './db/version-batch';
import { createStore, type ListParams, searchWords, SESSION_INVALID } from './db/store';
import type { Database } from './db/types';
import { withTimeout } from './db/types';
import { apiError, errorHandler, HttpError, schemaErrorFormatter } from './errors';
import { type CachedPage, LIST_CACHE_DEFAULT_BYTES, ListCache, pageEtag } from './list-cache';
import { loggerOptions } from './logger';
import { createMetrics } from './metrics';
import { openApiDocument, type RouteDoc, toRouteDoc } from './openapi';
import {
  CredentialsSchema,
  errors,
  SessionSchema,
  TaskCreateSchema,
  TaskPageSchema,
  TaskParamsSchema,
  TaskQuerySchema,
  TaskSchema,
  TaskUpdateSchema,
  UserSchema,
} from './schemas';

export const API_VERSION = '1.0.0';

export type Phase = 'starting' | 'ready' | 'draining' | 'closing' | 'closed';

export interface BackendOptions {
  db: Database;
  jwtSecret: string;
  jwtTtlSeconds: number;
  loginRateLimitPerMinute: number;
  logLevel?: string;
  /** Where log lines go (default: standard output). */
  logStream?: { write(line: string): void };
  scrypt?: ScryptParams;
  /** How long /readyz waits for the database (ms). */
  readinessTimeoutMs?: number;
  /** The database is migrated to this release's schema already (skips the check in /readyz). */
  schemaChecked?: boolean;
  /** Memory budget of the task-page cache (src/list-cache.ts), bytes; 0 disables it. */
  listCacheBytes?: number;
}

export interface Backend {
  app: FastifyInstance;
  phase(): Phase;
  /** /readyz may answer 200 from now on (the database was opened and, for PGlite, migrated). */
  markReady(): void;
  /**
   * The SIGTERM sequence: /readyz 503 at once; keep serving for `delaySeconds`; stop accepting
   * connections; let in-flight requests finish (at most `timeoutSeconds`, then their connections
   * are cut); close the database. Resolves `true` when everything finished in time.
   */
  shutdown(opts: { delaySeconds: number; timeoutSeconds: number }): Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
    claims?: TokenClaims;
  }
  /** Documentation keywords, used by the OpenAPI document (src/openapi.ts). */
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
    security?: unknown[];
  }
  interface FastifyContextConfig {
    /**
     * Needs `Authorization: Bearer <token>`. 'session': the hook checks the token's signature and
     * expiry, then the session in the database (user exists, token not revoked). 'inline': the hook
     * checks the token only, and the handler's own statement checks the session (one round trip).
     */
    auth?: 'session' | 'inline';
  }
}

// Addresses of proxies we may sit behind (ingress controller, the frontend's /api proxy, a sidecar).
const PRIVATE = new BlockList();
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

/**
 * The client address (rate limiting, logs): the last X-Forwarded-For entry when the connection
 * comes from a private address (one proxy hop: the ingress controller or the frontend's proxy,
 * which append the address they saw), else the connection's own address. A client can therefore
 * not choose its address by sending X-Forwarded-For itself through the proxy.
 */
export function trustProxy(address: string, hop: number): boolean {
  if (hop !== 0) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  const family = isIP(a);
  return family !== 0 && PRIVATE.check(a, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Two ajv validators: request bodies are JSON and are checked as sent (a number is no string, a
 * string no array); query strings and path parameters are text, so there `"2"` may become 2.
 * Neither strips unknown fields: `additionalProperties: false` rejects them.
 */
function validatorFactory() {
  const pool = AjvCompiler();
  type Pool = ReturnType<typeof AjvCompiler>;
  return (externalSchemas: Parameters<Pool>[0], options?: { customOptions?: object }) => {
    const make = (extra: object) =>
      pool(externalSchemas, { ...options, customOptions: { ...options?.customOptions, removeAdditional: false, allErrors: false, ...extra } } as Parameters<Pool>[1]);
    const strict = make({ coerceTypes: false });
    const coercing = make({ coerceTypes: 'array' });
    return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : coercing)(route as never);
  };
}

/** The list cache's key: the user and every parameter that shapes the page, normalised. */
function listKey(userId: string, p: ListParams): string {
  return [userId, searchWords(p.q ?? '').join(' '), p.status, p.priority ?? '', p.tag ?? '', p.dueFrom ?? '', p.dueTo ?? '', p.sort, p.order, p.page, p.pageSize].join('\n');
}

/** If-None-Match (a list of entity tags, weak or strong, or `*`) names `etag`. */
function etagMatches(header: string, etag: string): boolean {
  for (const part of header.split(',')) {
    const t = part.trim();
    if (t === '*' || t === etag || (t.startsWith('W/') && t.slice(2) === etag)) return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UNAUTHORIZED = 'Your session has ended or is not valid. Please log in again.';

export function createBackend(opts: BackendOptions): Backend {
  const db = opts.db;
  const store = createStore(db);
  const tokens = createTokenSigner(opts.jwtSecret, opts.jwtTtlSeconds);
  const limiter = createRateLimiter(opts.loginRateLimitPerMinute);
  const scryptParams = opts.scrypt ?? DEFAULT_SCRYPT;
  const metrics = createMetrics();
  const listCache = new ListCache(opts.listCacheBytes ?? LIST_CACHE_DEFAULT_BYTES);
  const versions = createVersionChecker(db);
  const readinessTimeoutMs = opts.readinessTimeoutMs ?? 1000;
  let schemaOk = opts.schemaChecked ?? false;
  let phase: Phase = 'starting';

  const app = Fastify({
    logger: loggerOptions(opts.logLevel ?? 'info', opts.logStream),
    // One line per request, written by the onResponse hook below (with the route template).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.bodyLimitBytes,
    trustProxy,
    // During the drain, requests on open keep-alive connections are still served (with
    // `Connection: close`), not refused: the client may not have seen /readyz turn 503 yet.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    keepAliveTimeout: 5_000,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    schemaController: { compilersFactory: { buildValidator: validatorFactory() as never } },
    schemaErrorFormatter,
    routerOptions: { ignoreTrailingSlash: true },
  });

  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (r: RouteOptions) => {
    routes.push(toRouteDoc(r));
  });

  // JSON only: a text/plain body gets 415 rather than a confusing schema error.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(apiError(404, `There is no ${request.method} ${request.url.split('?')[0]} route.`));
  });

  // ---- cross-cutting hooks ---------------------------------------------------------------------
  // Callback-style hooks (no promise per request): they run on every response, so they stay cheap.
  app.addHook('onSend', (_request, reply, payload, done) => {
    // While closing, every response (in-flight ones included) tells the client to reconnect.
    if (phase === 'closing') reply.header('connection', 'close');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    // Probes and scrapes are frequent and say nothing new: debug (a 503 of /readyz is expected too).
    const quiet = route === BACKEND.livenessPath || route === BACKEND.readinessPath || route === BACKEND.metricsPath;
    const level = quiet ? 'debug' : reply.statusCode >= 500 ? 'error' : 'info';
    // The fields (request.ip runs the trusted-proxy check) are built only when the line is written.
    if ((request.log as typeof request.log & { isLevelEnabled(level: string): boolean }).isLevelEnabled(level)) {
      const fields = { method: request.method, url: request.url, route, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ip: request.ip };
      request.log[level](fields, 'request completed');
    }
    if (phase === 'closing') app.server.closeIdleConnections();
    done();
  });

  async function authenticate(request: FastifyRequest, reply: FastifyReply, mode: 'session' | 'inline') {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    reply.header('www-authenticate', 'Bearer');
    if (!match) throw new HttpError(401, 'Log in first: this request needs an Authorization: Bearer <token> header.');
    let claims: TokenClaims;
    try {
      claims = tokens.verify(match[1]!);
    } catch (err) {
      if (err instanceof TokenError) throw new HttpError(401, UNAUTHORIZED);
      throw err;
    }
    request.claims = claims;
    if (mode === 'inline') return;
    const user = await store.sessionUser(claims.sub, claims.jti);
    if (!user) throw new HttpError(401, UNAUTHORIZED);
    request.user = user;
  }
  app.addHook('onRequest', async (request, reply) => {
    const mode = request.routeOptions.config.auth;
    if (mode) await authenticate(request, reply, mode);
  });
  const sessionInvalid = () => new HttpError(401, UNAUTHORIZED, { 'www-authenticate': 'Bearer' });
  const json = (reply: FastifyReply, status: number, text: string) => reply.code(status).type('application/json; charset=utf-8').send(text);
  const sendPage = (reply: FastifyReply, page: CachedPage) => reply.code(200).header('etag', page.etag).type('application/json; charset=utf-8').send(page.body);

  function rateLimit(request: FastifyRequest) {
    const retryAfter = limiter.hit(request.ip);
    if (retryAfter > 0) {
      throw new HttpError(429, `Too many log-in or sign-up attempts from your address. Please wait ${retryAfter} seconds and try again.`, {
        'retry-after': String(retryAfter),
      });
    }
  }

  function session(user: User) {
    const { token, claims } = tokens.sign(user.id);
    return { token, expiresAt: new Date(claims.exp * 1000).toISOString(), user };
  }

  const normaliseEmail = (email: string) => email.trim().toLowerCase();
  const bearer = [{ bearer: [] }];

  // ---- operations --------------------------------------------------------------------------------
  app.get(BACKEND.livenessPath, { schema: { summary: 'Liveness: the process is alive (never touches the database)', tags: ['operations'] } }, async () => ({
    status: 'ok',
  }));

  app.get(BACKEND.readinessPath, { schema: { summary: 'Readiness: the database answers and the process is not shutting down', tags: ['operations'] } }, async (_request, reply) => {
    if (phase !== 'ready') return reply.code(503).send({ status: phase });
    try {
      await db.ping(readinessTimeoutMs);
      if (!schemaOk) {
        const version = await withTimeout(schemaVersion(db), readinessTimeoutMs, 'schema check timed out');
        if (version < LATEST_VERSION) return reply.code(503).send({ status: 'database schema is not migrated', version, expected: LATEST_VERSION });
        schemaOk = true;
      }
    } catch (err) {
      app.log.warn({ error: (err as Error).message }, 'readiness: database unavailable');
      return reply.code(503).send({ status: 'database unavailable' });
    }
    return { status: 'ready' };
  });

  app.get(BACKEND.metricsPath, { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  let openApi: unknown;
  app.get(BACKEND.openApiPath, { schema: { summary: 'This OpenAPI document', tags: ['operations'] } }, async () => {
    openApi ??= openApiDocument(routes, API_VERSION);
    return openApi;
  });

  // ---- accounts ----------------------------------------------------------------------------------
  app.post<{ Body: { email: string; password: string } }>(
    API_ROUTES.signup,
    {
      schema: {
        summary: 'Create an account; returns a session',
        tags: ['accounts'],
        body: CredentialsSchema,
        response: { 201: SessionSchema, ...errors(400, 409, 413, 429) },
      },
    },
    async (request, reply) => {
      rateLimit(request);
      const email = normaliseEmail(request.body.email);
      const user = await store.createUser(email, await hashPassword(request.body.password, scryptParams));
      if (!user) throw new HttpError(409, 'An account with this email already exists. Log in instead.');
      request.log.info({ userId: user.id }, 'account created');
      return reply.code(201).send(session(user));
    },
  );

  app.post<{ Body: { email: string; password: string } }>(
    API_ROUTES.login,
    {
      schema: {
        summary: 'Log in; returns a session',
        tags: ['accounts'],
        body: CredentialsSchema,
        response: { 200: SessionSchema, ...errors(400, 401, 413, 429) },
      },
    },
    async (request) => {
      rateLimit(request);
      const found = await store.findUserByEmail(normaliseEmail(request.body.email));
      if (!found) await burnVerification(request.body.password, scryptParams);
      if (!found || !(await verifyPassword(request.body.password, found.passwordHash))) {
        throw new HttpError(401, 'Wrong email or password.');
      }
      const { passwordHash: _, ...user } = found;
      return session(user);
    },
  );

  app.post(
    API_ROUTES.logout,
    {
      config: { auth: 'session' },
      schema: { summary: 'Log out: revokes the presented token', tags: ['accounts'], security: bearer, response: { 204: { type: 'null' }, ...errors(401) } },
    },
    async (request, reply) => {
      const claims = request.claims!;
      await store.revokeToken(claims.jti, new Date(claims.exp * 1000));
      return reply.code(204).send();
    },
  );

  app.get(
    API_ROUTES.me,
    { config: { auth: 'session' }, schema: { summary: 'The logged-in user', tags: ['accounts'], security: bearer, response: { 200: UserSchema, ...errors(401) } } },
    async (request) => request.user!,
  );

  // ---- tasks -------------------------------------------------------------------------------------
  const taskPath = `${API_ROUTES.tasks}/:id`;
  const notFound = () => new HttpError(404, 'There is no such task.');

  app.get<{ Querystring: TaskQuery }>(
    API_ROUTES.tasks,
    {
      config: { auth: 'inline' },
      schema: {
        summary: 'List, search, filter, sort and page your tasks',
        tags: ['tasks'],
        security: bearer,
        querystring: TaskQuerySchema,
        response: { 200: TaskPageSchema, 304: { type: 'null', description: 'Not modified: If-None-Match names the current ETag' }, ...errors(400, 401) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const sort = q.sort ?? 'createdAt';
      const params: ListParams = {
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
      };
      // JSON text from the database, sent as it is (the shape of TaskPageSchema; see src/db/store.ts),
      // or the same bytes from the list cache when the user's tasks_version says they are still exact.
      const { sub, jti } = request.claims!;
      const key = listKey(sub, params);
      const cached = listCache.get(key);
      const ifNoneMatch = request.headers['if-none-match'];
      if (cached || ifNoneMatch) {
        const version = await versions.check(sub, jti);
        if (version === SESSION_INVALID) throw sessionInvalid();
        if (ifNoneMatch && etagMatches(ifNoneMatch, cached?.version === version ? cached.etag : pageEtag(key, version))) {
          return reply.code(304).header('etag', cached?.version === version ? cached.etag : pageEtag(key, version)).send();
        }
        if (cached?.version === version) {
          listCache.hits++;
          return sendPage(reply, cached);
        }
      }
      listCache.misses++;
      const page = await store.listTasksJson(sub, jti, params);
      if (page === SESSION_INVALID) throw sessionInvalid();
      return sendPage(reply, listCache.set(key, page.version, Buffer.from(page.json)));
    },
  );

  app.post<{ Body: TaskCreate }>(
    API_ROUTES.tasks,
    {
      config: { auth: 'inline' },
      schema: {
        summary: 'Create a task',
        tags: ['tasks'],
        security: bearer,
        body: TaskCreateSchema,
        response: { 201: TaskSchema, ...errors(400, 401, 413) },
      },
    },
    async (request, reply) => {
      const task = await store.createTaskJson(request.claims!.sub, request.claims!.jti, request.body);
      if (task === SESSION_INVALID) throw sessionInvalid();
      const id = /^\{"id" ?: ?"([0-9a-f-]{36})"/.exec(task)?.[1];
      if (id) reply.header('location', API_ROUTES.task(id));
      return json(reply, 201, task);
    },
  );

  app.get<{ Params: { id: string } }>(
    taskPath,
    {
      config: { auth: 'session' },
      schema: { summary: 'One task', tags: ['tasks'], security: bearer, params: TaskParamsSchema, response: { 200: TaskSchema, ...errors(400, 401, 404) } },
    },
    async (request, reply) => {
      const task = await store.getTaskJson(request.user!.id, request.params.id);
      if (task === undefined) throw notFound();
      return json(reply, 200, task);
    },
  );

  app.patch<{ Params: { id: string }; Body: TaskUpdate }>(
    taskPath,
    {
      config: { auth: 'session' },
      schema: {
        summary: 'Change a task (any subset of its fields; `completed: true` marks it done)',
        tags: ['tasks'],
        security: bearer,
        params: TaskParamsSchema,
        body: TaskUpdateSchema,
        response: { 200: TaskSchema, ...errors(400, 401, 404, 413) },
      },
    },
    async (request, reply) => {
      const task = await store.updateTaskJson(request.user!.id, request.params.id, request.body);
      if (task === undefined) throw notFound();
      return json(reply, 200, task);
    },
  );

  app.delete<{ Params: { id: string } }>(
    taskPath,
    {
      config: { auth: 'session' },
      schema: { summary: 'Delete a task', tags: ['tasks'], security: bearer, params: TaskParamsSchema, response: { 204: { type: 'null' }, ...errors(400, 401, 404) } },
    },
    async (request, reply) => {
      if (!(await store.deleteTask(request.user!.id, request.params.id))) throw notFound();
      return reply.code(204).send();
    },
  );

  // ---- lifecycle ---------------------------------------------------------------------------------
  let shutdownPromise: Promise<boolean> | undefined;
  return {
    app,
    phase: () => phase,
    markReady() {
      if (phase === 'starting') phase = 'ready';
    },
    shutdown({ delaySeconds, timeoutSeconds }) {
      shutdownPromise ??= (async () => {
        phase = 'draining';
        app.log.info({ delaySeconds }, 'shutdown: readiness now 503');
        if (delaySeconds > 0) await sleep(delaySeconds * 1000);
        phase = 'closing';
        app.log.info({ timeoutSeconds }, 'shutdown: no longer accepting connections; draining in-flight requests');
        let clean = true;
        const deadline = setTimeout(() => {
          clean = false;
          app.log.warn('shutdown: drain timeout, closing the remaining connections');
          app.server.closeAllConnections();
        }, timeoutSeconds * 1000);
        try {
          await app.close();
        } finally {
          clearTimeout(deadline);
        }
        await db.close().catch((err: Error) => app.log.warn({ error: err.message }, 'shutdown: closing the database failed'));
        phase = 'closed';
        app.log.info({ clean }, 'shutdown: done');
        return clean;
      })();
      return shutdownPromise;
    },
  };
}
