import { LIMITS, PRIORITIES, type Priority, type SortOrder, type TaskSortField, type TaskStatus } from '@todo/contract';
import { type KeyboardEvent, useEffect, useId, useState } from 'react';
import { activeFilterCount, DEFAULT_ORDER, DEFAULT_QUERY, dueRangeProblem, type ListQuery, PAGE_SIZES } from '../query';
import { PRIORITY_LABELS } from './TaskForm';

const SORT_LABELS: Record<TaskSortField, string> = { createdAt: 'Created', dueDate: 'Due date', priority: 'Priority', title: 'Title' };
const ORDER_LABELS: Record<TaskSortField, Record<SortOrder, string>> = {
  createdAt: { asc: 'Oldest first', desc: 'Newest first' },
  dueDate: { asc: 'Soonest first', desc: 'Latest first' },
  priority: { asc: 'High first', desc: 'Low first' },
  title: { asc: 'A to Z', desc: 'Z to A' },
};
const STATUS_LABELS: Record<TaskStatus, string> = { all: 'All', open: 'Open', completed: 'Completed' };

const tagRe = new RegExp(LIMITS.tagPattern);
const normaliseTag = (raw: string) => raw.trim().replace(/^#/, '').toLowerCase();

interface Props {
  query: ListQuery;
  /** Applies a change; filters reset the page to 1. */
  onChange(change: Partial<ListQuery>): void;
}

/**
 * The search box, always visible, and a Filters control that shows how many filters are set and
 * opens the filters, sorting and page size. Selects and dates apply at once, the search after a
 * pause or on Enter, the tag on Enter or on leaving the field.
 */
export function Filters({ query, onChange }: Props) {
  const id = useId();
  const [q, setQ] = useState(query.q);
  const [tag, setTag] = useState(query.tag);
  const [open, setOpen] = useState(false);

  // Follow outside changes (a tag clicked in the list, "clear filters", the back button).
  useEffect(() => setQ(query.q), [query.q]);
  useEffect(() => setTag(query.tag), [query.tag]);

  // Typing searches after a short pause instead of on every key.
  useEffect(() => {
    if (q === query.q) return;
    const t = setTimeout(() => onChange({ q, page: 1 }), 300);
    return () => clearTimeout(t);
  }, [q, query.q, onChange]);

  const tagValid = !tag.trim() || tagRe.test(normaliseTag(tag));
  const applyTag = () => {
    const t = normaliseTag(tag);
    if (tagValid && t !== query.tag) onChange({ tag: t, page: 1 });
  };
  const onEnter = (apply: () => void) => (e: KeyboardEvent) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    apply();
  };

  const problem = dueRangeProblem(query);
  const count = activeFilterCount(query);

  return (
    <section className="filters" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} className="sr-only">
        Search and filter
      </h2>
      <form role="search" aria-label="Tasks" onSubmit={(e) => (e.preventDefault(), onChange({ q, page: 1 }), applyTag())}>
        <div className="toolbar-row">
          <label htmlFor={`${id}-q`} className="sr-only">
            Search
          </label>
          <input
            id={`${id}-q`}
            type="search"
            value={q}
            maxLength={LIMITS.searchMaxLength}
            placeholder="Search title, description or tag"
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={onEnter(() => q !== query.q && onChange({ q, page: 1 }))}
          />
          <button type="button" className="filters-toggle" aria-expanded={open} aria-controls={`${id}-panel`} onClick={() => setOpen((o) => !o)}>
            Filters
            {count > 0 && (
              <span className="count-badge">
                {count}
                <span className="sr-only"> active</span>
              </span>
            )}
          </button>
        </div>
        <div id={`${id}-panel`} className="filter-grid" hidden={!open}>
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
              autoComplete="off"
              placeholder="any"
              aria-invalid={!tagValid}
              aria-describedby={tagValid ? undefined : `${id}-tag-error`}
              onChange={(e) => setTag(e.target.value)}
              onKeyDown={onEnter(applyTag)}
              onBlur={applyTag}
            />
            {!tagValid && (
              <p id={`${id}-tag-error`} className="field-error">
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
      </form>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
