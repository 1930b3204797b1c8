import {
  LIMITS,
  PRIORITIES,
  SORT_ORDERS,
  TASK_SORT_FIELDS,
  TASK_STATUSES,
  type Priority,
  type SortOrder,
  type TaskQuery,
  type TaskSortField,
  type TaskStatus,
} from '@todo/contract';

/** The list view's state: every TaskQuery field, with the defaults filled in. */
export interface ListQuery {
  q: string;
  status: TaskStatus;
  priority: Priority | '';
  tag: string;
  dueFrom: string;
  dueTo: string;
  sort: TaskSortField;
  order: SortOrder;
  page: number;
  pageSize: number;
}

export const PAGE_SIZES = [10, 20, 50, 100] as const;

export const DEFAULT_QUERY: ListQuery = {
  q: '',
  status: 'all',
  priority: '',
  tag: '',
  dueFrom: '',
  dueTo: '',
  sort: 'createdAt',
  order: 'desc',
  page: 1,
  pageSize: LIMITS.pageSizeDefault,
};

/** The natural direction of each sort field, used when the user picks a new field. */
export const DEFAULT_ORDER: Record<TaskSortField, SortOrder> = { createdAt: 'desc', dueDate: 'asc', priority: 'asc', title: 'asc' };

const oneOf = <T extends string>(values: readonly T[], raw: string | null): T | undefined =>
  raw !== null && (values as readonly string[]).includes(raw) ? (raw as T) : undefined;

/** A real calendar date written YYYY-MM-DD (rejects 2026-02-30). */
export function isIsoDate(raw: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const tagRe = new RegExp(LIMITS.tagPattern);

function positiveInt(raw: string | null, max: number): number | undefined {
  if (raw === null || !/^\d{1,6}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1 && n <= max ? n : undefined;
}

/**
 * Reads the list state from the page's address (`?q=…&priority=high`), so that filters survive a
 * reload and the back button. Anything malformed falls back to its default instead of reaching the API.
 */
export function parseListQuery(search: string | URLSearchParams): ListQuery {
  const p = typeof search === 'string' ? new URLSearchParams(search) : search;
  const q = (p.get('q') ?? '').slice(0, LIMITS.searchMaxLength);
  const tag = (p.get('tag') ?? '').trim().toLowerCase();
  const dueFrom = p.get('dueFrom') ?? '';
  const dueTo = p.get('dueTo') ?? '';
  const sort = oneOf(TASK_SORT_FIELDS, p.get('sort')) ?? DEFAULT_QUERY.sort;
  return {
    q,
    status: oneOf(TASK_STATUSES, p.get('status')) ?? DEFAULT_QUERY.status,
    priority: oneOf(PRIORITIES, p.get('priority')) ?? '',
    tag: tag.length <= LIMITS.tagMaxLength && tagRe.test(tag) ? tag : '',
    dueFrom: isIsoDate(dueFrom) ? dueFrom : '',
    dueTo: isIsoDate(dueTo) ? dueTo : '',
    sort,
    order: oneOf(SORT_ORDERS, p.get('order')) ?? (p.has('sort') ? DEFAULT_ORDER[sort] : DEFAULT_QUERY.order),
    page: positiveInt(p.get('page'), 1_000_000) ?? 1,
    pageSize: positiveInt(p.get('pageSize'), LIMITS.pageSizeMax) ?? DEFAULT_QUERY.pageSize,
  };
}

/** The page address for a list state: only what differs from the defaults, in a stable order. */
export function listQueryToSearch(query: ListQuery): string {
  const p = new URLSearchParams();
  const q = query.q.trim();
  if (q) p.set('q', q);
  if (query.status !== DEFAULT_QUERY.status) p.set('status', query.status);
  if (query.priority) p.set('priority', query.priority);
  if (query.tag) p.set('tag', query.tag);
  if (query.dueFrom) p.set('dueFrom', query.dueFrom);
  if (query.dueTo) p.set('dueTo', query.dueTo);
  if (query.sort !== DEFAULT_QUERY.sort || query.order !== DEFAULT_QUERY.order) {
    p.set('sort', query.sort);
    p.set('order', query.order);
  }
  if (query.page !== 1) p.set('page', String(query.page));
  if (query.pageSize !== DEFAULT_QUERY.pageSize) p.set('pageSize', String(query.pageSize));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * The API request for a list state (GET /api/tasks). Sort, order, status and paging are always
 * explicit, so the result never depends on the backend's defaults; empty filters are left out.
 */
export function toTaskQuery(query: ListQuery): TaskQuery {
  const out: TaskQuery = { status: query.status, sort: query.sort, order: query.order, page: query.page, pageSize: query.pageSize };
  const q = query.q.trim();
  if (q) out.q = q;
  if (query.priority) out.priority = query.priority;
  if (query.tag) out.tag = query.tag;
  if (query.dueFrom) out.dueFrom = query.dueFrom;
  if (query.dueTo) out.dueTo = query.dueTo;
  return out;
}

export function taskQueryToSearchParams(query: TaskQuery): URLSearchParams {
  const p = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') p.set(key, String(value));
  }
  return p;
}

/** Whether any filter (not sorting or paging) is active: decides the wording of the empty list. */
export function hasFilters(query: ListQuery): boolean {
  return Boolean(query.q.trim() || query.status !== 'all' || query.priority || query.tag || query.dueFrom || query.dueTo);
}

/** How many filters behind the Filters control are set (search has its own box; sorting is not a filter). */
export function activeFilterCount(query: ListQuery): number {
  return [query.status !== 'all', query.priority, query.tag, query.dueFrom, query.dueTo].filter(Boolean).length;
}

/** Describes a problem with the due-date range, or null. */
export function dueRangeProblem(query: Pick<ListQuery, 'dueFrom' | 'dueTo'>): string | null {
  if (query.dueFrom && query.dueTo && query.dueFrom > query.dueTo) return '“Due from” is after “due to”: no task can match.';
  return null;
}

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}
