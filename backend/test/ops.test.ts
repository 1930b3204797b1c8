import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_ROUTES, BACKEND } from '@todo/contract';
import { LATEST_VERSION } from '../src/db/migrations';
import { call, signToken, testBackend } from './helpers';
import { stubDatabase } from './stub-db';

const USER = { id: '11111111-1111-4111-8111-111111111111', email: 'probe@example.test', created_at: new Date('2026-01-01T00:00:00Z') };
const token = signToken(USER.id);
/** The stub answers the session lookup with USER and everything else with no rows. */
const stub = () => stubDatabase((sql) => (sql.includes('from users u') ? [USER] : []));

describe('probes', () => {
  it('/healthz is 200 whatever the database does', async () => {
    const { db, state } = stub();
    const backend = testBackend(db);
    state.failing = true;
    const res = await call(backend, 'GET', BACKEND.livenessPath);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(state.queries).toBe(0);
  });

  it('/readyz is 200 only when ready and the database answers in time', async () => {
    const { db, state } = stub();
    const backend = testBackend(db, { readinessTimeoutMs: 50 });
    expect((await call(backend, 'GET', BACKEND.readinessPath)).body).toEqual({ status: 'ready' });
    state.failing = true;
    const down = await call(backend, 'GET', BACKEND.readinessPath);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'database unavailable' });
    state.failing = false;
    state.delayMs = 150;
    expect((await call(backend, 'GET', BACKEND.readinessPath)).status).toBe(503);
    state.delayMs = 0;
    expect((await call(backend, 'GET', BACKEND.readinessPath)).status).toBe(200);
  });

  it('/readyz is 503 until the schema is migrated (PostgreSQL)', async () => {
    let version = 0;
    const { db } = stubDatabase((sql) => (sql.includes('to_regclass') ? [{ t: version ? 'schema_migrations' : null }] : sql.includes('max(version)') ? [{ v: version }] : []));
    const backend = testBackend(db, { schemaChecked: false });
    const res = await call(backend, 'GET', BACKEND.readinessPath);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'database schema is not migrated', version: 0 });
    version = LATEST_VERSION - 1;
    expect((await call(backend, 'GET', BACKEND.readinessPath)).body).toMatchObject({ status: 'database schema is not migrated', version: LATEST_VERSION - 1 });
    version = LATEST_VERSION;
    expect((await call(backend, 'GET', BACKEND.readinessPath)).status).toBe(200);
  });

  it('a database outage gives 503 with a clear message, not 500', async () => {
    const { db, state } = stub();
    const backend = testBackend(db);
    state.failing = true;
    const res = await call(backend, 'GET', API_ROUTES.tasks, { token });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/database is not available/) });
  });
});

describe('metrics', () => {
  it('counts requests by method, route template and status, with durations and process metrics', async () => {
    const { db } = stub();
    const backend = testBackend(db);
    await call(backend, 'GET', API_ROUTES.task('22222222-2222-4222-8222-222222222222'), { token });
    await call(backend, 'GET', API_ROUTES.task('33333333-3333-4333-8333-333333333333'), { token });
    await call(backend, 'GET', '/no/such/path');
    const res = await call(backend, 'GET', BACKEND.metricsPath);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.raw;
    expect(text).toContain('http_requests_total{method="GET",route="/api/tasks/:id",status_code="404",service="backend"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status_code="404",service="backend"} 1');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",service="backend",method="GET",route="\/api\/tasks\/:id",status_code="404"\} \d+/);
    expect(text).toContain('http_request_duration_seconds_count{service="backend",method="GET",route="/api/tasks/:id",status_code="404"} 2');
    expect(text).not.toContain('22222222');
    expect(text).toMatch(/process_cpu_user_seconds_total\{service="backend"\}/);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds/);
  });

  it('counts server errors separately', async () => {
    const { db, state } = stub();
    const backend = testBackend(db);
    state.failing = true;
    await call(backend, 'GET', API_ROUTES.me, { token });
    const text = (await call(backend, 'GET', BACKEND.metricsPath)).raw;
    expect(text).toContain('http_request_errors_total{method="GET",route="/api/auth/me",status_code="503",service="backend"} 1');
  });
});

describe('OpenAPI document', () => {
  it('describes every route with its parameters, bodies and responses', async () => {
    const backend = testBackend(stub().db);
    const res = await call(backend, 'GET', BACKEND.openApiPath);
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`));
    expect(ops.sort()).toEqual(
      [
        `GET ${BACKEND.livenessPath}`,
        `GET ${BACKEND.readinessPath}`,
        `GET ${BACKEND.metricsPath}`,
        `GET ${BACKEND.openApiPath}`,
        `POST ${API_ROUTES.signup}`,
        `POST ${API_ROUTES.login}`,
        `POST ${API_ROUTES.logout}`,
        `POST ${API_ROUTES.refresh}`,
        `POST ${API_ROUTES.sessionLogout}`,
        `GET ${API_ROUTES.me}`,
        `GET ${API_ROUTES.tasks}`,
        `POST ${API_ROUTES.tasks}`,
        `GET ${API_ROUTES.tasks}/{id}`,
        `PATCH ${API_ROUTES.tasks}/{id}`,
        `DELETE ${API_ROUTES.tasks}/{id}`,
        `GET ${API_ROUTES.reminders}`,
        `POST ${API_ROUTES.remindersAcknowledge}`,
        `GET ${API_ROUTES.settings}`,
        `PATCH ${API_ROUTES.settings}`,
      ].sort(),
    );
    const list = doc.paths[API_ROUTES.tasks].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(['q', 'status', 'priority', 'tag', 'dueFrom', 'dueTo', 'sort', 'order', 'page', 'pageSize']);
    expect(list.parameters.find((p: { name: string }) => p.name === 'sort').schema.enum).toEqual(['createdAt', 'dueDate', 'priority', 'title']);
    expect(list.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TaskPage' });
    expect(list.security).toEqual([{ bearer: [] }]);
    expect(doc.paths[API_ROUTES.tasks].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TaskCreate' });
    expect(doc.paths[API_ROUTES.signup].post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Session' });
    expect(doc.paths[`${API_ROUTES.tasks}/{id}`].patch.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(doc.components.schemas.TaskPage.properties.items.items).toEqual({ $ref: '#/components/schemas/Task' });
    expect(doc.components.schemas.TaskCreate.additionalProperties).toBe(false);
    // The cookie routes: the refresh cookie as their security, the CSRF header required.
    for (const route of [API_ROUTES.refresh, API_ROUTES.sessionLogout]) {
      const op = doc.paths[route].post;
      expect(op.security).toEqual([{ refreshCookie: [] }]);
      expect(op.parameters).toEqual([{ name: 'x-requested-with', in: 'header', required: true, description: expect.any(String), schema: { type: 'string', enum: ['fetch'] } }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(doc.components.securitySchemes.refreshCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: '__Secure-todo_session' });
    expect(doc.components.schemas.TaskCreate.properties.recurrence.anyOf[0]).toEqual({ $ref: '#/components/schemas/RecurrenceInput' });
    expect(doc.components.schemas.Task.properties.recurrence.anyOf[0]).toEqual({ $ref: '#/components/schemas/Recurrence' });
    expect(doc.paths[`${API_ROUTES.tasks}/{id}`].delete.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['id', 'if-match', 'scope']);
    expect(doc.paths[API_ROUTES.reminders].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ReminderList' });
  });
});

describe('logs', () => {
  it('are JSON lines without passwords, tokens or Authorization headers', async () => {
    const lines: string[] = [];
    const { db } = stubDatabase((sql) => (sql.includes('from users u') ? [USER] : sql.includes('insert into users') ? [] : []));
    const backend = testBackend(db, { logLevel: 'debug', logStream: { write: (l) => lines.push(l) } });
    await call(backend, 'POST', API_ROUTES.signup, { body: { email: 'someone@example.test', password: 'hunter2-very-secret' } });
    await call(backend, 'GET', API_ROUTES.me, { token });
    expect(lines.length).toBeGreaterThan(1);
    const all = lines.join('');
    expect(all).not.toContain('hunter2-very-secret');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.')[2]!);
    const parsed = lines.map((l) => JSON.parse(l));
    const done = parsed.find((l) => l.msg === 'request completed' && l.route === API_ROUTES.me);
    expect(done).toMatchObject({ level: 'info', service: 'backend', method: 'GET', statusCode: 200, route: API_ROUTES.me });
    expect(typeof done.time).toBe('string');
  });
});

describe('shutdown', () => {
  function listen(server: http.Server) {
    return new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  }
  function get(port: number, path: string, agent?: http.Agent) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent: agent ?? false, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
    });
  }

  // Fractions of a second here (the environment variables are whole seconds) keep the suite fast.
  it('turns /readyz 503 at once, serves through the delay, finishes in-flight requests, then refuses connections', async () => {
    const { db, state } = stub();
    const backend = testBackend(db, { closeDatabase: true });
    await backend.app.ready();
    const port = await listen(backend.app.server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // A keep-alive connection, idle from an earlier request.
    expect((await get(port, BACKEND.livenessPath, agent)).status).toBe(200);
    state.delayMs = 500;
    const inFlight = get(port, API_ROUTES.me);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const done = backend.shutdown({ delaySeconds: 0.3, timeoutSeconds: 5 });
    state.delayMs = 0;
    expect(backend.phase()).toBe('draining');
    const ready = await get(port, BACKEND.readinessPath);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ status: 'draining' });
    // Still serving during the delay, liveness included.
    expect((await get(port, BACKEND.livenessPath)).status).toBe(200);
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).email).toBe(USER.email);
    expect(reply.headers.connection).toBe('close');
    // The idle keep-alive connection was left open: a request on it is served, told to close.
    const late = await get(port, API_ROUTES.me, agent);
    expect(late.status).toBe(200);
    expect(late.headers.connection).toBe('close');
    await expect(done).resolves.toBe(true);
    const took = Date.now() - t0;
    // Not before the in-flight request ended (~450 ms), not much after.
    expect(took).toBeGreaterThanOrEqual(400);
    expect(took).toBeLessThan(1500);
    expect(backend.phase()).toBe('closed');
    expect(state.closed).toBe(true);
    await expect(get(port, BACKEND.livenessPath)).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  });

  it('cuts requests still running after the drain timeout', async () => {
    const { db, state } = stub();
    const backend = testBackend(db);
    await backend.app.ready();
    const port = await listen(backend.app.server);
    state.delayMs = 3_000;
    const hung = get(port, API_ROUTES.me).then(
      (r) => `answered ${r.status}`,
      (e: Error) => e.message,
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await expect(backend.shutdown({ delaySeconds: 0, timeoutSeconds: 0.3 })).resolves.toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await hung).toMatch(/socket hang up|ECONNRESET/);
  });
});
