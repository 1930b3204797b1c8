import { API_ROUTES, type Task, type TaskPage } from '@todo/contract';
import type { Backend } from '../../src/app';
import { createPostgres } from '../../src/db/postgres';
import type { Database } from '../../src/db/types';
import { call, PASSWORD, signup, testBackend, uniqueEmail } from '../helpers';
import { DATABASE_URL } from './env';

let db: Database;
let backend: Backend;

beforeAll(() => {
  db = createPostgres({ connectionString: DATABASE_URL, max: 10 });
  backend = testBackend(db, { schemaChecked: false });
});
afterAll(async () => {
  await backend.app.close();
  await db.close();
});

const titles = (p: TaskPage) => p.items.map((t) => t.title);

describe('the API on PostgreSQL', () => {
  it('is ready: the database answers and the schema is migrated', async () => {
    expect((await call(backend, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
  });

  it('signs up, logs in, revokes at log-out', async () => {
    const email = uniqueEmail();
    const s = await signup(backend, email);
    expect((await call(backend, 'GET', API_ROUTES.me, { token: s.token })).body.email).toBe(email);
    const login = await call(backend, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect((await call(backend, 'POST', API_ROUTES.login, { body: { email, password: 'nope nope nope' } })).status).toBe(401);
    expect((await call(backend, 'POST', API_ROUTES.logout, { token: s.token })).status).toBe(204);
    expect((await call(backend, 'GET', API_ROUTES.me, { token: s.token })).status).toBe(401);
    expect((await call(backend, 'GET', API_ROUTES.me, { token: login.body.token })).status).toBe(200);
  });

  it('lets exactly one of many simultaneous sign-ups with one email succeed (the others 409)', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(Array.from({ length: 8 }, () => call(backend, 'POST', API_ROUTES.signup, { body: { email, password: PASSWORD } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('stores, searches, filters, sorts and pages tasks exactly as on PGlite', async () => {
    const { token } = await signup(backend);
    const make = async (body: object) => (await call(backend, 'POST', API_ROUTES.tasks, { token, body })).body as Task;
    const milk = await make({ title: 'Buy milk', description: 'Two litres, semi-skimmed', priority: 'high', tags: ['home', 'errands'], dueDate: '2030-01-10' });
    await make({ title: 'write report', description: 'Quarterly numbers', tags: ['work'], dueDate: '2030-01-20' });
    await make({ title: 'Call plumber', priority: 'low', tags: ['home'] });
    await make({ title: 'Renew passport', priority: 'high', tags: ['admin'], dueDate: '2029-12-30' });
    expect(milk).toMatchObject({ dueDate: '2030-01-10', tags: ['home', 'errands'], priority: 'high' });
    await call(backend, 'PATCH', API_ROUTES.task(milk.id), { token, body: { completed: true } });
    const list = async (q: string) => (await call(backend, 'GET', `${API_ROUTES.tasks}?${q}`, { token })).body as TaskPage;
    expect(titles(await list(''))).toEqual(['Renew passport', 'Call plumber', 'write report', 'Buy milk']);
    expect(titles(await list('q=SEMI-skimmed'))).toEqual(['Buy milk']);
    expect(titles(await list('q=errands'))).toEqual(['Buy milk']);
    expect(titles(await list('status=open&tag=home'))).toEqual(['Call plumber']);
    expect(titles(await list('sort=dueDate'))).toEqual(['Renew passport', 'Buy milk', 'write report', 'Call plumber']);
    expect(titles(await list('sort=priority'))).toEqual(['Renew passport', 'Buy milk', 'write report', 'Call plumber']);
    expect(titles(await list('sort=title'))).toEqual(['Buy milk', 'Call plumber', 'Renew passport', 'write report']);
    expect(titles(await list('dueFrom=2030-01-01&dueTo=2030-01-31&sort=dueDate'))).toEqual(['Buy milk', 'write report']);
    const p2 = await list('pageSize=3&page=2');
    expect([titles(p2), p2.total]).toEqual([['Buy milk'], 4]);
    expect(await list('pageSize=3&page=5')).toEqual({ items: [], total: 4, page: 5, pageSize: 3 });
    const done = (await call(backend, 'GET', API_ROUTES.task(milk.id), { token })).body as Task;
    expect(done.completed).toBe(true);
    expect(Date.parse(done.completedAt!)).not.toBeNaN();
  });

  it('keeps users apart (404 for another user’s task)', async () => {
    const a = await signup(backend);
    const b = await signup(backend);
    const t = (await call(backend, 'POST', API_ROUTES.tasks, { token: a.token, body: { title: 'mine' } })).body as Task;
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await call(backend, method, API_ROUTES.task(t.id), { token: b.token, body: method === 'PATCH' ? { title: 'yours' } : undefined });
      expect(res.status).toBe(404);
    }
    expect(((await call(backend, 'GET', API_ROUTES.tasks, { token: b.token })).body as TaskPage).total).toBe(0);
    expect(((await call(backend, 'GET', API_ROUTES.task(t.id), { token: a.token })).body as Task).title).toBe('mine');
  });

  it('handles many concurrent writes of one user without losing any', async () => {
    const { token } = await signup(backend);
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: `task ${i}` } })));
    expect(created.every((r) => r.status === 201)).toBe(true);
    const page = (await call(backend, 'GET', `${API_ROUTES.tasks}?pageSize=100`, { token })).body as TaskPage;
    expect(page.total).toBe(40);
    expect(new Set(page.items.map((t) => t.title)).size).toBe(40);
  });

  it('two replicas (two pools) with list caches: writes and log-outs through one are seen at once by the other', async () => {
    const db2 = createPostgres({ connectionString: DATABASE_URL, max: 4 });
    const replica = testBackend(db2, { schemaChecked: false });
    try {
      const { token } = await signup(backend);
      const listOn = async (b: Backend, q = '') => call(b, 'GET', `${API_ROUTES.tasks}?${q}`, { token });
      const t = (await call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: 'first' } })).body as Task;
      expect(titles((await listOn(replica)).body)).toEqual(['first']);
      expect(titles((await listOn(replica)).body)).toEqual(['first']); // cached
      await call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: 'second' } });
      expect(titles((await listOn(replica)).body)).toEqual(['second', 'first']);
      await call(backend, 'PATCH', API_ROUTES.task(t.id), { token, body: { completed: true } });
      expect(titles((await listOn(replica, 'status=completed')).body)).toEqual(['first']);
      expect(titles((await listOn(replica, 'status=open')).body)).toEqual(['second']);
      await call(backend, 'DELETE', API_ROUTES.task(t.id), { token });
      expect(titles((await listOn(replica)).body)).toEqual(['second']);
      // Concurrent lists on one replica while writes land on the other: never an older page after a newer one.
      for (let i = 0; i < 5; i++) {
        await call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: `w${i}` } });
        const pages = await Promise.all(Array.from({ length: 10 }, () => listOn(replica)));
        expect(pages.map((p) => (p.body as TaskPage).total)).toEqual(Array(10).fill(i + 2));
      }
      expect((await call(backend, 'POST', API_ROUTES.logout, { token })).status).toBe(204);
      expect((await listOn(replica)).status).toBe(401);
    } finally {
      await replica.app.close();
      await db2.close();
    }
  });

  it('answers 503 from /readyz for a database that is not migrated', async () => {
    const { freshDatabase } = await import('./env');
    const fresh = await freshDatabase();
    const db2 = createPostgres({ connectionString: fresh.url, max: 2 });
    const b2 = testBackend(db2, { schemaChecked: false });
    try {
      const res = await call(b2, 'GET', '/readyz');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('database schema is not migrated');
    } finally {
      await b2.app.close();
      await db2.close();
      await fresh.drop();
    }
  });
});

describe('concurrency, idempotency and limits on PostgreSQL (many connections at once)', () => {
  it('If-Match: of two clients changing version 1 at the same moment, exactly one wins and the other gets 412', async () => {
    const { token } = await signup(backend);
    for (let round = 0; round < 5; round++) {
      const t = (await call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: `race ${round}` } })).body as Task;
      const [a, b] = await Promise.all(
        ['one', 'two'].map((tag) => call(backend, 'PATCH', API_ROUTES.task(t.id), { token, body: { tags: [tag] }, headers: { 'if-match': '"1"' } })),
      );
      expect([a!.status, b!.status].sort()).toEqual([200, 412]);
      const winner = (a!.status === 200 ? a : b)!.body as Task;
      const now = (await call(backend, 'GET', API_ROUTES.task(t.id), { token })).body as Task;
      expect(now.tags).toEqual(winner.tags);
      expect(now.version).toBe(2);
      expect(Date.parse(now.updatedAt)).toBeGreaterThanOrEqual(Date.parse(t.updatedAt));
    }
  });

  it('Idempotency-Key: ten simultaneous retries make one task; another body with the key is 422', async () => {
    const { token } = await signup(backend);
    const key = `it-${Date.now()}`;
    const replies = await Promise.all(Array.from({ length: 10 }, () => call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: 'exactly once' }, headers: { 'idempotency-key': key } })));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect((await call(backend, 'GET', `${API_ROUTES.tasks}?q=exactly`, { token })).body.total).toBe(1);
    expect((await call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: 'something else' }, headers: { 'idempotency-key': key } })).status).toBe(422);
  });

  it('Idempotency-Key: simultaneous creates of one user with different keys all succeed (no deadlock between their transactions)', async () => {
    const { token } = await signup(backend);
    for (let round = 0; round < 5; round++) {
      const replies = await Promise.all(
        Array.from({ length: 4 }, (_, i) => call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: `keyed ${round}-${i}` }, headers: { 'idempotency-key': `k-${round}-${i}-${Date.now()}` } })),
      );
      expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    }
    expect((await call(backend, 'GET', `${API_ROUTES.tasks}?q=keyed&pageSize=100`, { token })).body.total).toBe(20);
  });

  it('the task quota holds under a burst of simultaneous creates, and the write rate limit answers 429 with Retry-After', async () => {
    const db2 = createPostgres({ connectionString: DATABASE_URL, max: 10 });
    const limited = testBackend(db2, { schemaChecked: false, taskQuota: 5, writeRateLimitPerMinute: 12 });
    try {
      const { token } = await signup(limited);
      const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => call(limited, 'POST', API_ROUTES.tasks, { token, body: { title: `burst ${i}` } })));
      expect(burst.filter((r) => r.status === 201)).toHaveLength(5);
      expect(burst.filter((r) => r.status === 403)).toHaveLength(7);
      const next = await call(limited, 'POST', API_ROUTES.tasks, { token, body: { title: 'one more' } });
      expect(next.status).toBe(429);
      expect(Number(next.headers['retry-after'])).toBeGreaterThan(0);
      expect((await call(limited, 'GET', API_ROUTES.tasks, { token })).body.total).toBe(5);
    } finally {
      await limited.app.close();
      await db2.close();
    }
  });
});
