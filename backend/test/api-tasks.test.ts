import { API_ROUTES, LIMITS, type Task, type TaskPage } from '@todo/contract';
import type { Backend } from '../src/app';
import type { Database } from '../src/db/types';
import { call, signup, testBackend, testDatabase } from './helpers';

let db: Database;
let backend: Backend;
let token: string;

beforeAll(async () => {
  db = await testDatabase();
  backend = testBackend(db);
  token = (await signup(backend)).token;
}, 60_000);
afterAll(async () => {
  await backend.app.close();
  await db.close();
});

const create = async (body: object, t = token) => {
  const res = await call(backend, 'POST', API_ROUTES.tasks, { token: t, body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.raw}`);
  return res.body as Task;
};
const list = async (query: string, t = token) => {
  const res = await call(backend, 'GET', `${API_ROUTES.tasks}${query ? `?${query}` : ''}`, { token: t });
  if (res.status !== 200) throw new Error(`list failed: ${res.status} ${res.raw}`);
  return res.body as TaskPage;
};
const titles = (p: TaskPage) => p.items.map((t) => t.title);

describe('task lifecycle', () => {
  it('creates with defaults (201, Location), gets, updates, completes, reopens and deletes', async () => {
    const res = await call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: 'Water the plants' } });
    expect(res.status).toBe(201);
    const t = res.body as Task;
    expect(res.headers.location).toBe(API_ROUTES.task(t.id));
    expect(t).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'Water the plants',
      description: '',
      priority: 'medium',
      tags: [],
      dueDate: null,
      completed: false,
      completedAt: null,
      createdAt: expect.any(String),
      updatedAt: t.createdAt,
    });
    expect((await call(backend, 'GET', API_ROUTES.task(t.id), { token })).body).toEqual(t);
    // The list (JSON built by the database) shows a task exactly as the other routes do.
    expect((await list('')).items.find((x) => x.id === t.id)).toEqual(t);

    const edited = await call(backend, 'PATCH', API_ROUTES.task(t.id), {
      token,
      body: { title: 'Water the ferns', description: 'Twice a week', priority: 'high', tags: ['home', 'garden'], dueDate: '2030-02-28' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ title: 'Water the ferns', description: 'Twice a week', priority: 'high', tags: ['home', 'garden'], dueDate: '2030-02-28', completed: false });
    expect(Date.parse(edited.body.updatedAt)).toBeGreaterThan(Date.parse(t.updatedAt));

    const done = (await call(backend, 'PATCH', API_ROUTES.task(t.id), { token, body: { completed: true } })).body as Task;
    expect((await list('status=completed')).items.find((x) => x.id === t.id)).toEqual(done);
    expect(done.completed).toBe(true);
    expect(Date.parse(done.completedAt!)).toBeGreaterThanOrEqual(Date.parse(t.createdAt));
    expect(done.title).toBe('Water the ferns');
    // Completing again keeps the first completion time.
    const again = (await call(backend, 'PATCH', API_ROUTES.task(t.id), { token, body: { completed: true } })).body as Task;
    expect(again.completedAt).toBe(done.completedAt);
    const reopened = (await call(backend, 'PATCH', API_ROUTES.task(t.id), { token, body: { completed: false, dueDate: null } })).body as Task;
    expect(reopened).toMatchObject({ completed: false, completedAt: null, dueDate: null });

    const del = await call(backend, 'DELETE', API_ROUTES.task(t.id), { token });
    expect(del.status).toBe(204);
    expect((await call(backend, 'GET', API_ROUTES.task(t.id), { token })).status).toBe(404);
    expect((await call(backend, 'DELETE', API_ROUTES.task(t.id), { token })).status).toBe(404);
    expect((await call(backend, 'PATCH', API_ROUTES.task(t.id), { token, body: { completed: true } })).status).toBe(404);
  });

  it('needs a session for every task route', async () => {
    for (const [method, url] of [['GET', API_ROUTES.tasks], ['POST', API_ROUTES.tasks], ['GET', API_ROUTES.task('00000000-0000-4000-8000-000000000000')]] as const) {
      expect((await call(backend, method, url, { body: method === 'POST' ? { title: 'x' } : undefined })).status).toBe(401);
    }
  });
});

describe('validation: 4xx with a clear message, never 500', () => {
  const cases: [string, string, string, unknown, number, RegExp][] = [
    ['bad JSON', 'POST', API_ROUTES.tasks, '{"title": "x",', 400, /^The request body is not valid JSON\.$/],
    ['a JSON array', 'POST', API_ROUTES.tasks, [], 400, /^body must be object$/],
    ['a missing title', 'POST', API_ROUTES.tasks, { description: 'x' }, 400, /^body must have the field "title"$/],
    ['a blank title', 'POST', API_ROUTES.tasks, { title: '   ' }, 400, /^body\/title must not be blank$/],
    ['an empty title', 'POST', API_ROUTES.tasks, { title: '' }, 400, /^body\/title must NOT have fewer than 1 characters$/],
    ['a too long title', 'POST', API_ROUTES.tasks, { title: 'x'.repeat(LIMITS.titleMaxLength + 1) }, 400, /^body\/title must NOT have more than 200 characters$/],
    ['a number as title', 'POST', API_ROUTES.tasks, { title: 42 }, 400, /^body\/title must be string$/],
    ['an unknown field', 'POST', API_ROUTES.tasks, { title: 'x', owner: 'me' }, 400, /^body has an unknown field "owner"$/],
    ['an unknown priority', 'POST', API_ROUTES.tasks, { title: 'x', priority: 'urgent' }, 400, /^body\/priority must be one of: high, medium, low$/],
    ['tags as a string', 'POST', API_ROUTES.tasks, { title: 'x', tags: 'home' }, 400, /^body\/tags must be array$/],
    ['a bad tag', 'POST', API_ROUTES.tasks, { title: 'x', tags: ['ok', 'Not OK'] }, 400, /^body\/tags\/1 must be a lower-case word/],
    ['a repeated tag', 'POST', API_ROUTES.tasks, { title: 'x', tags: ['a', 'a'] }, 400, /^body\/tags must not repeat an item$/],
    ['too many tags', 'POST', API_ROUTES.tasks, { title: 'x', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 400, /^body\/tags must NOT have more than 20 items$/],
    ['an impossible date', 'POST', API_ROUTES.tasks, { title: 'x', dueDate: '2026-02-30' }, 400, /^body\/dueDate must be a calendar date written YYYY-MM-DD, or null$/],
    ['a date with a time', 'POST', API_ROUTES.tasks, { title: 'x', dueDate: '2026-02-01T10:00:00Z' }, 400, /dueDate must be a calendar date/],
    ['completed on create', 'POST', API_ROUTES.tasks, { title: 'x', completed: true }, 400, /^body has an unknown field "completed"$/],
    ['an empty update', 'PATCH', API_ROUTES.task('00000000-0000-4000-8000-000000000000'), {}, 400, /^body must change at least one field$/],
    ['completed as a string', 'PATCH', API_ROUTES.task('00000000-0000-4000-8000-000000000000'), { completed: 'yes' }, 400, /^body\/completed must be boolean$/],
    ['an id that is not a UUID', 'GET', API_ROUTES.task('not-a-uuid'), undefined, 400, /^params\/id must be a task id \(a UUID\)$/],
    ['an unknown query parameter', 'GET', `${API_ROUTES.tasks}?colour=red`, undefined, 400, /^querystring has an unknown field "colour"$/],
    ['a bad sort field', 'GET', `${API_ROUTES.tasks}?sort=owner`, undefined, 400, /^querystring\/sort must be one of: createdAt, dueDate, priority, title$/],
    ['page 0', 'GET', `${API_ROUTES.tasks}?page=0`, undefined, 400, /^querystring\/page must be >= 1$/],
    ['a page that is not a number', 'GET', `${API_ROUTES.tasks}?page=two`, undefined, 400, /^querystring\/page must be integer$/],
    ['a too large page size', 'GET', `${API_ROUTES.tasks}?pageSize=101`, undefined, 400, /^querystring\/pageSize must be <= 100$/],
    ['a bad due date filter', 'GET', `${API_ROUTES.tasks}?dueFrom=2026-13-01`, undefined, 400, /^querystring\/dueFrom must be a real calendar date written YYYY-MM-DD$/],
    ['a bad status', 'GET', `${API_ROUTES.tasks}?status=done`, undefined, 400, /^querystring\/status must be one of: all, open, completed$/],
    ['a repeated parameter', 'GET', `${API_ROUTES.tasks}?sort=title&sort=dueDate`, undefined, 400, /^querystring\/sort must be string$/],
    ['a too long search', 'GET', `${API_ROUTES.tasks}?q=${'x'.repeat(LIMITS.searchMaxLength + 1)}`, undefined, 400, /^querystring\/q must NOT have more than 200 characters$/],
  ];
  it.each(cases)('%s → %i', async (_name, method, url, body, status, message) => {
    const res = await call(backend, method, url, { token, body });
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ statusCode: status, error: 'Bad Request', message: expect.stringMatching(message) });
  });

  it('answers 413 for a body over LIMITS.bodyLimitBytes, 415 for a body that is not JSON', async () => {
    const big = await call(backend, 'POST', API_ROUTES.tasks, { token, body: { title: 'x', description: 'y'.repeat(LIMITS.bodyLimitBytes) } });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'The request body is larger than the limit of 64 kB' });
    const text = await call(backend, 'POST', API_ROUTES.tasks, { token, body: 'title=x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.message).toMatch(/Content-Type: application\/json/);
  });

  it('accepts the limits themselves', async () => {
    const t = await create({
      title: 'x'.repeat(LIMITS.titleMaxLength),
      description: 'd'.repeat(LIMITS.descriptionMaxLength),
      tags: Array.from({ length: LIMITS.tagsMaxCount }, (_, i) => `tag-${i}_x`),
      dueDate: '2028-02-29',
    });
    expect(t.tags).toHaveLength(LIMITS.tagsMaxCount);
    expect(t.dueDate).toBe('2028-02-29');
    await call(backend, 'DELETE', API_ROUTES.task(t.id), { token });
  });

  it('answers an unknown route with a 404 in the same error shape', async () => {
    const res = await call(backend, 'GET', '/api/nothing-here', { token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'There is no GET /api/nothing-here route.' });
  });
});

describe('search, filters, sorting and pages', () => {
  let owner: string;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    owner = (await signup(backend)).token;
    const tasks = [
      { title: 'Buy milk', description: 'Two litres, semi-skimmed', priority: 'high', tags: ['home', 'errands'], dueDate: '2030-01-10' },
      { title: 'write report', description: 'Quarterly numbers', priority: 'medium', tags: ['work'], dueDate: '2030-01-20' },
      { title: 'Call plumber', description: 'Kitchen sink leaks', priority: 'low', tags: ['home'] },
      { title: 'Renew passport', description: '', priority: 'high', tags: ['admin', 'travel'], dueDate: '2029-12-30' },
      { title: 'Book 100% refund', description: 'under_score', priority: 'low', tags: ['money'], dueDate: '2030-01-10' },
    ];
    for (const t of tasks) ids[t.title] = (await create(t, owner)).id;
    await call(backend, 'PATCH', API_ROUTES.task(ids['Buy milk']!), { token: owner, body: { completed: true } });
  });

  it('lists newest first by default, with the page shape', async () => {
    const p = await list('', owner);
    expect(titles(p)).toEqual(['Book 100% refund', 'Renew passport', 'Call plumber', 'write report', 'Buy milk']);
    expect(p).toMatchObject({ total: 5, page: 1, pageSize: LIMITS.pageSizeDefault });
    expect(titles(await list('sort=createdAt&order=asc', owner))).toEqual(['Buy milk', 'write report', 'Call plumber', 'Renew passport', 'Book 100% refund']);
  });

  it('searches title, description and tags, case-insensitively, every word', async () => {
    expect(titles(await list('q=MILK', owner))).toEqual(['Buy milk']);
    expect(titles(await list('q=semi-skimmed', owner))).toEqual(['Buy milk']);
    expect(titles(await list('q=Travel', owner))).toEqual(['Renew passport']);
    expect(titles(await list('q=report', owner))).toEqual(['write report']);
    expect(titles(await list('q=home%20sink', owner))).toEqual(['Call plumber']);
    expect(titles(await list('q=no%20such%20thing', owner))).toEqual([]);
    // LIKE wildcards are literal.
    expect(titles(await list('q=100%25', owner))).toEqual(['Book 100% refund']);
    expect(titles(await list('q=%25', owner))).toEqual(['Book 100% refund']);
    expect(titles(await list('q=_', owner))).toEqual(['Book 100% refund']);
    expect((await list('q=%20%20', owner)).total).toBe(5);
  });

  it('filters by status, priority, tag and due-date range (combined with AND)', async () => {
    expect(titles(await list('status=completed', owner))).toEqual(['Buy milk']);
    expect((await list('status=open', owner)).total).toBe(4);
    expect(titles(await list('priority=high&sort=title', owner))).toEqual(['Buy milk', 'Renew passport']);
    expect(titles(await list('tag=home&sort=title', owner))).toEqual(['Buy milk', 'Call plumber']);
    expect(titles(await list('tag=home&status=open', owner))).toEqual(['Call plumber']);
    expect(titles(await list('dueFrom=2030-01-01&sort=title', owner))).toEqual(['Book 100% refund', 'Buy milk', 'write report']);
    expect(titles(await list('dueFrom=2030-01-10&dueTo=2030-01-10&sort=title', owner))).toEqual(['Book 100% refund', 'Buy milk']);
    expect(titles(await list('dueTo=2030-01-09', owner))).toEqual(['Renew passport']);
    // An empty range is no error, just no task.
    expect((await list('dueFrom=2030-02-01&dueTo=2030-01-01', owner)).total).toBe(0);
  });

  it('sorts by due date (undated last either way), priority and title', async () => {
    expect(titles(await list('sort=dueDate', owner))).toEqual(['Renew passport', 'Book 100% refund', 'Buy milk', 'write report', 'Call plumber']);
    expect(titles(await list('sort=dueDate&order=desc', owner))).toEqual(['write report', 'Book 100% refund', 'Buy milk', 'Renew passport', 'Call plumber']);
    expect(titles(await list('sort=priority', owner))).toEqual(['Renew passport', 'Buy milk', 'write report', 'Book 100% refund', 'Call plumber']);
    expect(titles(await list('sort=priority&order=desc', owner))).toEqual(['Book 100% refund', 'Call plumber', 'write report', 'Renew passport', 'Buy milk']);
    // Title order ignores case.
    expect(titles(await list('sort=title', owner))).toEqual(['Book 100% refund', 'Buy milk', 'Call plumber', 'Renew passport', 'write report']);
    expect(titles(await list('sort=title&order=desc', owner))).toEqual(['write report', 'Renew passport', 'Call plumber', 'Buy milk', 'Book 100% refund']);
  });

  it('pages without overlap, and answers past the end with the total', async () => {
    const pages = [await list('pageSize=2&page=1', owner), await list('pageSize=2&page=2', owner), await list('pageSize=2&page=3', owner)];
    expect(pages.map(titles)).toEqual([['Book 100% refund', 'Renew passport'], ['Call plumber', 'write report'], ['Buy milk']]);
    expect(pages.map((p) => [p.total, p.page, p.pageSize])).toEqual([[5, 1, 2], [5, 2, 2], [5, 3, 2]]);
    const past = await list('pageSize=2&page=9&priority=high', owner);
    expect(past).toEqual({ items: [], total: 2, page: 9, pageSize: 2 });
  });
});
