import { LIMITS, PRIORITIES, type Priority, type SortOrder, type TaskSortField, type TaskStatus } from '@todo/contract';
import { useEffect, useId, useState } from 'react';
import { DEFAULT_ORDER, DEFAULT_QUERY, dueRangeProblem, hasFilters, type ListQuery, PAGE_SIZES } from '../query';
import { PRIORITY_LABELS } from './TaskForm';

const SORT_LABELS: Record<TaskSortField, string> = { createdAt: 'Created', dueDate: 'Due date', priority: 'Priority', title: 'Title' };
const ORDER_LABELS: Record<TaskSortField, Record<SortOrder, string>> = {
  createdAt: { asc: 'Oldest first', desc: 'Newest first' },
  dueDate: { asc: 'Soonest first', desc: 'Latest first' },
  priority: { asc: 'High first', desc: 'Low first' },
  title: { asc: 'A to Z', desc: 'Z to A' },
};
const STATUS_LABELS: Record<TaskStatus, string> = { all: 'All', open: 'Open', completed: 'Completed' };

interface Props {
  query: ListQuery;
  /** Applies a change; filters reset the page to 1. */
  onChange(change: Partial<ListQuery>): void;
}

/** Search, filters, sorting and page size. Every control applies at once (search after a pause). */
export function Filters({ query, onChange }: Props) {
  const id = useId();
  const [q, setQ] = useState(query.q);
  const [tag, setTag] = useState(query.tag);

  // Follow outside changes (a tag clicked in the list, "clear filters", the back button).
  useEffect(() => setQ(query.q), [query.q]);
  useEffect(() => setTag(query.tag), [query.tag]);

  // Typing searches after a short pause instead of on every key.
  useEffect(() => {
    if (q === query.q) return;
    const t = setTimeout(() => onChange({ q, page: 1 }), 300);
    return () => clearTimeout(t);
  }, [q, query.q, onChange]);

  const applyTag = () => {
    const t = tag.trim().replace(/^#/, '').toLowerCase();
    if (t !== query.tag) onChange({ tag: t, page: 1 });
  };

  const problem = dueRangeProblem(query);
  // On a phone the filters start folded away (the search box stays); on wider screens, or when a
  // filter beyond the search is active, they start open.
  const [open, setOpen] = useState(
    () => (typeof window.matchMedia === 'function' && window.matchMedia('(min-width: 40rem)').matches) || (hasFilters({ ...query, q: '' })),
  );
  const tagValid = !tag.trim() || new RegExp(LIMITS.tagPattern).test(tag.trim().replace(/^#/, '').toLowerCase());

  return (
    <section className="filters card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} className="sr-only">
        Search and filter
      </h2>
      <form role="search" onSubmit={(e) => (e.preventDefault(), onChange({ q, page: 1 }), applyTag())}>
        <div className="field search-field">
          <label htmlFor={`${id}-q`}>Search</label>
          <input
            id={`${id}-q`}
            type="search"
            value={q}
            maxLength={LIMITS.searchMaxLength}
            placeholder="Title, description or tag"
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <details className="more-filters" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
          <summary>Filters and sorting{hasFilters({ ...query, q: '' }) ? ' (active)' : ''}</summary>
          <div className="filter-grid">
            <div className="field">
              <label htmlFor={`${id}-status`}>Status</label>
              <select id={`${id}-status`} value={query.status} onChange={(e) => onChange({ status: e.target.value as TaskStatus, page: 1 })}>
                {Object.entries(STATUS_LABELS).map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-priority`}>Priority</label>
              <select id={`${id}-priority`} value={query.priority} onChange={(e) => onChange({ priority: e.target.value as Priority | '', page: 1 })}>
                <option value="">Any</option>
                {PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {PRIORITY_LABELS[p]}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-tag`}>Tag</label>
              <input
                id={`${id}-tag`}
                value={tag}
                autoCapitalize="none"
                placeholder="any"
                aria-invalid={!tagValid}
                aria-describedby={tagValid ? undefined : `${id}-tag-error`}
                onChange={(e) => setTag(e.target.value)}
                onBlur={() => tagValid && applyTag()}
              />
              {!tagValid && (
                <p id={`${id}-tag-error`} className="error small">
                  Tags use letters, digits, “-” and “_”.
                </p>
              )}
            </div>
            <div className="field">
              <label htmlFor={`${id}-from`}>Due from</label>
              <input id={`${id}-from`} type="date" value={query.dueFrom} onChange={(e) => onChange({ dueFrom: e.target.value, page: 1 })} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-to`}>Due to</label>
              <input id={`${id}-to`} type="date" value={query.dueTo} onChange={(e) => onChange({ dueTo: e.target.value, page: 1 })} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-sort`}>Sort by</label>
              <select
                id={`${id}-sort`}
                value={query.sort}
                onChange={(e) => {
                  const sort = e.target.value as TaskSortField;
                  onChange({ sort, order: DEFAULT_ORDER[sort], page: 1 });
                }}
              >
                {Object.entries(SORT_LABELS).map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-order`}>Order</label>
              <select id={`${id}-order`} value={query.order} onChange={(e) => onChange({ order: e.target.value as SortOrder, page: 1 })}>
                <option value="asc">{ORDER_LABELS[query.sort].asc}</option>
                <option value="desc">{ORDER_LABELS[query.sort].desc}</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-size`}>Per page</label>
              <select id={`${id}-size`} value={query.pageSize} onChange={(e) => onChange({ pageSize: Number(e.target.value), page: 1 })}>
                {PAGE_SIZES.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </div>
            <div className="field filter-actions">
              <button
                type="button"
                disabled={!hasFilters(query) && q === ''}
                onClick={() => {
                  setQ('');
                  setTag('');
                  onChange({ ...DEFAULT_QUERY, sort: query.sort, order: query.order, pageSize: query.pageSize });
                }}
              >
                Clear filters
              </button>
            </div>
          </div>
        </details>
      </form>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
