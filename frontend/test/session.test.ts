/** The web app's session: renewal timing, tabs sharing one session, log-out everywhere; drafts. */
import type { Session } from '@todo/contract';
import { ApiRequestError } from '../src/api';
import { clearAllDrafts, drafts } from '../src/drafts';
import { FLAG_KEY, lifetimeMs, renewalMargin, SessionManager, type SessionDeps } from '../src/session';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** A session whose token lives `ttl` seconds (claims iat/exp, as the backend signs them). */
const session = (n: number, ttl = 900, iat = 1_000_000): Session => ({
  token: `${b64({ alg: 'HS256' })}.${b64({ sub: 'u', sid: 's', jti: `j${n}`, iat, exp: iat + ttl })}.sig${n}`,
  expiresAt: new Date((iat + ttl) * 1000).toISOString(),
  user: { id: 'u1', email: 'a@example.test', createdAt: '2030-01-01T00:00:00.000Z' },
});

class MemoryStorage {
  private m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  key = (i: number) => [...this.m.keys()][i] ?? null;
  getItem = (k: string) => this.m.get(k) ?? null;
  setItem = (k: string, v: string) => void this.m.set(k, v);
  removeItem = (k: string) => void this.m.delete(k);
}

/** A fake clock with timers, a shared channel between "tabs", and a lock that serialises. */
function world() {
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const tabs: { deliver(m: unknown): void }[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  const flags = new MemoryStorage();
  const refreshes: number[] = [];
  /** The refresh's answer; `refreshes.length` counts this one already. */
  let answer: () => Promise<Session> = async () => session(refreshes.length);
  const api = {
    refresh: () => (refreshes.push(now), answer()),
    logout: jest.fn(async () => undefined),
  };
  const tab = (): SessionManager => {
    const listeners: ((e: { data: never }) => void)[] = [];
    const me = { deliver: (m: unknown) => listeners.forEach((l) => l({ data: m as never })) };
    tabs.push(me);
    const deps: SessionDeps = {
      api,
      flags,
      now: () => now,
      timers: { set: (fn, ms) => (timers.push({ at: now + ms, fn, id: nextId }), nextId++), clear: (id) => timers.splice(timers.findIndex((t) => t.id === id) >>> 0, 1) },
      channel: { postMessage: (m) => tabs.filter((t) => t !== me).forEach((t) => t.deliver(structuredClone(m))), addEventListener: (_t, l) => listeners.push(l) },
      locks: { request: <T,>(_n: string, fn: () => Promise<T>) => (chain = chain.then(fn, fn)) as Promise<T> },
    };
    return new SessionManager(deps);
  };
  const advance = async (ms: number) => {
    const until = now + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const next = timers[0];
      if (!next || next.at > until) break;
      timers.shift();
      now = next.at;
      next.fn();
      await new Promise((r) => setImmediate(r));
    }
    now = until;
    await new Promise((r) => setImmediate(r));
  };
  return { tab, advance, flags, refreshes, api, setAnswer: (f: () => Promise<Session>) => (answer = f), now: () => now };
}

describe('SessionManager', () => {
  it('reads the lifetime from the token’s own claims, and renews a quarter of it (at most a minute) ahead', () => {
    expect(lifetimeMs(session(1, 900), 0)).toBe(900_000);
    expect(lifetimeMs(session(1, 20), 0)).toBe(20_000);
    expect(renewalMargin(900_000)).toBe(60_000);
    expect(renewalMargin(20_000)).toBe(5_000);
  });

  it('at start, asks the server only when a session may exist (the flag), and keeps no token in storage', async () => {
    const w = world();
    expect(await w.tab().restore()).toBeNull();
    expect(w.refreshes).toHaveLength(0);
    w.flags.setItem(FLAG_KEY, '1');
    const s = await w.tab().restore();
    expect(s?.token).toBe(session(1).token);
    expect(w.refreshes).toHaveLength(1);
    for (let i = 0; i < w.flags.length; i++) expect(w.flags.getItem(w.flags.key(i)!)).not.toContain(s!.token);
  });

  it('renews before expiry, again and again, without a call ever seeing an expired token', async () => {
    const w = world();
    const t = w.tab();
    t.signedIn(session(100, 20));
    await w.advance(14_999);
    expect(w.refreshes).toEqual([]);
    w.setAnswer(async () => session(w.refreshes.length, 20));
    await w.advance(1);
    expect(w.refreshes).toEqual([15_000]);
    await w.advance(45_000);
    expect(w.refreshes).toEqual([15_000, 30_000, 45_000, 60_000]);
    expect(await t.accessToken()).toBe(session(4, 20).token);
  });

  it('shares one session between tabs: a renewal in one reaches the others, and only one tab renews', async () => {
    const w = world();
    w.setAnswer(async () => session(w.refreshes.length, 20));
    const [a, b, c] = [w.tab(), w.tab(), w.tab()];
    a.signedIn(session(100, 20));
    expect(b.current()?.token).toBe(session(100, 20).token);
    await w.advance(15_000);
    // Three timers fired; the lock let one refresh through, the others took its token.
    expect(w.refreshes).toHaveLength(1);
    for (const t of [a, b, c]) expect(t.current()?.token).toBe(session(1, 20).token);
  });

  it('log-out in one tab ends the session on the server once and in every tab; the drafts go', async () => {
    const w = world();
    const [a, b] = [w.tab(), w.tab()];
    const events: unknown[] = [];
    b.subscribe((s, end) => events.push([s?.token ?? null, end]));
    a.signedIn(session(1));
    await a.logout();
    expect(w.api.logout).toHaveBeenCalledTimes(1);
    expect([a.current(), b.current(), w.flags.getItem(FLAG_KEY)]).toEqual([null, null, null]);
    expect(events).toEqual([[session(1).token, undefined], [null, 'logout']]);
  });

  it('a refused renewal ends the session everywhere; a server that cannot be reached does not', async () => {
    const w = world();
    const [a, b] = [w.tab(), w.tab()];
    a.signedIn(session(1, 20));
    w.setAnswer(async () => {
      throw new ApiRequestError(0, 'Cannot reach the server.');
    });
    await w.advance(15_000);
    expect(a.current()).not.toBeNull();
    w.setAnswer(async () => {
      throw new ApiRequestError(401, 'Your session has ended.');
    });
    // Retried 5 s later: refused this time.
    await w.advance(5_000);
    expect([a.current(), b.current(), a.lastEnd, b.lastEnd]).toEqual([null, null, 'ended', 'ended']);
  });

  it('after a 401, renews and hands the new token for the retry; a token another tab replaced is taken as it is', async () => {
    const w = world();
    const [a, b] = [w.tab(), w.tab()];
    a.signedIn(session(100));
    expect(await a.unauthorized(session(100).token)).toBe(session(1).token);
    expect(w.refreshes).toHaveLength(1);
    // b already has the new token (broadcast): a 401 on the old one needs no second refresh.
    expect(await b.unauthorized(session(100).token)).toBe(session(1).token);
    expect(w.refreshes).toHaveLength(1);
  });
});

describe('drafts', () => {
  it('are kept per user, survive until cleared, and log-out forgets them all', () => {
    const storage = new MemoryStorage();
    const mine = drafts('u1', storage);
    mine.save('new', { title: 'Half-typed' });
    expect(mine.load('new')).toEqual({ title: 'Half-typed' });
    expect(drafts('u2', storage).load('new')).toBeNull();
    expect(drafts(null, storage).has('new')).toBe(false);
    mine.clear('new');
    expect(mine.has('new')).toBe(false);
    mine.save('edit.t1', { title: 'x' });
    storage.setItem('unrelated', 'stays');
    clearAllDrafts(storage);
    expect([storage.length, storage.getItem('unrelated')]).toEqual([1, 'stays']);
  });
});
