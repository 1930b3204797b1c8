import { API_ROUTES, type Session } from '@todo/contract';
import type { Backend } from '../src/app';
import { createTokenSigner } from '../src/auth/jwt';
import type { Database } from '../src/db/types';
import { call, PASSWORD, SECRET, signup, testBackend, testDatabase, uniqueEmail } from './helpers';

let db: Database;
let backend: Backend;

beforeAll(async () => {
  db = await testDatabase();
  backend = testBackend(db);
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
      otherSecret: createTokenSigner(`${SECRET}-other`, 3600).sign(s.user.id).token,
      expired: createTokenSigner(SECRET, 60).sign(s.user.id, Date.now() - 61_000).token,
      unknownUser: createTokenSigner(SECRET, 3600).sign('00000000-0000-4000-8000-000000000000').token,
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
    const limited = testBackend(db, { loginRateLimitPerMinute: 3 });
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
