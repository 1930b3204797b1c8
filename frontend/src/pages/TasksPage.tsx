import type { DeleteScope, Session, Task, TaskUpdate } from '@todo/contract';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { type ApiClient, browserTimeZone, userMessage } from '../api';
import { BulkBar } from '../components/BulkBar';
import { Filters } from '../components/Filters';
import { Reminders } from '../components/Reminders';
import { TaskForm } from '../components/TaskForm';
import { TaskItem } from '../components/TaskItem';
import { TimeZoneSetting } from '../components/TimeZoneSetting';
import { Toasts } from '../components/Toasts';
import { currentLocale, todayIso } from '../dates';
import { NEW_TASK_DRAFT } from '../drafts';
import { hasFilters, type ListQuery, listQueryToSearch, pageCount, parseListQuery } from '../query';
import { hasNavigated, navigate } from '../router';
import type { ViewTask } from '../tasks/changes';
import { TasksContext, type TasksSettings } from '../tasks/context';
import { useNotificationPermission, useReminders } from '../tasks/useReminders';
import { type TaskValues, useTaskList } from '../tasks/useTaskList';
import { preloadZone } from '../tasks/zone';

interface Props {
  api: ApiClient;
  session: Session;
  /** The page address's query string: the list state lives there. */
  search: string;
  onLogout(): void;
}

const plural = (n: number) => (n === 1 ? '1 task' : `${n} tasks`);

/** Whether a key press should be left to the field it happened in (text editing has its own undo). */
const inEditableField = (el: Element | null) =>
  el instanceof HTMLElement && (el.isContentEditable || el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'button'].includes((el as HTMLInputElement).type)));

/** The first control of a row: its checkbox, else its first button. */
const rowControl = (li: Element | null) => li?.querySelector<HTMLElement>('input.check:not(:disabled), button:not(:disabled)') ?? null;

export function TasksPage({ api, session, search, onLogout }: Props) {
  const query = useMemo(() => parseListQuery(search), [search]);
  const [status, setStatus] = useState('');
  const [statusSeq, setStatusSeq] = useState(0);
  const [selecting, setSelecting] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const heading = useRef<HTMLHeadingElement>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const queryRef = useRef(query);
  queryRef.current = query;
  const locale = useMemo(() => currentLocale(), []);
  const today = todayIso();
  // The user's stored zone (log-in stored the browser's); until it is loaded, the browser's.
  const [timeZone, setTimeZone] = useState(() => browserTimeZone() ?? 'UTC');
  const [notifications, requestNotifications] = useNotificationPermission();
  const settings: TasksSettings = useMemo(() => ({ timeZone, notifications, requestNotifications }), [timeZone, notifications, requestNotifications]);
  useEffect(() => {
    api.settings().then(
      (s) => setTimeZone(s.timeZone),
      () => {},
    );
  }, [api]);

  const announce = useCallback((msg: string) => {
    setStatus(msg);
    setStatusSeq((n) => n + 1);
  }, []);

  useEffect(() => {
    const timer = preloadZone();
    return () => clearTimeout(timer);
  }, []);
  useEffect(() => {
    document.title = 'Tasks · Todo';
    if (hasNavigated()) heading.current?.focus();
  }, []);

  const setQuery = useCallback((change: Partial<ListQuery>) => {
    const next = { ...queryRef.current, ...change };
    navigate(`/tasks${listQueryToSearch(next)}`, { replace: true });
  }, []);

  const list = useTaskList(api, query, setQuery, announce, { locale, timeZone });
  const { items } = list;
  const reminders = useReminders(api, list.page, announce);

  // ---- focus stays in the list when rows go away -------------------------------------------
  // A row that held focus and left the list (deleted, completed under "Open", moved by a reload)
  // hands focus to the row now in its place, without scrolling: the page never jumps to the top.
  const lastFocus = useRef<{ id: string; index: number } | null>(null);
  const [focusRequest, setFocusRequest] = useState<string | null>(null);
  const onListFocus = (e: React.FocusEvent) => {
    const li = (e.target as Element).closest('li[data-task-id]');
    const id = li?.getAttribute('data-task-id');
    if (id) lastFocus.current = { id, index: items.findIndex((t) => t.id === id) };
  };
  useLayoutEffect(() => {
    const last = lastFocus.current;
    const active = document.activeElement;
    if (!last || items.some((t) => t.id === last.id)) return;
    if (active && active !== document.body && document.contains(active)) return;
    lastFocus.current = null;
    const rows = listRef.current?.querySelectorAll(':scope > li') ?? [];
    const target = rows.length ? rowControl(rows[Math.min(last.index, rows.length - 1)]!) : listHeading.current;
    target?.focus({ preventScroll: true });
  }, [items]);
  useEffect(() => {
    if (!focusRequest) return;
    const li = listRef.current?.querySelector(`:scope > li[data-task-id="${CSS.escape(focusRequest)}"]`);
    if (!li) return;
    rowControl(li)?.focus();
    setFocusRequest(null);
  }, [items, focusRequest]);

  // ---- actions (stable, so that unchanged rows do not re-render) -----------------------------
  const latest = useRef(list);
  latest.current = list;

  const create = useCallback(
    async (values: TaskValues, _draft: unknown, idempotencyKey: string) => {
      await latest.current.create(values, idempotencyKey);
      announce(`Added “${values.title}”.`);
    },
    [announce],
  );
  const toggle = useCallback(
    async (task: Task) => {
      const completed = !task.completed;
      await latest.current.update(task, { completed });
      const repeats = completed && task.seriesId ? ' It repeats: the next one is in the list.' : '';
      announce(completed ? `Marked “${task.title}” as done.${repeats}` : `Marked “${task.title}” as not done.`);
    },
    [announce],
  );
  const save = useCallback(
    async (task: Task, patch: TaskUpdate) => {
      await latest.current.update(task, patch);
      announce(`Saved “${patch.title ?? task.title}”.`);
    },
    [announce],
  );
  const remove = useCallback((task: Task, scope: DeleteScope) => latest.current.remove([task], scope), []);
  /** "Done" on a reminder: the task is completed (the list's copy, the newest) and the reminder seen. */
  const reminderDone = useCallback(
    (task: Task) => {
      const current = latest.current.items.find((t) => t.id === task.id) ?? task;
      void reminders.dismiss([task]);
      latest.current.update(current, { completed: true }).then(
        () => announce(`Marked “${task.title}” as done.`),
        (err: unknown) => announce(userMessage(err)),
      );
    },
    [announce, reminders],
  );
  const saveTimeZone = useCallback(
    async (zone: string) => {
      const saved = await api.updateSettings({ timeZone: zone });
      setTimeZone(saved.timeZone);
      announce(`Times are now in ${saved.timeZone}.`);
    },
    [api, announce],
  );
  const undo = useCallback(() => {
    const restored = latest.current.undo();
    if (restored[0]) setFocusRequest(restored[0].id);
  }, []);
  const onTagClick = useCallback((tag: string) => setQuery({ tag, page: 1 }), [setQuery]);
  const onSelect = useCallback((task: Task, on: boolean) => {
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(task.id);
      else next.delete(task.id);
      return next;
    });
  }, []);

  // Ctrl+Z (⌘Z) outside text fields undoes a delete, for keyboard users far from the message.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key.toLowerCase() !== 'z' || !(e.ctrlKey || e.metaKey) || e.shiftKey || e.altKey) return;
      if (!latest.current.held || inEditableField(document.activeElement)) return;
      e.preventDefault();
      undo();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo]);

  // ---- selection ----------------------------------------------------------------------------
  // Only tasks on screen stay selected (a new page or filter drops the others).
  useEffect(() => {
    setSelected((s) => {
      const visible = new Set(items.filter((t) => !t.local).map((t) => t.id));
      const kept = [...s].filter((id) => visible.has(id));
      return kept.length === s.size ? s : new Set(kept);
    });
  }, [items]);
  const selectedTasks = items.filter((t) => selected.has(t.id));
  const endSelection = useCallback(() => {
    setSelecting(false);
    setSelected(new Set());
  }, []);

  const bulkComplete = async (completed: boolean) => {
    const tasks = selectedTasks.filter((t) => t.completed !== completed);
    if (!tasks.length) {
      announce(completed ? 'The selected tasks are already done.' : 'The selected tasks are already open.');
      return;
    }
    const failed = await list.bulkUpdate(tasks, { completed }, completed ? 'Marking done' : 'Marking not done', (n) =>
      completed ? `Marked ${plural(n)} as done.` : `Marked ${plural(n)} as not done.`,
    );
    // The ones that failed stay selected, ready to try again.
    setSelected(new Set(failed));
  };
  const bulkDelete = () => {
    list.remove(selectedTasks);
    setSelected(new Set());
  };

  const logout = async () => {
    await list.flush();
    onLogout();
  };

  const pages = list.page ? pageCount(list.page.total, list.page.pageSize) : 1;
  const filtered = hasFilters(query);

  return (
    <TasksContext.Provider value={settings}>
      <div className="app">
        <a
          className="skip-link"
          href="#tasks"
          onClick={(e) => {
            e.preventDefault();
            // Straight to the list: the next Tab reaches the first task.
            (listRef.current ?? listHeading.current)?.focus();
          }}
        >
          Skip to tasks
        </a>
        <header className="topbar">
          <p className="brand">
            <span className="logo" aria-hidden="true">
              ✓
            </span>{' '}
            Todo
          </p>
          <div className="account">
            <TimeZoneSetting timeZone={timeZone} onSave={saveTimeZone} />
            <span className="email" title={session.user.email}>
              {session.user.email}
            </span>
            <button type="button" onClick={logout}>
              Log out
            </button>
          </div>
        </header>
        <main className="page">
          <h1 ref={heading} tabIndex={-1} className="page-title">
            Tasks
          </h1>
          <section className="card add-bar" aria-labelledby="new-task-heading">
            <h2 id="new-task-heading" className="sr-only">
              New task
            </h2>
            <TaskForm compact submitLabel="Add task" onSubmit={create} draftName={NEW_TASK_DRAFT} />
          </section>

          <Reminders due={reminders.due} error={reminders.error} locale={locale} onDone={reminderDone} onDismiss={reminders.dismiss} />

          <Filters query={query} onChange={setQuery} />

          <section aria-labelledby="list-heading" aria-busy={list.loading} id="tasks">
            <div className="list-header">
              <h2 id="list-heading" ref={listHeading} tabIndex={-1}>
                {filtered ? 'Matching tasks' : 'All tasks'}
              </h2>
              {list.page && <p className="count">{plural(list.total)}</p>}
              {!selecting && items.length > 0 && (
                <button type="button" className="ghost select-toggle" onClick={() => setSelecting(true)}>
                  Select
                </button>
              )}
            </div>
            {selecting && (
              <BulkBar
                items={items}
                selected={selectedTasks}
                busy={Boolean(list.activity && !list.activity.finished)}
                onSelectAll={(on) => setSelected(new Set(on ? items.filter((t) => !t.local).map((t) => t.id) : []))}
                onComplete={bulkComplete}
                onDelete={bulkDelete}
                onDone={endSelection}
              />
            )}
            {list.error && (
              <div className="error" role="alert">
                <p>{list.error}</p>
                <button type="button" onClick={list.refresh}>
                  Try again
                </button>
              </div>
            )}
            {list.page && items.length === 0 && !list.error && !list.loading && (
              <p className="empty">{filtered ? 'No tasks match these filters.' : 'No tasks yet. Add your first one above.'}</p>
            )}
            {items.length > 0 && (
              <ul className="task-list" ref={listRef} tabIndex={-1} aria-labelledby="list-heading" onFocus={onListFocus}>
                {items.map((t: ViewTask) => (
                  <TaskItem
                    key={t.id}
                    task={t}
                    selecting={selecting}
                    selected={selected.has(t.id)}
                    onSelect={onSelect}
                    onToggle={toggle}
                    onSave={save}
                    onDelete={remove}
                    onTagClick={onTagClick}
                    today={today}
                    locale={locale}
                  />
                ))}
              </ul>
            )}
            {list.page && pages > 1 && (
              <nav className="pagination" aria-label="Pages">
                <button type="button" aria-disabled={query.page <= 1} onClick={() => query.page > 1 && setQuery({ page: query.page - 1 })}>
                  ← Previous
                </button>
                <span>
                  Page {query.page} of {pages}
                </span>
                <button type="button" aria-disabled={query.page >= pages} onClick={() => query.page < pages && setQuery({ page: query.page + 1 })}>
                  Next →
                </button>
              </nav>
            )}
          </section>
        </main>
        <Toasts
          status={status}
          statusSeq={statusSeq}
          held={list.held}
          onUndo={undo}
          onPause={list.pauseUndo}
          onResume={list.resumeUndo}
          activity={list.activity}
          onDismiss={list.dismissActivity}
        />
      </div>
    </TasksContext.Provider>
  );
}
