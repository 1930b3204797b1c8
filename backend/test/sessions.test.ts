/**
 * Sessions: the refresh cookie (attributes, rotation, reuse detection, the grace period, log-out),
 * the CSRF checks of the cookie routes, and the rules as pure functions. PGlite in memory.
 */
import { API_HEADERS, API_ROUTES, CSRF_HEADER_VALUE, SESSION_COOKIE, type Session } from '@todo/contract';
import type { Backend } from '../src/app';
import { refreshTokens } from '../src/auth/refresh-token';
import { cookieSecure, csrfProblem, decideRefresh } from '../src/auth/session-policy';
import type { SessionRow } from '../src/db/session-store';
import type { Database } from '../src/db/types';
import { call, PASSWORD, SECRET, signToken, signup, testBackend, testDatabase, uniqueEmail } from './helpers';
import { cookieFrom, refresh, sessionLogout } from './session-helpers';

let db: Database;
let backend: Backend;
/** The same app with no grace period: any second use of a refresh cookie is a reuse. */
let strict: Backend;

beforeAll(async () => {
  db = await testDatabase();
  backend = testBackend(db);
  strict = testBackend(db, { sessionRefreshGraceSeconds: 0 });
}, 60_000);
afterAll(async () => {
  await backend.app.close();
  await strict.app.close();
  await db.close();
});

async function login(b: Backend = backend, email?: string) {
  const address = email ?? uniqueEmail();
  if (!email) await signup(b, address);
  const res = await call(b, 'POST', API_ROUTES.login, { body: { email: address, password: PASSWORD } });
  expect(res.status).toBe(200);
  return { session: res.body as Session, cookie: cookieFrom(res)!, setCookie: String(res.headers['set-cookie']) };
}

const me = async (token: string) => (await call(backend, 'GET', API_ROUTES.me, { token })).status;

describe('the refresh cookie', () => {
  it('is set by log-in and sign-up: HttpOnly, Secure, SameSite=Strict, scoped to the cookie routes, lasting the idle timeout', async () => {
    const { setCookie } = await login();
    expect(setCookie).toMatch(
      new RegExp(`^${SESSION_COOKIE.name}=v1\\.[0-9a-f-]{36}\\.1\\.[A-Za-z0-9_-]{43}; Max-Age=604800; Path=${SESSION_COOKIE.path}; HttpOnly; Secure; SameSite=Strict$`),
    );
    const s = await call(backend, 'POST', API_ROUTES.signup, { body: { email: uniqueEmail(), password: PASSWORD } });
    expect(String(s.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE.name}=v1\\..*; HttpOnly; Secure; SameSite=Strict$`));
  });

  it('renews: a new access token and a new cookie; the old access token keeps working until it expires', async () => {
    const { session, cookie } = await login();
    const r = await refresh(backend, cookie);
    expect(r.status).toBe(200);
    const renewed = r.body as Session;
    expect(renewed.user).toEqual(session.user);
    expect(renewed.token).not.toBe(session.token);
    expect(cookieFrom(r)).not.toBe(cookie);
    expect(cookieFrom(r)).toMatch(/^v1\.[0-9a-f-]{36}\.2\./);
    expect(await me(renewed.token)).toBe(200);
    expect(await me(session.token)).toBe(200);
  });

  it('a reused refresh cookie ends its session: the reused one, the newest one and every access token are refused', async () => {
    const { session, cookie: first } = await login();
    const r1 = await refresh(backend, first);
    const second = cookieFrom(r1)!;
    // The second cookie is used, so the first one is no longer the previous generation: a reuse.
    const r2 = await refresh(backend, second);
    const third = cookieFrom(r2)!;
    expect([r1.status, r2.status]).toEqual([200, 200]);

    const reused = await refresh(backend, first);
    expect(reused.status).toBe(401);
    expect(reused.body.message).toMatch(/used twice/);
    expect(String(reused.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE.name}=; Max-Age=0; Path=${SESSION_COOKIE.path};`));
    expect((await refresh(backend, third)).status).toBe(401);
    expect((await refresh(backend, second)).status).toBe(401);
    for (const token of [session.token, (r1.body as Session).token, (r2.body as Session).token]) expect(await me(token)).toBe(401);
    expect((await call(backend, 'GET', API_ROUTES.tasks, { token: (r2.body as Session).token })).status).toBe(401);
  });

  it('without a grace period, presenting the replaced cookie once more ends the session at once', async () => {
    const { cookie: first } = await login(strict);
    const r1 = await refresh(strict, first);
    expect(r1.status).toBe(200);
    expect((await refresh(strict, first)).status).toBe(401);
    expect((await refresh(strict, cookieFrom(r1)!)).status).toBe(401);
    expect(await me((r1.body as Session).token)).toBe(401);
  });

  it('within the grace period, two refreshes at once both get the same new cookie, and the session goes on', async () => {
    const { cookie } = await login();
    const [a, b] = await Promise.all([refresh(backend, cookie), refresh(backend, cookie)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(cookieFrom(a)).toBe(cookieFrom(b));
    expect(cookieFrom(a)).toMatch(/^v1\.[0-9a-f-]{36}\.2\./);
    const next = await refresh(backend, cookieFrom(a)!);
    expect(next.status).toBe(200);
    expect(await me((next.body as Session).token)).toBe(200);
  });

  it('without a grace period, of two refreshes at once one wins and the other ends the session (the winner’s cookie too)', async () => {
    const { cookie } = await login(strict);
    const results = await Promise.all([refresh(strict, cookie), refresh(strict, cookie)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await refresh(strict, cookieFrom(winner)!)).status).toBe(401);
    expect(await me((winner.body as Session).token)).toBe(401);
  });

  it('is refused when missing, tampered with, or made with another secret (401; a bad cookie is cleared)', async () => {
    const { cookie } = await login();
    const missing = await refresh(backend, undefined);
    expect([missing.status, missing.body.message]).toEqual([401, 'There is no session to renew: log in first.']);
    expect(missing.headers['set-cookie']).toBeUndefined();
    const [v, sid, gen, mac] = cookie.split('.') as [string, string, string, string];
    const variants = {
      garbage: 'not-a-token',
      generation: `${v}.${sid}.2.${mac}`,
      session: `${v}.00000000-0000-4000-8000-000000000000.${gen}.${mac}`,
      mac: `${v}.${sid}.${gen}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`,
      otherSecret: refreshTokens(`${SECRET}-other`).make(sid, 1),
      unknownSession: refreshTokens(SECRET).make('00000000-0000-4000-8000-000000000000', 1),
    };
    for (const [name, value] of Object.entries(variants)) {
      const res = await refresh(backend, value);
      expect({ name, status: res.status, cleared: /Max-Age=0/.test(String(res.headers['set-cookie'])) }).toEqual({ name, status: 401, cleared: true });
    }
    // None of them harmed the genuine session.
    expect((await refresh(backend, cookie)).status).toBe(200);
  });
});

describe('log-out', () => {
  it('with the cookie (the web app): 204, the cookie cleared, and every token of the session refused', async () => {
    const { session, cookie } = await login();
    const r1 = await refresh(backend, cookie);
    const out = await sessionLogout(backend, cookieFrom(r1));
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect((await refresh(backend, cookieFrom(r1))).status).toBe(401);
    expect(await me(session.token)).toBe(401);
    expect(await me((r1.body as Session).token)).toBe(401);
    // Any cookie of the session may end it; without one there is nothing to end.
    expect((await sessionLogout(backend, cookie)).status).toBe(204);
    expect((await sessionLogout(backend, undefined)).status).toBe(401);
  });

  it('with the access token (API clients): the refresh cookie of that session is refused too, other sessions go on', async () => {
    const email = uniqueEmail();
    await signup(backend, email);
    const a = await login(backend, email);
    const b = await login(backend, email);
    expect((await call(backend, 'POST', API_ROUTES.logout, { token: a.session.token })).status).toBe(204);
    expect((await refresh(backend, a.cookie)).status).toBe(401);
    expect(await me(a.session.token)).toBe(401);
    expect((await refresh(backend, b.cookie)).status).toBe(200);
  });

  it('of a token from an earlier release (no sid): its jti is revoked', async () => {
    const s = await signup(backend);
    const old = signToken(s.user.id);
    expect(await me(old)).toBe(200);
    expect((await call(backend, 'POST', API_ROUTES.logout, { token: old })).status).toBe(204);
    expect(await me(old)).toBe(401);
    expect(await me(s.token)).toBe(200);
  });
});

describe('CSRF: the cookie routes', () => {
  const csrf = { [API_HEADERS.csrf]: CSRF_HEADER_VALUE };

  it('need the X-Requested-With header (400 naming it) before the cookie is looked at', async () => {
    const { cookie } = await login();
    for (const route of [API_ROUTES.refresh, API_ROUTES.sessionLogout]) {
      const res = await call(backend, 'POST', route, { headers: { cookie: `${SESSION_COOKIE.name}=${cookie}` } });
      expect([res.status, res.body.message]).toEqual([400, 'headers must have the field "x-requested-with"']);
      const wrong = await call(backend, 'POST', route, { headers: { cookie: `${SESSION_COOKIE.name}=${cookie}`, [API_HEADERS.csrf]: 'XMLHttpRequest' } });
      expect(wrong.status).toBe(400);
    }
    expect((await refresh(backend, cookie)).status).toBe(200);
  });

  it('refuse a request the browser marks as cross-site, or from another origin (403), and leave the session alone', async () => {
    const { cookie } = await login();
    const attempts: Record<string, Record<string, string>> = {
      'Sec-Fetch-Site: cross-site': { 'sec-fetch-site': 'cross-site' },
      'Sec-Fetch-Site: same-site': { 'sec-fetch-site': 'same-site' },
      'Origin of another site': { origin: 'https://evil.example' },
      'Origin on another port': { origin: 'http://localhost:8081' },
      'Origin null': { origin: 'null' },
    };
    for (const [name, headers] of Object.entries(attempts)) {
      for (const route of [API_ROUTES.refresh, API_ROUTES.sessionLogout]) {
        const res = await call(backend, 'POST', route, { headers: { cookie: `${SESSION_COOKIE.name}=${cookie}`, ...csrf, ...headers } });
        expect({ name, route, status: res.status, cookieSet: res.headers['set-cookie'] !== undefined }).toEqual({ name, route, status: 403, cookieSet: false });
        expect(res.body.message).toMatch(/may not use the session cookie/);
      }
    }
    expect((await refresh(backend, cookie)).status).toBe(200);
  });

  it('accept the site itself: same-origin, an Origin naming the Host or (behind the web server’s proxy) X-Forwarded-Host', async () => {
    let { cookie } = await login();
    const allowed: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-origin', origin: 'http://localhost' },
      { host: 'todo.example:8443', origin: 'https://todo.example:8443' },
      { host: 'todo.example', origin: 'https://todo.example' },
      { host: '127.0.0.1:3000', 'x-forwarded-host': '127.0.0.1:8080', origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' },
    ];
    for (const headers of allowed) {
      const res = await call(backend, 'POST', API_ROUTES.refresh, { headers: { cookie: `${SESSION_COOKIE.name}=${cookie}`, ...csrf, ...headers } });
      expect({ headers, status: res.status }).toEqual({ headers, status: 200 });
      cookie = cookieFrom(res)!;
    }
  });
});

describe('SESSION_COOKIE_SECURE=auto', () => {
  let auto: Backend;
  beforeAll(() => {
    auto = testBackend(db, { sessionCookieSecure: 'auto' });
  });
  afterAll(() => auto.app.close());

  const loginWith = async (headers: Record<string, string>) => {
    const email = uniqueEmail();
    await signup(auto, email);
    return call(auto, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD }, headers });
  };

  it('leaves Secure (and the __Secure- prefix) off for plain HTTP only', async () => {
    const plain = await loginWith({ host: '192.168.49.2:30000' });
    expect(String(plain.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE.insecureName}=v1\\..*; HttpOnly; SameSite=Strict$`));
    const https: Record<string, string>[] = [{ host: 'todo.example', 'x-forwarded-proto': 'https' }, { host: 'localhost:8080', 'x-forwarded-proto': 'https,http' }];
    expect(String((await loginWith({ host: 'localhost:8080' })).headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE.insecureName}=`));
    for (const headers of https) {
      const res = await loginWith(headers);
      expect({ headers, cookie: String(res.headers['set-cookie']) }).toEqual({ headers, cookie: expect.stringMatching(new RegExp(`^${SESSION_COOKIE.name}=.*; Secure; SameSite=Strict$`)) });
    }
    // The cookie without the prefix is read in this mode.
    const value = String(plain.headers['set-cookie']).split(';')[0]!.split('=')[1]!;
    const r = await call(auto, 'POST', API_ROUTES.refresh, { headers: { host: '192.168.49.2:30000', cookie: `${SESSION_COOKIE.insecureName}=${value}`, [API_HEADERS.csrf]: CSRF_HEADER_VALUE } });
    expect(r.status).toBe(200);
  });

  it('is off by default: a cookie without the __Secure- prefix is ignored (a plain-HTTP attacker could plant one)', async () => {
    const { cookie } = await login();
    const r = await call(backend, 'POST', API_ROUTES.refresh, { headers: { cookie: `${SESSION_COOKIE.insecureName}=${cookie}`, [API_HEADERS.csrf]: CSRF_HEADER_VALUE } });
    expect([r.status, r.body.message]).toEqual([401, 'There is no session to renew: log in first.']);
  });
});

describe('the rules (pure functions)', () => {
  const t0 = Date.parse('2030-01-01T00:00:00Z');
  const row = (over: Partial<SessionRow> = {}): SessionRow => ({
    userId: 'u',
    email: 'a@example.test',
    userCreatedAt: new Date(t0).toISOString(),
    generation: 5,
    rotatedAt: t0,
    expiresAt: t0 + 30 * 86400_000,
    endedAt: null,
    now: t0 + 1000,
    ...over,
  });
  const timings = { idleTimeoutSeconds: 3600, refreshGraceSeconds: 10 };

  it('rotate the current generation until the idle timeout and the session’s end', () => {
    expect(decideRefresh(row(), 5, timings)).toMatchObject({ kind: 'rotated', generation: 6, idleDeadline: t0 + 1000 + 3600_000 });
    expect(decideRefresh(row({ now: t0 + 3600_000 }), 5, timings)).toEqual({ kind: 'refused', reason: 'idle' });
    expect(decideRefresh(row({ now: t0 + 30 * 86400_000 }), 5, timings)).toEqual({ kind: 'refused', reason: 'expired' });
    // The idle deadline never passes the session's end.
    expect(decideRefresh(row({ expiresAt: t0 + 60_000 }), 5, timings)).toMatchObject({ idleDeadline: t0 + 60_000 });
    expect(decideRefresh(row({ endedAt: t0 }), 5, timings)).toEqual({ kind: 'refused', reason: 'ended' });
  });

  it('replay the previous generation within the grace period only; anything else is a reuse', () => {
    expect(decideRefresh(row({ now: t0 + 10_000 }), 4, timings)).toMatchObject({ kind: 'replayed', generation: 5 });
    expect(decideRefresh(row({ now: t0 + 10_001 }), 4, timings)).toEqual({ kind: 'refused', reason: 'reuse' });
    expect(decideRefresh(row(), 3, timings)).toEqual({ kind: 'refused', reason: 'reuse' });
    expect(decideRefresh(row(), 6, timings)).toEqual({ kind: 'refused', reason: 'reuse' });
    expect(decideRefresh(row(), 4, { ...timings, refreshGraceSeconds: 0 })).toEqual({ kind: 'refused', reason: 'reuse' });
    // no grace means none, even in the very millisecond of the rotation
    expect(decideRefresh(row({ now: t0 }), 4, { ...timings, refreshGraceSeconds: 0 })).toEqual({ kind: 'refused', reason: 'reuse' });
  });

  it('CSRF: the header, then Sec-Fetch-Site and Origin when the browser sends them', () => {
    const h = { 'x-requested-with': 'fetch', host: 'app.example' };
    expect(csrfProblem(h)).toBeNull();
    expect(csrfProblem({ host: 'app.example' })).toMatch(/needs the header X-Requested-With: fetch/);
    expect(csrfProblem({ ...h, 'sec-fetch-site': 'none' })).toMatch(/another site/);
    expect(csrfProblem({ ...h, origin: 'https://app.example' })).toBeNull();
    expect(csrfProblem({ ...h, origin: 'https://app.example.evil.example' })).toMatch(/not this site/);
    expect(csrfProblem({ ...h, origin: 'javascript:alert(1)' })).toMatch(/not this site/);
    expect(csrfProblem({ ...h, host: 'app.example:8080', origin: 'http://app.example' })).toMatch(/not this site/);
  });

  it('Secure: always in "always"; in "auto" when the browser’s connection is HTTPS', () => {
    expect(cookieSecure('always', 'http', { host: '10.0.0.1' })).toBe(true);
    expect(cookieSecure('auto', 'http', { host: '10.0.0.1:30000' })).toBe(false);
    expect(cookieSecure('auto', 'https', { host: '10.0.0.1' })).toBe(true);
    expect(cookieSecure('auto', 'http', { host: '10.0.0.1', 'x-forwarded-proto': 'https, http' })).toBe(true);
    expect(cookieSecure('auto', 'http', { host: '10.0.0.1', 'x-forwarded-proto': 'http' })).toBe(false);
  });
});
