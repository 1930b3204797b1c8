import {
  API_HEADERS,
  API_ROUTES,
  BACKEND,
  CSRF_HEADER_VALUE,
  type Credentials,
  type DeleteScope,
  type ReminderAcknowledge,
  type ReminderList,
  type Session,
  type Settings,
  type Task,
  type TaskCreate,
  type TaskPage,
  type TaskQuery,
  type TaskUpdate,
  type User,
} from '@todo/contract';
import { taskQueryToSearchParams } from './query';

/** A failed API call, with a message fit to show to the user as is. */
export class ApiRequestError extends Error {
  constructor(
    /** HTTP status, or 0 when the server could not be reached at all. */
    readonly status: number,
    message: string,
    /** The request body's field the API named (`body/password …` → `password`), if any. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** The body field an API message names first (`body/password is …` → `password`). */
export function fieldOf(body: unknown): string | undefined {
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? /^body\/([A-Za-z]+)\b/.exec(message)?.[1] : undefined;
}

/**
 * The URL of an API route for the runtime base URL. API_ROUTES are written under
 * BACKEND.apiPrefix (`/api/tasks`); the runtime configuration may move that prefix elsewhere
 * (`https://api.example.com/v1` → `https://api.example.com/v1/tasks`).
 */
export function apiUrl(baseUrl: string, route: string): string {
  const rest = route.startsWith(`${BACKEND.apiPrefix}/`) ? route.slice(BACKEND.apiPrefix.length) : route;
  return baseUrl.replace(/\/+$/, '') + rest;
}

/** Turns a failed response into one readable sentence, preferring the API's own `message`. */
export function describeFailure(status: number, statusText: string, body: unknown): string {
  const message = typeof body === 'object' && body !== null && 'message' in body ? (body as { message: unknown }).message : undefined;
  if (typeof message === 'string' && message.trim()) {
    // Fastify's schema errors name the request part ("body/title must …"): the field name is enough.
    const text = message.trim().replace(/^(body|querystring|params)\//, '');
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  if (status === 413) return 'That is too large to save.';
  if (status === 429) return 'Too many attempts. Please wait a minute and try again.';
  if (status === 502 || status === 503 || status === 504) return `The server is not available right now (${status}). Please try again in a moment.`;
  if (status >= 500) return `The server had a problem (${status}). Please try again.`;
  return `The request failed (${status}${statusText ? ` ${statusText}` : ''}).`;
}

export interface ApiClientOptions {
  baseUrl: string;
  /** The access token to send (renewed first when it is about to expire), or null. */
  getToken(): string | null | Promise<string | null>;
  /**
   * Called when an authenticated call sent with `token` answers 401 (the token expired, or its
   * session ended): may renew the session and give the token to retry with, once; null, or nothing,
   * means the session is over. May throw (a renewal that could not reach the server).
   */
  onUnauthorized(token: string | null): void | string | null | Promise<string | null>;
  fetch?: typeof fetch;
}

interface RequestOptions {
  body?: unknown;
  query?: URLSearchParams;
  /** Send the session token, and treat 401 as "session over" (false for log-in and sign-up). */
  auth?: boolean;
  /** A cookie route: sends the header that proves the request comes from this site. */
  csrf?: boolean;
  /** Let the request outlive the page (a deferred delete flushed when the page is hidden). */
  keepalive?: boolean;
  headers?: Record<string, string>;
}

/** Per-call options of the task mutations. */
export interface MutationOptions {
  keepalive?: boolean;
  /** The version the change is based on: sent as `If-Match: "<version>"` (412 if the task changed since). */
  ifMatch?: number;
}

/** The browser's IANA time zone, when it knows it ("Etc/Unknown" is what some report when they do not). */
export function browserTimeZone(): string | undefined {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return zone && zone !== 'Etc/Unknown' ? zone : undefined;
  } catch {
    return undefined;
  }
}

const ifMatch = (version: number | undefined): Record<string, string> => (version === undefined ? {} : { [API_HEADERS.ifMatch]: `"${version}"` });

/** The sentence to show for any failure: the API's own words for an ApiRequestError. */
export const userMessage = (err: unknown): string => (err instanceof ApiRequestError ? err.message : 'Something went wrong. Please try again.');

export const SESSION_ENDED = 'Your session has ended. Please log in again.';

export class ApiClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: ApiClientOptions) {
    this.fetchImpl = opts.fetch ?? ((...args) => globalThis.fetch(...args));
  }

  async request<T>(method: string, route: string, options: RequestOptions = {}): Promise<T> {
    const { auth = true } = options;
    const token = auth ? await this.opts.getToken() : null;
    let res = await this.send(method, route, options, token);
    if (res.status === 401 && auth) {
      // Renewed in the meantime (another tab, an expiry the timer missed): once more with the new token.
      const retry = await this.opts.onUnauthorized(token);
      if (retry) res = await this.send(method, route, options, retry);
      if (res.status === 401) {
        if (retry) await this.opts.onUnauthorized(retry);
        throw new ApiRequestError(401, SESSION_ENDED);
      }
    }
    return this.read<T>(res);
  }

  private async send(method: string, route: string, { body, query, csrf, keepalive, headers: extra }: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...extra };
    // No Content-Type without a body: the API rejects an empty body declared as JSON.
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    if (csrf) headers[API_HEADERS.csrf] = CSRF_HEADER_VALUE;
    const qs = query?.toString();
    const url = apiUrl(this.opts.baseUrl, route) + (qs ? `?${qs}` : '');
    try {
      const init: RequestInit = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
      if (keepalive) init.keepalive = true;
      return await this.fetchImpl(url, init);
    } catch {
      throw new ApiRequestError(0, 'Cannot reach the server. Check your connection and try again.');
    }
  }

  private async read<T>(res: Response): Promise<T> {
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (res.ok) {
      if (res.status === 204 || !text) return undefined as T;
      if (parsed === undefined) throw new ApiRequestError(res.status, 'The server sent a response this app cannot read.');
      return parsed as T;
    }
    throw new ApiRequestError(res.status, describeFailure(res.status, res.statusText, parsed), fieldOf(parsed));
  }

  /** Sign-up and log-in also store the browser's time zone as the user's. */
  signup(credentials: Credentials): Promise<Session> {
    return this.request('POST', API_ROUTES.signup, { body: { timeZone: browserTimeZone(), ...credentials }, auth: false });
  }
  login(credentials: Credentials): Promise<Session> {
    return this.request('POST', API_ROUTES.login, { body: { timeZone: browserTimeZone(), ...credentials }, auth: false });
  }
  /** Renews the session with the refresh cookie (rotated by the answer): a new access token. */
  refresh(): Promise<Session> {
    return this.request('POST', API_ROUTES.refresh, { auth: false, csrf: true });
  }
  /** Ends the refresh cookie's session, every token of it, and clears the cookie. */
  logout(): Promise<void> {
    return this.request('POST', API_ROUTES.sessionLogout, { auth: false, csrf: true });
  }
  me(): Promise<User> {
    return this.request('GET', API_ROUTES.me);
  }
  listTasks(query: TaskQuery): Promise<TaskPage> {
    return this.request('GET', API_ROUTES.tasks, { query: taskQueryToSearchParams(query) });
  }
  getTask(id: string): Promise<Task> {
    return this.request('GET', API_ROUTES.task(id));
  }
  /** `idempotencyKey`: made once per intended task and sent again on every retry of it (one task, however often it is sent). */
  createTask(task: TaskCreate, idempotencyKey?: string): Promise<Task> {
    return this.request('POST', API_ROUTES.tasks, { body: task, headers: idempotencyKey ? { [API_HEADERS.idempotencyKey]: idempotencyKey } : {} });
  }
  updateTask(id: string, update: TaskUpdate, { ifMatch: version }: MutationOptions = {}): Promise<Task> {
    return this.request('PATCH', API_ROUTES.task(id), { body: update, headers: ifMatch(version) });
  }
  deleteTask(id: string, { keepalive, ifMatch: version, scope }: MutationOptions & { scope?: DeleteScope } = {}): Promise<void> {
    const route = API_ROUTES.task(id) + (scope && scope !== 'occurrence' ? `?scope=${scope}` : '');
    return this.request('DELETE', route, { keepalive, headers: ifMatch(version) });
  }
  /** Reminders due now, or within `within` minutes, that no device acknowledged. */
  reminders(within = 0): Promise<ReminderList> {
    return this.request('GET', API_ROUTES.reminders, { query: new URLSearchParams({ within: String(within) }) });
  }
  acknowledgeReminders(items: ReminderAcknowledge['items']): Promise<{ acknowledged: number }> {
    return this.request('POST', API_ROUTES.remindersAcknowledge, { body: { items } });
  }
  settings(): Promise<Settings> {
    return this.request('GET', API_ROUTES.settings);
  }
  updateSettings(settings: Settings): Promise<Settings> {
    return this.request('PATCH', API_ROUTES.settings, { body: settings });
  }
}
