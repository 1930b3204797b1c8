/**
 * The task-page cache (src/list-cache.ts) and its per-request check (src/db/version-batch.ts):
 * two backends on one database stand for two replicas; whatever changes through one is seen by the
 * very next list through the other, and a log-out is refused at once everywhere.
 */
import { API_ROUTES, type TaskPage } from '@todo/contract';
import type { Backend } from '../src/app';
import { createVersionChecker } from '../src/db/version-batch';
import { SESSION_INVALID } from '../src/db/sql';
import type { Database, QueryResult } from '../src/db/types';
import { ListCache, pageEtag } from '../src/list-cache';
import { call, signup, testBackend, testDatabase } from './helpers';

let db: Database;
let a: Backend;
let b: Backend;

beforeAll(async () => {
  db = await testDatabase();
  a = testBackend(db);
  b = testBackend(db);
}, 60_000);
afterAll(async () => {
  await a.app.close();
  await b.app.close();
  await db.close();
});

const list = async (backend: Backend, token: string, q = '', headers: Record<string, string> = {}) => call(backend, 'GET', `${API_ROUTES.tasks}?${q}`, { token, headers });
const titles = (p: TaskPage) => p.items.map((t) => t.title);

describe('the list cache across two replicas', () => {
  it('serves the same bytes from the cache, and every write through the other replica at once', async () => {
    const { token } = await signup(a);
    const first = await call(a, 'POST', API_ROUTES.tasks, { token, body: { title: 'one' } });
    const r1 = await list(b, token);
    const r2 = await list(b, token); // from B's cache
    expect(r2.raw).toBe(r1.raw);
    expect(r2.headers.etag).toBe(r1.headers.etag);
    expect(titles(r2.body)).toEqual(['one']);

    await call(a, 'POST', API_ROUTES.tasks, { token, body: { title: 'two' } });
    expect(titles((await list(b, token)).body)).toEqual(['two', 'one']);
    await call(a, 'PATCH', API_ROUTES.task(first.body.id), { token, body: { title: 'one, renamed', completed: true } });
    const patched = (await list(b, token)).body as TaskPage;
    expect(patched.items[1]).toMatchObject({ title: 'one, renamed', completed: true });
    expect(titles((await list(b, token, 'status=open')).body)).toEqual(['two']);
    await call(a, 'DELETE', API_ROUTES.task(first.body.id), { token });
    expect((await list(b, token)).body).toMatchObject({ total: 1, items: [{ title: 'two' }] });
    expect((await list(b, token, 'status=open')).body.total).toBe(1);
    // A direct write to the database (another release, psql) is covered too: the trigger bumps the version.
    await db.query(`update tasks set title = 'changed in SQL' where title = 'two'`);
    expect(titles((await list(b, token)).body)).toEqual(['changed in SQL']);
  });

  it('refuses a logged-out token at once on the other replica, cached page or not', async () => {
    const { token } = await signup(a);
    await call(a, 'POST', API_ROUTES.tasks, { token, body: { title: 'secret' } });
    expect((await list(b, token)).status).toBe(200);
    expect((await list(b, token)).status).toBe(200); // cached in B now
    expect((await call(a, 'POST', API_ROUTES.logout, { token })).status).toBe(204);
    const refused = await list(b, token);
    expect(refused.status).toBe(401);
    expect(refused.raw).not.toContain('secret');
    expect((await list(b, token, '', { 'if-none-match': '*' })).status).toBe(401);
  });

  it('keeps users apart: same query, same version, different pages and ETags', async () => {
    const u1 = (await signup(a)).token;
    const u2 = (await signup(a)).token;
    await call(a, 'POST', API_ROUTES.tasks, { token: u1, body: { title: 'mine' } });
    await call(a, 'POST', API_ROUTES.tasks, { token: u2, body: { title: 'yours' } });
    const p1 = await list(b, u1);
    const p2 = await list(b, u2);
    expect(titles(p1.body)).toEqual(['mine']);
    expect(titles(p2.body)).toEqual(['yours']);
    expect(p1.headers.etag).not.toBe(p2.headers.etag);
    // User 2 presenting user 1's ETag gets the full page, not a 304.
    expect((await list(b, u2, '', { 'if-none-match': String(p1.headers.etag) })).status).toBe(200);
  });

  it('answers 304 to If-None-Match with the current ETag (any replica), 200 once anything changed', async () => {
    const { token } = await signup(a);
    await call(a, 'POST', API_ROUTES.tasks, { token, body: { title: 'x' } });
    const etag = String((await list(a, token, 'pageSize=5')).headers.etag);
    const same = await list(b, token, 'pageSize=5', { 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(same.raw).toBe('');
    expect(same.headers.etag).toBe(etag);
    expect((await list(b, token, 'pageSize=6', { 'if-none-match': etag })).status).toBe(200); // another query
    await call(a, 'POST', API_ROUTES.tasks, { token, body: { title: 'y' } });
    const changed = await list(b, token, 'pageSize=5', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(titles(changed.body)).toEqual(['y', 'x']);
  });
});

describe('ListCache', () => {
  it('bounds its memory, dropping the least recently used pages', () => {
    const cache = new ListCache(10_000);
    const body = Buffer.alloc(1000);
    for (let i = 0; i < 20; i++) {
      cache.set(`k${i}`, '1', body);
      if (i >= 2) cache.get('k0'); // k0 stays in use
    }
    expect(cache.usedBytes).toBeLessThanOrEqual(10_000);
    expect(cache.get('k0')).toBeDefined();
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k19')).toBeDefined();
    expect(new ListCache(10_000).set('big', '1', Buffer.alloc(5000))).toBeDefined(); // answered, not kept
  });

  it('never replaces a page by one read at an older version', () => {
    const cache = new ListCache();
    cache.set('k', '10', Buffer.from('new'));
    cache.set('k', '9', Buffer.from('old'));
    expect(cache.get('k')).toMatchObject({ version: '10', etag: pageEtag('k', '10') });
    cache.set('k', '11', Buffer.from('newer'));
    expect(cache.get('k')?.body.toString()).toBe('newer');
  });
});

describe('the batched version check', () => {
  const U = '00000000-0000-4000-8000-000000000001';
  const J = '00000000-0000-4000-8000-00000000000a';
  function fakeDb() {
    const sent: { ids: string[]; release: () => void }[] = [];
    const db = {
      query: <R>(_sql: string, params?: readonly unknown[]) =>
        new Promise<QueryResult<R>>((resolve) => {
          const ids = params![0] as string[];
          sent.push({ ids, release: () => resolve({ rows: ids.map((id, n) => ({ i: n + 1, version: id === U ? '7' : null })) as R[], rowCount: ids.length }) });
        }),
    };
    return { db, sent };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('checks the requests of one turn together, and a request that arrives meanwhile in the next statement', async () => {
    const { db, sent } = fakeDb();
    const checker = createVersionChecker(db);
    const first = [checker.check(U, J), checker.check(U, J), checker.check('00000000-0000-4000-8000-000000000002', J)];
    await tick();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.ids).toHaveLength(2); // deduplicated
    const late = checker.check(U, J); // arrives while the statement runs: must not use its answer
    await tick();
    expect(sent).toHaveLength(1);
    sent[0]!.release();
    expect(await Promise.all(first)).toEqual(['7', '7', SESSION_INVALID]);
    await tick();
    expect(sent).toHaveLength(2);
    sent[1]!.release();
    expect(await late).toBe('7');
    expect(checker.statements).toBe(2);
  });

  it('refuses ids that are not UUIDs without asking the database', async () => {
    const { db, sent } = fakeDb();
    expect(await createVersionChecker(db).check('nope', J)).toBe(SESSION_INVALID);
    expect(sent).toHaveLength(0);
  });
});
