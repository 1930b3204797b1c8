/**
 * Lost updates and ambiguous writes (PGlite): versions and If-Match, Idempotency-Key, the per-user
 * quota and write rate limit, per-account log-in throttling and trusted proxies, 405.
 */
import { API_ROUTES, type Task } from '@todo/contract';
import type { Backend } from '../src/app';
import type { Database } from '../src/db/types';
import { call, PASSWORD, signup, testBackend, testDatabase, uniqueEmail } from './helpers';

let db: Database;
let backend: Backend;
let token: string;
const apps: Backend[] = [];
const another = (o: Parameters<typeof testBackend>[1]) => {
  const b = testBackend(db, o);
  apps.push(b);
  return b;
};

beforeAll(async () => {
  db = await testDatabase();
  backend = another({});
  token = (await signup(backend)).token;
}, 60_000);
afterAll(async () => {
  for (const b of apps) await b.app.close();
  await db.close();
});

const create = async (b: Backend, t: string, body: object = { title: 'x' }, headers: Record<string, string> = {}) => call(b, 'POST', API_ROUTES.tasks, { token: t, body, headers });

describe('versions and If-Match', () => {
  it('gives every task an ETag that changes with each change; PATCH and DELETE with a stale If-Match get 412', async () => {
    const created = await create(backend, token, { title: 'shared' });
    expect(created.headers.etag).toBe('"1"');
    const url = API_ROUTES.task(created.body.id);
    const got = await call(backend, 'GET', url, { token });
    expect(got.headers.etag).toBe('"1"');
    expect((await call(backend, 'GET', url, { token, headers: { 'if-none-match': '"1"' } })).status).toBe(304);

    // Two clients read version 1; the first change wins, the second is refused instead of overwriting it.
    const first = await call(backend, 'PATCH', url, { token, body: { tags: ['a'] }, headers: { 'if-match': '"1"' } });
    expect(first.status).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    expect(first.body.version).toBe(2);
    const second = await call(backend, 'PATCH', url, { token, body: { tags: ['b'] }, headers: { 'if-match': '"1"' } });
    expect(second.status).toBe(412);
    expect(second.body.message).toMatch(/changed since you read it/);
    expect((await call(backend, 'GET', url, { token })).body.tags).toEqual(['a']);
    // Weak tags never match (strong comparison); a list matches any of its tags; * matches any version.
    expect((await call(backend, 'PATCH', url, { token, body: { tags: ['c'] }, headers: { 'if-match': 'W/"2"' } })).status).toBe(412);
    expect((await call(backend, 'PATCH', url, { token, body: { tags: ['c'] }, headers: { 'if-match': '"7", "2"' } })).status).toBe(200);
    expect((await call(backend, 'PATCH', url, { token, body: { priority: 'low' }, headers: { 'if-match': '*' } })).status).toBe(200);
    expect((await call(backend, 'DELETE', url, { token, headers: { 'if-match': '"3"' } })).status).toBe(412);
    // A value that names no version of ours matches none.
    expect((await call(backend, 'PATCH', url, { token, body: { priority: 'low' }, headers: { 'if-match': 'nonsense' } })).status).toBe(412);
    expect((await call(backend, 'DELETE', url, { token, headers: { 'if-match': '"4"' } })).status).toBe(204);
    // A missing task is 404 whatever the precondition.
    expect((await call(backend, 'DELETE', url, { token, headers: { 'if-match': '"4"' } })).status).toBe(404);
  });

  it('keeps updatedAt from going backwards and raises the version for writes from SQL too', async () => {
    const t = (await create(backend, token, { title: 'clock' })).body as Task;
    await db.query(`update tasks set updated_at = now() + interval '1 hour' where id = $1`, [t.id]);
    const after = (await call(backend, 'PATCH', API_ROUTES.task(t.id), { token, body: { title: 'clock 2' } })).body as Task;
    expect(after.version).toBe(3);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.now() + 3_000_000);
  });
});

describe('Idempotency-Key', () => {
  it('creates once per key and body; the same key with another body is 422', async () => {
    const key = `k-${Date.now()}`;
    const a = await create(backend, token, { title: 'once', tags: ['x', 'y'] }, { 'idempotency-key': key });
    // Same body with its fields in another order: the same request.
    const b = await create(backend, token, { tags: ['x', 'y'], title: 'once' }, { 'idempotency-key': key });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.headers.location).toBe(a.headers.location);
    const other = await create(backend, token, { title: 'another' }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    const list = await call(backend, 'GET', `${API_ROUTES.tasks}?q=once`, { token });
    expect(list.body.total).toBe(1);
    // A replay shows the task as it is now; once it is deleted, its key is forgotten.
    await call(backend, 'PATCH', API_ROUTES.task(a.body.id), { token, body: { priority: 'high' } });
    const replay = await create(backend, token, { title: 'once', tags: ['x', 'y'] }, { 'idempotency-key': key });
    expect(replay.body).toMatchObject({ id: a.body.id, priority: 'high', version: 2 });
    expect(replay.headers.etag).toBe('"2"');
    await call(backend, 'DELETE', API_ROUTES.task(a.body.id), { token });
    const anew = await create(backend, token, { title: 'once', tags: ['x', 'y'] }, { 'idempotency-key': key });
    expect(anew.status).toBe(201);
    expect(anew.body.id).not.toBe(a.body.id);
    expect(anew.headers['idempotent-replayed']).toBeUndefined();
    // Keys are per user: another user's same key is a new task.
    const bob = (await signup(backend)).token;
    expect((await create(backend, bob, { title: 'once', tags: ['x', 'y'] }, { 'idempotency-key': key })).body.id).not.toBe(a.body.id);
  });

  it('makes one task of concurrent retries with the same key', async () => {
    const key = `race-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 5 }, () => create(backend, token, { title: 'raced' }, { 'idempotency-key': key })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await call(backend, 'GET', `${API_ROUTES.tasks}?q=raced`, { token })).body.total).toBe(1);
  });
});

describe('quota and write rate limit', () => {
  it('refuses a create beyond TASK_QUOTA_PER_USER with 403, and accepts again after a delete', async () => {
    const limited = another({ taskQuota: 3 });
    const t = (await signup(limited)).token;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await create(limited, t, { title: `q${i}` })).body.id);
    const over = await create(limited, t, { title: 'one too many' });
    expect(over.status).toBe(403);
    expect(over.body.message).toMatch(/You have 3 tasks, the most an account may have/);
    await call(limited, 'DELETE', API_ROUTES.task(ids[0]), { token: t });
    expect((await create(limited, t, { title: 'fits again' })).status).toBe(201);
    // Concurrent creates cannot overshoot it.
    const u = (await signup(limited)).token;
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => create(limited, u, { title: `burst ${i}` })));
    expect(burst.filter((r) => r.status === 201)).toHaveLength(3);
    expect(burst.filter((r) => r.status === 403)).toHaveLength(5);
  });

  it('answers 429 with Retry-After past WRITE_RATE_LIMIT_PER_MINUTE writes of one user, and not for another user', async () => {
    const limited = another({ writeRateLimitPerMinute: 3 });
    const t = (await signup(limited)).token;
    const first = await create(limited, t);
    await call(limited, 'PATCH', API_ROUTES.task(first.body.id), { token: t, body: { title: 'y' } });
    await call(limited, 'DELETE', API_ROUTES.task(first.body.id), { token: t });
    const refused = await create(limited, t);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.message).toMatch(/Too many changes in a short time\. Please wait \d+ seconds/);
    expect((await call(limited, 'GET', API_ROUTES.tasks, { token: t })).status).toBe(200);
    expect((await create(limited, (await signup(limited)).token)).status).toBe(201);
  });
});

describe('log-in throttling and client addresses', () => {
  it('limits attempts per account, whatever address they come from', async () => {
    const limited = another({ loginRateLimitPerMinute: 1000, loginAccountRateLimitPerMinute: 2, trustedProxies: ['127.0.0.1'] });
    const email = uniqueEmail();
    await signup(backend, email);
    const login = (ip: string) => call(limited, 'POST', API_ROUTES.login, { body: { email, password: 'wrong password!' }, headers: { 'x-forwarded-for': ip } });
    expect((await login('198.51.100.1')).status).toBe(401);
    expect((await login('198.51.100.2')).status).toBe(401);
    const third = await login('198.51.100.3');
    expect(third.status).toBe(429);
    expect(third.body.message).toMatch(/Too many log-in attempts for this account/);
    // Another account from the same addresses is not affected.
    expect((await call(limited, 'POST', API_ROUTES.login, { body: { email: uniqueEmail(), password: PASSWORD }, headers: { 'x-forwarded-for': '198.51.100.3' } })).status).toBe(401);
  });

  it('believes X-Forwarded-For only from TRUSTED_PROXY_CIDRS: a direct client cannot pick its address', async () => {
    const untrusting = another({ loginRateLimitPerMinute: 2, loginAccountRateLimitPerMinute: 1000 });
    const attempt = (ip: string) => call(untrusting, 'POST', API_ROUTES.login, { body: { email: uniqueEmail(), password: PASSWORD }, headers: { 'x-forwarded-for': ip } });
    expect((await attempt('203.0.113.1')).status).toBe(401);
    expect((await attempt('203.0.113.2')).status).toBe(401);
    // A new X-Forwarded-For each time does not reset the count: the address is the connection's.
    expect((await attempt('203.0.113.3')).status).toBe(429);
  });
});

describe('methods', () => {
  it('answers a method a path does not have with 405 and Allow; an unknown path stays 404', async () => {
    const put = await call(backend, 'PUT', API_ROUTES.tasks, { token, body: { title: 'x' } });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    expect(put.body).toEqual({ statusCode: 405, error: 'Method Not Allowed', message: expect.stringMatching(/^PUT is not allowed on \/api\/tasks/) });
    expect((await call(backend, 'POST', API_ROUTES.task('00000000-0000-4000-8000-000000000000'), { token })).headers.allow).toBe('GET, HEAD, PATCH, DELETE');
    expect((await call(backend, 'DELETE', '/api/nothing-here', { token })).status).toBe(404);
  });
});
