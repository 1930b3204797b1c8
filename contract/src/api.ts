/**
 * The REST API's shapes, shared by the backend (which validates against them) and the frontend
 * (which calls them). All routes are below `BACKEND.apiPrefix` (`/api`).
 *
 * Authentication: `POST /api/auth/signup` and `POST /api/auth/login` start a session: they return a
 * `Session` (a short-lived access token) and set the session's refresh cookie (`SESSION_COOKIE`).
 * Every other route except the OpenAPI document and the two cookie routes needs
 * `Authorization: Bearer <access token>`. `POST /api/auth/session/refresh` (cookie) rotates the
 * refresh cookie and returns a new `Session`; `POST /api/auth/session/logout` (cookie) and
 * `POST /api/auth/logout` (bearer) end the whole session. Errors use Fastify's shape: `ApiError`.
 */
/**
 * Request headers of the write routes (see TaskCreate and Task.version), and the header the cookie
 * routes require (`csrf`, with the value `CSRF_HEADER_VALUE`): a cross-site page cannot send it
 * without a CORS preflight, which the API never grants.
 */
export const API_HEADERS = { idempotencyKey: 'Idempotency-Key', ifMatch: 'If-Match', etag: 'ETag', csrf: 'X-Requested-With' } as const;
export const CSRF_HEADER_VALUE = 'fetch';

export const API_ROUTES = {
  signup: '/api/auth/signup',
  login: '/api/auth/login',
  /** Bearer: ends the session the access token belongs to (every token of it). */
  logout: '/api/auth/logout',
  /** Cookie: rotates the refresh cookie, returns a new access token. */
  refresh: '/api/auth/session/refresh',
  /** Cookie: ends the session the refresh cookie belongs to. */
  sessionLogout: '/api/auth/session/logout',
  me: '/api/auth/me',
  tasks: '/api/tasks',
  task: (id: string) => `/api/tasks/${encodeURIComponent(id)}`,
  /** Reminders that are due (or due within `within` minutes) and not acknowledged. */
  reminders: '/api/reminders',
  remindersAcknowledge: '/api/reminders/acknowledge',
  /** The user's settings: the IANA time zone recurring tasks and reminders are computed in. */
  settings: '/api/settings',
} as const;

export const PRIORITIES = ['high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TASK_STATUSES = ['all', 'open', 'completed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TASK_SORT_FIELDS = ['createdAt', 'dueDate', 'priority', 'title'] as const;
export type TaskSortField = (typeof TASK_SORT_FIELDS)[number];

export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** How often a recurring task repeats (every `interval` days, weeks or months). */
export const FREQUENCIES = ['daily', 'weekly', 'monthly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** `DELETE /api/tasks/:id?scope=…`: this occurrence only (the default), or every occurrence of its series. */
export const DELETE_SCOPES = ['occurrence', 'series'] as const;
export type DeleteScope = (typeof DELETE_SCOPES)[number];

/** Input limits, enforced by the backend's schemas and mirrored by the frontend's forms. */
export const LIMITS = {
  emailMaxLength: 254,
  passwordMinLength: 8,
  passwordMaxLength: 256,
  titleMaxLength: 200,
  descriptionMaxLength: 5000,
  tagsMaxCount: 20,
  tagMaxLength: 40,
  /** Tags are lower-case words: letters, digits, '-' and '_'. */
  tagPattern: '^[a-z0-9][a-z0-9_-]*$',
  searchMaxLength: 200,
  pageSizeDefault: 20,
  pageSizeMax: 100,
  /** Request bodies larger than this get 413. */
  bodyLimitBytes: 64 * 1024,
  /** A recurring task repeats every 1 to this many days, weeks or months. */
  recurrenceIntervalMax: 365,
  /** "After N times": at most this many occurrences. */
  recurrenceCountMax: 1000,
  /** IANA time zone names ("America/Argentina/ComodRivadavia" is the longest, 32). */
  timeZoneMaxLength: 64,
  /** IANA time zone names: letters, digits and `/ _ + -`. */
  timeZonePattern: '^[A-Za-z][A-Za-z0-9_+/-]*$',
  /** `GET /api/reminders` lists at most this many, oldest first. */
  remindersMax: 100,
  /** … that come due within at most this many minutes from now. */
  remindersWithinMaxMinutes: 1440,
} as const;

export interface User {
  id: string;
  email: string;
  createdAt: string;
}

export interface Credentials {
  email: string;
  password: string;
  /**
   * The browser's IANA time zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`): stored as the
   * user's zone at sign-up and at every log-in (see Settings).
   */
  timeZone?: string;
}

/** `GET` / `PATCH /api/settings`. */
export interface Settings {
  /** IANA name, e.g. `Europe/Berlin`: recurring tasks and their reminders keep their local time in it. */
  timeZone: string;
}

/**
 * How a task repeats. Occurrences fall on the dates of a schedule that starts at the task's due date:
 * `daily` every `interval` days; `weekly` every `interval` weeks on `weekdays` (ISO: 1 = Monday …
 * 7 = Sunday; empty means the due date's weekday); `monthly` every `interval` months on the due
 * date's day of the month (the 31st falls on the last day of shorter months). The series ends after
 * the date `until` or after `count` occurrences, whichever comes first (both null: never).
 */
export interface Recurrence {
  frequency: Frequency;
  interval: number;
  weekdays: number[];
  until: string | null;
  count: number | null;
}

/** A recurrence as sent: `interval` defaults to 1, `weekdays` to [], `until` and `count` to null. */
export type RecurrenceInput = Pick<Recurrence, 'frequency'> & Partial<Omit<Recurrence, 'frequency'>>;

/**
 * The refresh cookie: `HttpOnly` (no script reads it), `SameSite=Strict`, `Path` limited to the two
 * cookie routes, `Secure` (named with the `__Secure-` prefix then; `SESSION_COOKIE_SECURE=auto`
 * leaves it off for plain HTTP, under `insecureName`). Its value is
 * opaque; it changes at every refresh, and a value used twice ends the session.
 */
export const SESSION_COOKIE = { name: '__Secure-todo_session', insecureName: 'todo_session', path: '/api/auth/session' } as const;

/** What log-in, sign-up and refresh return; the refresh cookie comes with it. */
export interface Session {
  /** The access token, for `Authorization: Bearer`; short-lived (ACCESS_TOKEN_TTL_SECONDS). */
  token: string;
  /** ISO 8601 instant the access token expires: renew before it with the refresh route. */
  expiresAt: string;
  user: User;
}

export interface Task {
  id: string;
  title: string;
  description: string;
  priority: Priority;
  tags: string[];
  /** Calendar date `YYYY-MM-DD`, or null. */
  dueDate: string | null;
  completed: boolean;
  completedAt: string | null;
  createdAt: string;
  /** Never goes backwards: a later change of the task has a later or equal time. */
  updatedAt: string;
  /**
   * Raised by every change. `GET /api/tasks/:id` and every write answer with `ETag: "<version>"`;
   * `PATCH` and `DELETE` with `If-Match: "<version>"` apply only to that version (else 412).
   */
  version: number;
  /** How the task repeats (with the time zone its series is computed in), or null. */
  recurrence: (Recurrence & { timeZone: string }) | null;
  /** The series this task is an occurrence of, and its number in it (1, 2, …); null when not recurring. */
  seriesId: string | null;
  occurrence: number | null;
  /** ISO 8601 instant of the task's reminder, or null. */
  remindAt: string | null;
}

/**
 * `POST /api/tasks`: only `title` is required (priority defaults to medium, tags to [], dueDate to null).
 * With an `Idempotency-Key` header (any 1-255 visible ASCII characters, e.g. a UUID made per intended
 * task) the task is created at most once: a repeat within 24 hours with the same body gets the same
 * task and status (header `Idempotent-Replayed: true`), one with another body gets 422.
 */
export interface TaskCreate {
  title: string;
  description?: string;
  priority?: Priority;
  tags?: string[];
  dueDate?: string | null;
  /** A recurring task always has a due date: without one it gets the first date of its schedule from today. */
  recurrence?: RecurrenceInput | null;
  /** An ISO 8601 instant with an offset (`2026-03-30T07:00:00Z`), or null. */
  remindAt?: string | null;
}

/** `PATCH /api/tasks/:id`: any subset; `{ completed: true }` marks a task complete. */
export type TaskUpdate = Partial<TaskCreate & { completed: boolean }>;

/** Query parameters of `GET /api/tasks`. */
export interface TaskQuery {
  /** Keyword search in title, description and tags (case-insensitive). */
  q?: string;
  status?: TaskStatus;
  priority?: Priority;
  tag?: string;
  /** Due on or after this date (YYYY-MM-DD). */
  dueFrom?: string;
  /** Due on or before this date (YYYY-MM-DD). */
  dueTo?: string;
  sort?: TaskSortField;
  order?: SortOrder;
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

export interface TaskPage {
  items: Task[];
  total: number;
  page: number;
  pageSize: number;
}

/** `GET /api/reminders?within=<minutes>`: the server's clock, and the open tasks whose reminder is due by then. */
export interface ReminderList {
  now: string;
  items: Task[];
}

/**
 * `POST /api/reminders/acknowledge`: marks reminders as seen, on every device. Each names the
 * `remindAt` it acknowledges, so a reminder moved meanwhile (another device) is not dismissed.
 */
export interface ReminderAcknowledge {
  items: { taskId: string; remindAt: string }[];
}

export interface ApiError {
  statusCode: number;
  error: string;
  message: string;
}
