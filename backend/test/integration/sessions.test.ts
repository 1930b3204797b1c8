/**
 * Sessions on PostgreSQL, with two replicas (two apps, two pools) sharing the database: a reused
 * refresh cookie ends the session everywhere, concurrent refreshes of one cookie behave as documented
 * (docs/backend.md, "Sessions"), and log-out revokes every token of the session on both replicas.
 */
import { API_ROUTES, type Session } from '@todo/contract';
import type { Backend } from '../../src/app';
import { createPostgres } from '../../src/db/postgres';
import type { Database } from '../../src/db/types';
import { call, PASSWORD, signup, testBackend, uniqueEmail } from '../helpers';
import { cookieFrom, refresh, sessionLogout } from '../session-helpers';
import { DATABASE_URL } from './env';

const pools: Database[] = [];
const apps: Backend[] = [];
/** Two replicas with the default grace period, two without one. */
let graced: [Backend, Backend];
let strict: [Backend, Backend];

function replica(overrides: Parameters<typeof testBackend>[1] = {}): Backend {
  const db = createPostgres({ connectionString: DATABASE_URL, max: 6 });
  pools.push(db);
  const app = testBackend(db, { schemaChecked: false, ...overrides });
  apps.push(app);
  return app;
}

beforeAll(() => {
  graced = [replica(), replica()];
  strict = [replica({ sessionRefreshGraceSeconds: 0 }), replica({ sessionRefreshGraceSeconds: 0 })];
});
afterAll(async () => {
  for (const a of apps) await a.app.close();
  for (const p of pools) await p.close();
});

async function login(on: Backend) {
  const email = uniqueEmail('session');
  await signup(on, email);
  const res = await call(on, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD } });
  expect(res.status).toBe(200);
  return { session: res.body as Session, cookie: cookieFrom(res)! };
}
const me = async (on: Backend, token: string) => (await call(on, 'GET', API_ROUTES.me, { token })).status;
const list = async (on: Backend, token: string) => (await call(on, 'GET', API_ROUTES.tasks, { token })).status;
const generation = (cookie: string | undefined) => Number(cookie?.split('.')[2]);

describe('sessions on PostgreSQL, two replicas', () => {
  it('a reused refresh cookie ends the session: the reused cookie and the newest one are refused, and every access token, on both replicas', async () => {
    const [a, b] = graced;
    const { session, cookie: first } = await login(a);
    const r1 = await refresh(a, first);
    const r2 = await refresh(b, cookieFrom(r1));
    expect([r1.status, r2.status, generation(cookieFrom(r2))]).toEqual([200, 200, 3]);
    const newest = cookieFrom(r2)!;
    const newestToken = (r2.body as Session).token;
    expect(await list(a, newestToken)).toBe(200);

    const reused = await refresh(b, first);
    expect([reused.status, reused.body.message]).toEqual([401, expect.stringMatching(/used twice/)]);
    expect((await refresh(a, first)).status).toBe(401);
    expect((await refresh(a, newest)).status).toBe(401);
    expect((await refresh(b, newest)).status).toBe(401);
    for (const on of [a, b]) {
      for (const token of [session.token, (r1.body as Session).token, newestToken]) {
        expect(await me(on, token)).toBe(401);
        expect(await list(on, token)).toBe(401);
      }
    }
  });

  it('ten concurrent refreshes of one cookie over both replicas, with the grace period: all 200 with one and the same new cookie; the generation moves on once', async () => {
    const [a, b] = graced;
    const { cookie } = await login(a);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => refresh(i % 2 ? a : b, cookie)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const cookies = new Set(results.map((r) => cookieFrom(r)));
    expect(cookies.size).toBe(1);
    const [next] = cookies;
    expect(generation(next)).toBe(2);
    for (const r of results) expect(await me(a, (r.body as Session).token)).toBe(200);
    // The session goes on from the one new cookie, and the first is a reuse once that was used.
    const r3 = await refresh(b, next);
    expect([r3.status, generation(cookieFrom(r3))]).toEqual([200, 3]);
    expect((await refresh(a, cookie)).status).toBe(401);
    expect((await refresh(a, cookieFrom(r3))).status).toBe(401);
  });

  it('ten concurrent refreshes of one cookie over both replicas, without a grace period: exactly one 200, and the session ends (the winner’s cookie and token too)', async () => {
    const [a, b] = strict;
    const { cookie } = await login(a);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => refresh(i % 2 ? a : b, cookie)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(401)]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await refresh(a, cookieFrom(winner))).status).toBe(401);
    expect(await me(b, (winner.body as Session).token)).toBe(401);
  });

  it('log-out (cookie) on one replica revokes every token of the session on the other; other sessions of the user go on', async () => {
    const [a, b] = graced;
    const email = uniqueEmail('logout');
    await signup(a, email);
    const one = await call(a, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD } });
    const two = await call(b, 'POST', API_ROUTES.login, { body: { email, password: PASSWORD } });
    const renewed = await refresh(b, cookieFrom(one));
    expect(await list(b, (renewed.body as Session).token)).toBe(200);
    expect((await sessionLogout(a, cookieFrom(renewed))).status).toBe(204);
    expect((await refresh(b, cookieFrom(renewed))).status).toBe(401);
    for (const token of [(one.body as Session).token, (renewed.body as Session).token]) {
      expect(await me(b, token)).toBe(401);
      expect(await list(b, token)).toBe(401);
      expect((await call(b, 'POST', API_ROUTES.tasks, { token, body: { title: 'after log-out' } })).status).toBe(401);
    }
    expect(await me(b, (two.body as Session).token)).toBe(200);
    expect((await refresh(a, cookieFrom(two))).status).toBe(200);
  });

  it('log-out (bearer) ends the session: its refresh cookie is refused on both replicas', async () => {
    const [a, b] = graced;
    const { session, cookie } = await login(a);
    expect((await call(b, 'POST', API_ROUTES.logout, { token: session.token })).status).toBe(204);
    expect((await refresh(a, cookie)).status).toBe(401);
    expect(await list(a, session.token)).toBe(401);
  });
});
