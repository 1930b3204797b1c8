import type { Session } from '@todo/contract';
import { type ApiClient, ApiRequestError } from './api';

/**
 * The session as the web app holds it. The access token lives in memory only (no Web Storage); the
 * refresh cookie is HttpOnly, so no script reads it. Tabs share the session:
 * - a renewal runs under a Web Lock, so the tabs of a browser never send one refresh cookie twice
 *   (the server's grace period covers browsers without Web Locks);
 * - a new access token, a log-in and a log-out are broadcast to the other tabs (BroadcastChannel);
 * - localStorage holds one flag, "a session may exist" (no token), so that a signed-out visitor
 *   is not made to wait for a refresh that cannot succeed.
 * The access token is renewed before it expires (a quarter of its lifetime, at most a minute,
 * ahead), when the tab becomes visible again, before a call with a token about to expire, and after
 * a 401.
 */
export type SessionEnd = 'logout' | 'ended';
export type SessionListener = (session: Session | null, end?: SessionEnd) => void;

/** Sent between tabs; never holds the refresh cookie. */
type Message = { type: 'session'; session: Session; receivedAt: number } | { type: 'ended'; end: SessionEnd };

interface Channel {
  postMessage(message: Message): void;
  addEventListener(type: 'message', listener: (e: { data: Message }) => void): void;
}
interface Locks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}
interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface SessionDeps {
  api: Pick<ApiClient, 'refresh' | 'logout'>;
  channel?: Channel | null;
  locks?: Locks | null;
  /** Where the "a session may exist" flag lives (localStorage). */
  flags?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  now?: () => number;
  timers?: Timers;
  /** Called when the tab becomes visible again. */
  onVisible?: (fn: () => void) => void;
}

export const CHANNEL_NAME = 'todo.session';
export const LOCK_NAME = 'todo.session.renew';
export const FLAG_KEY = 'todo.session.active';
/** Retry of a renewal the server did not answer (network, 5xx, 429), while the token still works. */
const RETRY_MS = 5_000;

/** How long a token lives, from its own claims (iat, exp: one clock, the server's), in ms. */
export function lifetimeMs(session: Session, now: number): number {
  try {
    const claims = JSON.parse(atob(session.token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { iat?: number; exp?: number };
    if (typeof claims.iat === 'number' && typeof claims.exp === 'number' && claims.exp > claims.iat) return (claims.exp - claims.iat) * 1000;
  } catch {
    // not a JWT we can read: fall back to the stated expiry
  }
  return Math.max(0, Date.parse(session.expiresAt) - now);
}

/** How long before expiry to renew: a quarter of the lifetime, at most a minute. */
export const renewalMargin = (lifetime: number) => Math.min(60_000, lifetime / 4);

export class SessionManager {
  private session: Session | null = null;
  /** When the token expires and when to renew it, on this machine's clock. */
  private expiresAt = 0;
  private renewAt = 0;
  private timer: unknown = null;
  private listeners = new Set<SessionListener>();
  private pending: Promise<Session | null> | null = null;
  private readonly now: () => number;
  private readonly timers: Timers;

  constructor(private readonly deps: SessionDeps) {
    this.now = deps.now ?? Date.now;
    this.timers = deps.timers ?? { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    deps.channel?.addEventListener('message', (e) => this.receive(e.data));
    deps.onVisible?.(() => {
      if (this.session && this.now() >= this.renewAt) void this.renew(this.session.token).catch(() => undefined);
    });
  }

  current(): Session | null {
    return this.session;
  }

  /** How the last session of this tab ended, if it did. */
  lastEnd: SessionEnd | null = null;

  subscribe(fn: SessionListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** At start: the session of the refresh cookie, if there may be one. */
  async restore(): Promise<Session | null> {
    const flags = this.deps.flags;
    if (flags && flags.getItem(FLAG_KEY) !== '1') return null;
    return this.renew(null).catch(() => null);
  }

  /** After log-in or sign-up. */
  signedIn(session: Session): void {
    this.adopt(session, this.now());
    this.deps.channel?.postMessage({ type: 'session', session, receivedAt: this.now() });
  }

  /** The token to send: renewed first when it is about to expire. */
  async accessToken(): Promise<string | null> {
    if (this.session && this.now() >= this.renewAt) await this.renew(this.session.token).catch(() => undefined);
    return this.session?.token ?? null;
  }

  /** A call with `token` was refused (401): the token to retry with, or null when the session is over. */
  async unauthorized(token: string | null): Promise<string | null> {
    if (!this.session) return null;
    if (token !== this.session.token) return this.session.token;
    const renewed = await this.renew(token);
    return renewed?.token ?? null;
  }

  /**
   * Renews the session with the refresh cookie, one tab at a time. `stale` is the token that needs
   * replacing: if another tab has replaced it meanwhile, that token is taken as it is. Resolves with
   * the new session, or null when the session is over (every tab is told); rejects when the server
   * could not be reached (the session may well go on: tried again later).
   */
  renew(stale: string | null): Promise<Session | null> {
    this.pending ??= this.locked(async () => {
      if (this.session && this.session.token !== stale && this.now() < this.renewAt) return this.session;
      try {
        const session = await this.deps.api.refresh();
        this.signedIn(session);
        return session;
      } catch (err) {
        if (err instanceof ApiRequestError && err.status >= 400 && err.status < 500 && err.status !== 429) {
          this.end('ended');
          return null;
        }
        if (this.session) this.schedule(RETRY_MS);
        throw err;
      }
    }).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Ends the session on the server (every token of it), here and in every tab. */
  async logout(): Promise<void> {
    try {
      await this.locked(() => this.deps.api.logout());
    } catch {
      // The session is dropped on this side whatever the server says (it may have ended already).
    }
    this.end('logout');
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.deps.locks ? this.deps.locks.request(LOCK_NAME, fn) : fn();
  }

  private adopt(session: Session, receivedAt: number) {
    const lifetime = lifetimeMs(session, receivedAt);
    this.session = session;
    this.expiresAt = receivedAt + lifetime;
    this.renewAt = this.expiresAt - renewalMargin(lifetime);
    this.deps.flags?.setItem(FLAG_KEY, '1');
    this.schedule(this.renewAt - this.now());
    this.emit(session);
  }

  private end(end: SessionEnd, broadcast = true) {
    this.session = null;
    this.lastEnd = end;
    this.expiresAt = this.renewAt = 0;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.deps.flags?.removeItem(FLAG_KEY);
    if (broadcast) this.deps.channel?.postMessage({ type: 'ended', end });
    this.emit(null, end);
  }

  private schedule(ms: number) {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = null;
      if (this.session) void this.renew(this.session.token).catch(() => undefined);
    }, Math.max(0, ms));
  }

  private receive(message: Message) {
    if (message.type === 'session') this.adopt(message.session, message.receivedAt);
    else this.end(message.end, false);
  }

  private emit(session: Session | null, end?: SessionEnd) {
    for (const fn of this.listeners) fn(session, end);
  }
}

/** The manager wired to the browser: BroadcastChannel, Web Locks, localStorage, page visibility. */
export function browserSessions(api: SessionDeps['api']): SessionManager {
  const storage = (() => {
    try {
      return window.localStorage;
    } catch {
      return null;
    }
  })();
  return new SessionManager({
    api,
    channel: typeof BroadcastChannel === 'function' ? (new BroadcastChannel(CHANNEL_NAME) as unknown as Channel) : null,
    locks: typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : null,
    flags: storage,
    onVisible: (fn) => document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && fn()),
  });
}
