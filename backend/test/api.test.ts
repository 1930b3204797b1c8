/**
 * The API over embedded PGlite in memory (one database for the whole file), through Fastify's
 * inject: accounts and sessions, isolation between users, tasks, validation, search and pages.
 */
import { API_ROUTES, LIMITS, type Session, type Task, type TaskPage } from '@todo/contract';
import type { Backend } from '../src/app';
import type { Database } from '../src/db/types';
import { call, PASSWORD, SECRET, signToken, signup, testBackend, testDatabase, uniqueEmail } from './helpers';

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

describe('sign-up', () => {
  it('creates an account and returns a session (201 {token, expiresAt, user})', async () => {
    const email = uniqueEmail('Mixed.Case');
    const t0 = Date.now();
    const res = await call(backend, 'POST', API_ROUTES.signup, { body: { email, password: PASSWORD } });
    expect(res.status).toBe(201);
    const s = res.body as Session;
    expect(s.user.email).toBe(email.toLowerCase());
    expect(s.user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.token.split('.')).toHaveLength(3);
    const ttl = Date.parse(s.expiresAt) - t0;
    expect(ttl).toBeGreaterThan(3590_000);
    expect(ttl).toBeLessThanOrEqual(3601_000);
    expect(Object.keys(s).sort()).toEqual(['expiresAt', 'token', 'user']);
    // The password hash never leaves the server.
    expect(res.raw).not.toMatch(/scrypt|password/i);
  });

  it('refuses a second account with the same email, whatever its case (409)', async () => {
    const email = uniqueEmail();
    await signup(backend, email);
    const res = await call(backend, 'POST', API_ROUTES.signup, { body: { email: email.toUpperCase(), password: 'another password' } });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.stringMatching(/already exists/) });
  });

  it('validates the email and the password length', async () => {
    const bad = await call(backend, 'POST', API_ROUTES.signup, { body: { email: 'not-an-email', password: PASSWORD } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('body/email must be an email address');
    const short = await call(backend, 'POST', API_ROUTES.signup, { body: { email: uniqueEmail(), password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.message).toMatch(/^body\/password must NOT have fewer than 8 characters/);
    const missing = await call(backend, 'POST', API_ROUTES.signup, { body: { email: uniqueEmail() } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('body must have the field "password"');
  });
});

describe('log-in, me, log-out', () => {
  let email: string;
  beforeAll(async () => {
    email = uniqueEmail();
    await signup(backend, email);
  });

  it('logs in with the right password (200) and the token works for /me', async () => {
    const res = await call(backend, 'POST', API_ROUTES.login, { body: { email: email.toUpperCase(), password: PASSWORD } });
    expect(res.status).toBe(200);
    const me = await call(backend, 'GET', API_ROUTES.me, { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(res.body.user);
    expect(me.body.email).toBe(email);
  });

  it('refuses a wrong password and an unknown email alike (401, same message)', async () => {
    const wrong = await call(backend, 'POST', API_ROUTES.login, { body: { email, password: 'wrong password!' } });
    const unknown = await call(backend, 'POST', API_ROUTES.login, { body: { email: uniqueEmail('nobody'), password: PASSWORD } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe('Wrong email or password.');
    expect(unknown.body).toEqual(wrong.body);
  });

  it('revokes the token at log-out (204), and only that token', async () => {
    const a = (await call(backend, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD } })).body as Session;
    const b = (await call(backend, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD } })).body as Session;
    const out = await call(backend, 'POST', API_ROUTES.logout, { token: a.token });
    expect(out.status).toBe(204);
    expect(out.raw).toBe('');
    const after = await call(backend, 'GET', API_ROUTES.me, { token: a.token });
    expect(after.status).toBe(401);
    expect(after.body.message).toMatch(/session has ended/);
    expect((await call(backend, 'GET', API_ROUTES.tasks, { token: a.token })).status).toBe(401);
    expect((await call(backend, 'POST', API_ROUTES.tasks, { token: a.token, body: { title: 'after log-out' } })).status).toBe(401);
    expect((await call(backend, 'GET', `${API_ROUTES.tasks}?q=log-out`, { token: b.token })).body.total).toBe(0);
    expect((await call(backend, 'POST', API_ROUTES.logout, { token: a.token })).status).toBe(401);
    expect((await call(backend, 'GET', API_ROUTES.me, { token: b.token })).status).toBe(200);
  });

  it('refuses missing, malformed, tampered, foreign and expired tokens (401)', async () => {
    const s = (await call(backend, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD } })).body as Session;
    const none = await call(backend, 'GET', API_ROUTES.me);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body.message).toMatch(/Authorization: Bearer/);

    const [h, p, sig] = s.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86400 })).toString('base64url');
    const variants = {
      garbage: 'tampered.token.value',
      payloadChanged: `${h}.${forged}.${sig}`,
      signatureChanged: `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`,
      algNone: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`,
      otherSecret: signToken(s.user.id, { secret: `${SECRET}-other` }),
      expired: signToken(s.user.id, { ttlSeconds: 60, now: Date.now() - 61_000 }),
      unknownUser: signToken('00000000-0000-4000-8000-000000000000'),
    };
    for (const [name, token] of Object.entries(variants)) {
      const res = await call(backend, 'GET', API_ROUTES.me, { token });
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
    }
    expect((await call(backend, 'GET', API_ROUTES.me, { headers: { authorization: `Basic ${s.token}` } })).status).toBe(401);
    // The genuine token still works.
    expect((await call(backend, 'GET', API_ROUTES.me, { token: s.token })).status).toBe(200);
  });

  it('asks for a session before looking at the body of a protected route', async () => {
    const res = await call(backend, 'POST', API_ROUTES.tasks, { body: { nonsense: true } });
    expect(res.status).toBe(401);
  });
});

describe('log-in and sign-up rate limit per client address', () => {
  it('answers 429 with Retry-After past LOGIN_RATE_LIMIT_PER_MINUTE attempts, counting both routes', async () => {
    // inject's connections come from 127.0.0.1: trusted here, so X-Forwarded-For names the client.
    const limited = testBackend(db, { loginRateLimitPerMinute: 3, loginAccountRateLimitPerMinute: 100, trustedProxies: ['127.0.0.1'] });
    try {
      const email = uniqueEmail();
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      expect((await call(limited, 'POST', API_ROUTES.signup, { body: { email, password: PASSWORD }, headers: from('203.0.113.7') })).status).toBe(201);
      expect((await call(limited, 'POST', API_ROUTES.login, { body: { email, password: 'wrong password' }, headers: from('203.0.113.7') })).status).toBe(401);
      expect((await call(limited, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD }, headers: from('203.0.113.7') })).status).toBe(200);
      const res = await call(limited, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD }, headers: from('203.0.113.7') });
      expect(res.status).toBe(429);
      expect(res.body.message).toMatch(/Too many log-in or sign-up attempts.*wait \d+ seconds/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect((await call(limited, 'POST', API_ROUTES.signup, { body: { email: uniqueEmail(), password: PASSWORD }, headers: from('203.0.113.7') })).status).toBe(429);
      // Another client (as seen through the proxy) is not affected.
      expect((await call(limited, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD }, headers: from('203.0.113.8') })).status).toBe(200);
      // Other routes are not limited.
      const token = (await call(backend, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD } })).body.token;
      expect((await call(limited, 'GET', API_ROUTES.me, { token, headers: from('203.0.113.7') })).status).toBe(200);
    } finally {
      await limited.app.close();
    }
  });
});

describe('one user never sees another user’s tasks', () => {
  it('answers 404 (never 403) for get, patch and delete, and leaves the task alone', async () => {
    const alice = await signup(backend);
    const bob = await signup(backend);
    const created = await call(backend, 'POST', API_ROUTES.tasks, { token: alice.token, body: { title: 'Alice’s secret', tags: ['private'] } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const url = API_ROUTES.task(id);

    for (const [method, body] of [['GET'], ['PATCH', { completed: true }], ['DELETE']] as const) {
      const res = await call(backend, method, url, { token: bob.token, body });
      expect({ method, status: res.status }).toEqual({ method, status: 404 });
      expect(res.body.message).toBe('There is no such task.');
    }
    const bobs = await call(backend, 'GET', `${API_ROUTES.tasks}?q=secret`, { token: bob.token });
    expect(bobs.body).toEqual({ items: [], total: 0, page: 1, pageSize: 20 });
    const bobsAll = await call(backend, 'GET', `${API_ROUTES.tasks}?tag=private`, { token: bob.token });
    expect(bobsAll.body.total).toBe(0);

    const still = await call(backend, 'GET', url, { token: alice.token });
    expect(still.status).toBe(200);
    expect(still.body.completed).toBe(false);
    expect((await call(backend, 'GET', API_ROUTES.tasks, { token: alice.token })).body.total).toBe(1);
  });
});

// ---- tasks ----------------------------------------------------------------------------------------

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
      version: 1,
      recurrence: null,
      seriesId: null,
      occurrence: null,
      remindAt: null,
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
    ['an empty title', 'POST', API_ROUTES.tasks, { title: '' }, 400, /^body\/title must (not be blank|NOT have fewer than 1 characters)$/],
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
    ['a NUL character in a title', 'POST', API_ROUTES.tasks, { title: 'a\u0000b' }, 400, /^body\/title must not contain NUL characters$/],
    ['a NUL character in a description', 'POST', API_ROUTES.tasks, { title: 'x', description: '\u0000' }, 400, /^body\/description must not contain NUL/],
    ['an unpaired surrogate in a title', 'POST', API_ROUTES.tasks, '{"title":"a\\ud800b"}', 400, /^body\/title must not contain unpaired UTF-16 surrogates$/],
    ['an unpaired surrogate in a tag', 'POST', API_ROUTES.tasks, '{"title":"x","tags":["ok","\\udfff"]}', 400, /^body\/tags\/1 must not contain unpaired UTF-16 surrogates$/],
    ['an unpaired low surrogate in a description', 'PATCH', API_ROUTES.task('00000000-0000-4000-8000-000000000000'), '{"description":"\\udc00"}', 400, /^body\/description must not contain/],
    ['a NUL character in a search', 'GET', `${API_ROUTES.tasks}?q=a%00b`, undefined, 400, /^querystring\/q must not contain NUL/],
    ['the year 0000', 'POST', API_ROUTES.tasks, { title: 'x', dueDate: '0000-01-01' }, 400, /^body\/dueDate must be a calendar date/],
    ['the year 0000 in a filter', 'GET', `${API_ROUTES.tasks}?dueTo=0000-12-31`, undefined, 400, /^querystring\/dueTo must be a calendar date from the year 0001 to 9999/],
    ['a five-digit year', 'POST', API_ROUTES.tasks, { title: 'x', dueDate: '10000-01-01' }, 400, /^body\/dueDate must be a calendar date/],
    ['a page beyond the limit', 'GET', `${API_ROUTES.tasks}?page=1000001`, undefined, 400, /^querystring\/page must be <= 1000000$/],
    ['a page size of 1e400', 'GET', `${API_ROUTES.tasks}?pageSize=1e400`, undefined, 400, /^querystring\/pageSize must be/],
    ['a NUL character in a password', 'POST', API_ROUTES.signup, { email: 'nul@example.test', password: 'pass\u0000word!' }, 400, /^body\/password must not contain NUL/],
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
