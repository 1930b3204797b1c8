import type { Session, Task, TaskCreate, TaskPage } from '@todo/contract';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type ApiClient, ApiRequestError } from '../api';
import { Filters } from '../components/Filters';
import { TaskForm } from '../components/TaskForm';
import { TaskItem } from '../components/TaskItem';
import { dueRangeProblem, hasFilters, type ListQuery, listQueryToSearch, pageCount, parseListQuery, toTaskQuery } from '../query';
import { navigate } from '../router';

interface Props {
  api: ApiClient;
  session: Session;
  /** The page address's query string: the list state lives there. */
  search: string;
  onLogout(): void;
}

export function TasksPage({ api, session, search, onLogout }: Props) {
  const query = useMemo(() => parseListQuery(search), [search]);
  const [page, setPage] = useState<TaskPage | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [reload, setReload] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const queryRef = useRef(query);
  queryRef.current = query;

  useEffect(() => {
    document.title = 'Tasks · Todo';
    heading.current?.focus();
  }, []);

  const setQuery = useCallback((change: Partial<ListQuery>) => {
    const next = { ...queryRef.current, ...change };
    navigate(`/tasks${listQueryToSearch(next)}`, { replace: true });
  }, []);

  useEffect(() => {
    if (dueRangeProblem(query)) {
      setPage({ items: [], total: 0, page: 1, pageSize: query.pageSize });
      setLoading(false);
      return;
    }
    let stale = false;
    setLoading(true);
    api.listTasks(toTaskQuery(query)).then(
      (result) => {
        if (stale) return;
        // The last task of the last page went away: show the new last page.
        if (result.items.length === 0 && result.total > 0 && query.page > 1) {
          setQuery({ page: pageCount(result.total, query.pageSize) });
          return;
        }
        setPage(result);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (stale) return;
        setError(err instanceof ApiRequestError ? err.message : 'The tasks could not be loaded.');
        setLoading(false);
      },
    );
    return () => {
      stale = true;
    };
  }, [api, query, reload, setQuery]);

  // The confirmation line fades out after a while, so an old message is not mistaken for a new one.
  useEffect(() => {
    if (!status) return;
    const t = setTimeout(() => setStatus(''), 8000);
    return () => clearTimeout(t);
  }, [status]);

  const refresh = () => setReload((n) => n + 1);

  async function create(values: Required<TaskCreate>) {
    await api.createTask(values);
    setStatus(`Added “${values.title}”.`);
    refresh();
  }
  async function toggle(task: Task) {
    await api.updateTask(task.id, { completed: !task.completed });
    setStatus(task.completed ? `Marked “${task.title}” as not done.` : `Marked “${task.title}” as done.`);
    refresh();
  }
  async function save(task: Task, values: Required<TaskCreate>) {
    await api.updateTask(task.id, values);
    setStatus(`Saved “${values.title}”.`);
    refresh();
  }
  async function remove(task: Task) {
    await api.deleteTask(task.id);
    setStatus(`Deleted “${task.title}”.`);
    heading.current?.focus();
    refresh();
  }

  const pages = page ? pageCount(page.total, page.pageSize) : 1;
  const filtered = hasFilters(query);

  return (
    <div className="app">
      <header className="topbar">
        <p className="brand">
          <span className="logo" aria-hidden="true">
            ✓
          </span>{' '}
          Todo
        </p>
        <div className="account">
          <span className="email" title={session.user.email}>
            {session.user.email}
          </span>
          <button type="button" onClick={onLogout}>
            Log out
          </button>
        </div>
      </header>
      <main className="page">
        <h1 ref={heading} tabIndex={-1}>
          Tasks
        </h1>
        <p className="status" role="status" aria-live="polite">
          {status}
        </p>
        <section className="card new-task" aria-labelledby="new-task-heading">
          <h2 id="new-task-heading">New task</h2>
          <TaskForm submitLabel="Add task" onSubmit={create} />
        </section>

        <Filters query={query} onChange={setQuery} />

        <section aria-labelledby="list-heading" aria-busy={loading}>
          <div className="list-header">
            <h2 id="list-heading">{filtered ? 'Matching tasks' : 'All tasks'}</h2>
            {page && (
              <p className="count" aria-live="polite">
                {page.total === 1 ? '1 task' : `${page.total} tasks`}
              </p>
            )}
          </div>
          {error && (
            <div className="error" role="alert">
              <p>{error}</p>
              <button type="button" onClick={refresh}>
                Try again
              </button>
            </div>
          )}
          {page && page.items.length === 0 && !error && !loading && (
            <p className="empty">{filtered ? 'No tasks match these filters.' : 'No tasks yet. Add your first one above.'}</p>
          )}
          {page && page.items.length > 0 && (
            <ul className="task-list">
              {page.items.map((t) => (
                <TaskItem key={t.id} task={t} onToggle={toggle} onSave={save} onDelete={remove} onTagClick={(tag) => setQuery({ tag, page: 1 })} />
              ))}
            </ul>
          )}
          {page && pages > 1 && (
            <nav className="pagination" aria-label="Pages">
              <button type="button" disabled={query.page <= 1} onClick={() => setQuery({ page: query.page - 1 })}>
                ← Previous
              </button>
              <span>
                Page {query.page} of {pages}
              </span>
              <button type="button" disabled={query.page >= pages} onClick={() => setQuery({ page: query.page + 1 })}>
                Next →
              </button>
            </nav>
          )}
        </section>
      </main>
    </div>
  );
}
