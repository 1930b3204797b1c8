import type { DeleteScope, Task, TaskCreate, TaskPage, TaskUpdate } from '@todo/contract';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type ApiClient, ApiRequestError, userMessage as errorMessage } from '../api';
import { dueRangeProblem, type ListQuery, pageCount, toTaskQuery } from '../query';
import { adjustedTotal, applyChanges, type Change, describeTaskChanges, dropConfirmed, type NewChange, patchTask, runEach, type ViewTask } from './changes';

/** The values of a new task, every field given (the forms fill in the defaults). */
export type TaskValues = Required<TaskCreate>;

/**
 * A change refused with 412: the task changed elsewhere since the user saw it. `current` is the
 * server's copy now (null: deleted), `changes` says what differs, in words; nothing was overwritten.
 */
export class ConflictError extends ApiRequestError {
  constructor(
    readonly current: Task | null,
    readonly changes: string[],
    title: string,
  ) {
    super(412, `“${title}” was changed elsewhere meanwhile: ${changes.join(', ')}. Nothing was overwritten: your change was not saved.`);
    this.name = 'ConflictError';
  }
}

/** How long a delete can be undone before it is sent. */
export const UNDO_MS = 6000;

/** A bulk action or a batch of deletes going out: its progress, then the tasks that failed. */
export interface Activity {
  /** "Marking done", "Deleting", …: what is happening, for the progress line. */
  label: string;
  done: number;
  total: number;
  failures: { id: string; title: string; message: string }[];
  finished: boolean;
}

/** Deletes waiting out the undo window. */
export interface HeldDeletes {
  tasks: Task[];
  /** `series`: every occurrence of a recurring task's series. */
  scope: DeleteScope;
}


/** A held delete: its change, the task, and the changes that hide the other occurrences a series delete takes. */
interface HeldItem {
  key: number;
  task: Task;
  others: number[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The task list of one page of results and everything that changes it: loading (with the list
 * state from the address), optimistic creates, edits and completion with rollback, deletes held
 * for an undo window (sent when it ends, or at once when the page is hidden), and bulk actions
 * sent one request per task with progress. Changes to one task go out one after another, in the
 * order they were made.
 */
export function useTaskList(
  api: ApiClient,
  query: ListQuery,
  setQuery: (change: Partial<ListQuery>) => void,
  announce: (msg: string) => void,
  describe: { locale: string; timeZone: string },
) {
  const [page, setPage] = useState<TaskPage | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [changes, setChanges] = useState<Change[]>([]);
  const [held, setHeld] = useState<HeldDeletes | null>(null);
  const [activity, setActivity] = useState<Activity | null>(null);
  /** Counts confirmations; a list load remembers the count at its start (see dropConfirmed). */
  const settled = useRef(0);
  const nextKey = useRef(1);
  const queues = useRef(new Map<string, Promise<unknown>>());
  const heldRef = useRef<{ items: HeldItem[]; scope: DeleteScope; timer: ReturnType<typeof setTimeout> | null; deadline: number; remaining: number } | null>(null);
  /**
   * Our own confirmed changes, per task: a change sent as version `from` left it at `to`. A change
   * queued behind another of ours was made on the version the user saw then; it goes out with
   * If-Match of the version our earlier change produced, never of one another device made.
   */
  const ownVersions = useRef(new Map<string, Map<number, number>>());
  const describeRef = useRef(describe);
  describeRef.current = describe;

  const refresh = useCallback(() => setReload((n) => n + 1), []);

  useEffect(() => {
    if (dueRangeProblem(query)) {
      setPage({ items: [], total: 0, page: 1, pageSize: query.pageSize });
      setLoading(false);
      return;
    }
    let stale = false;
    const startedAt = settled.current;
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
        setChanges((cs) => dropConfirmed(cs, startedAt));
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

  const begin = (change: NewChange): number => {
    const key = nextKey.current++;
    setChanges((cs) => [...cs, { ...change, key } as Change]);
    return key;
  };
  const confirm = (key: number, replace?: Partial<Change>) => {
    const at = ++settled.current;
    setChanges((cs) => cs.map((c) => (c.key === key ? ({ ...c, ...replace, settledAt: at } as Change) : c)));
    refresh();
  };
  const rollback = (key: number) => setChanges((cs) => cs.filter((c) => c.key !== key));

  /** The version to send in If-Match for a change the user made on `version` of task `id`. */
  const basedOn = (id: string, version: number) => {
    const steps = ownVersions.current.get(id);
    let v = version;
    while (steps?.has(v)) v = steps.get(v)!;
    return v;
  };
  const recordVersion = (id: string, from: number, to: number) => {
    const steps = ownVersions.current.get(id) ?? new Map<number, number>();
    steps.set(from, to);
    ownVersions.current.set(id, steps);
  };

  /** A 412 for `seen` (the task as the user saw it): reload it and say what changed; anything else as it is. */
  const explain = async (seen: Task, err: unknown): Promise<unknown> => {
    if (!(err instanceof ApiRequestError) || err.status !== 412) return err;
    const current = await api.getTask(seen.id).catch((e: unknown) => (e instanceof ApiRequestError && e.status === 404 ? null : Promise.reject(e)));
    refresh();
    return new ConflictError(current, describeTaskChanges(seen, current, describeRef.current.locale, describeRef.current.timeZone), seen.title);
  };

  /** Runs `fn` after every earlier request about task `id` has finished. */
  const serial = <T,>(id: string, fn: () => Promise<T>): Promise<T> => {
    const run = (queues.current.get(id) ?? Promise.resolve()).catch(() => undefined).then(fn);
    queues.current.set(id, run);
    void run.finally(() => queues.current.get(id) === run && queues.current.delete(id)).catch(() => undefined);
    return run;
  };

  /**
   * Adds a task at once; the server's copy replaces it, or it disappears again if refused.
   * `idempotencyKey` is the form's for this intended task: a retry of the same values sends it again,
   * so a create whose answer was lost is not made twice.
   */
  const create = async (values: TaskValues, idempotencyKey: string): Promise<Task> => {
    const now = new Date().toISOString();
    const base: Task = {
      id: `new-${nextKey.current}`,
      ...values,
      recurrence: null,
      seriesId: null,
      occurrence: null,
      completed: false,
      completedAt: null,
      createdAt: now,
      updatedAt: now,
      version: 0,
    };
    const temp = patchTask(base, { recurrence: values.recurrence }, now);
    const key = begin({ kind: 'create', task: temp });
    try {
      const task = await api.createTask(values, idempotencyKey);
      confirm(key, { task } as Partial<Change>);
      return task;
    } catch (err) {
      rollback(key);
      throw err;
    }
  };

  /**
   * Applies an edit (or completion) at once; rolls it back if the server refuses it. It is sent with
   * If-Match of the version `task` had: a task changed elsewhere meanwhile is not overwritten (412,
   * a ConflictError saying what changed, and the list reloads).
   */
  const update = (task: Task, patch: TaskUpdate): Promise<Task> => {
    const key = begin({ kind: 'update', id: task.id, patch });
    return serial(task.id, async () => {
      const from = basedOn(task.id, task.version);
      try {
        const saved = await api.updateTask(task.id, patch, { ifMatch: from });
        recordVersion(task.id, from, saved.version);
        return saved;
      } catch (err) {
        throw await explain(task, err);
      }
    }).then(
      (saved) => {
        confirm(key);
        return saved;
      },
      (err: unknown) => {
        rollback(key);
        throw err;
      },
    );
  };

  /** Sends the held deletes now (the undo window ended, the page is going away, or a new delete). */
  const commitHeld = useCallback(
    ({ keepalive = false } = {}): Promise<void> => {
      const h = heldRef.current;
      if (!h) return Promise.resolve();
      heldRef.current = null;
      if (h.timer) clearTimeout(h.timer);
      setHeld(null);
      const total = h.items.length;
      const failures: Activity['failures'] = [];
      let done = 0;
      if (total > 1) setActivity({ label: 'Deleting', done, total, failures, finished: false });
      return runEach(
        h.items,
        ({ key, task, others }) =>
          serial(task.id, async () => {
            try {
              await api.deleteTask(task.id, { keepalive, ifMatch: basedOn(task.id, task.version), scope: h.scope });
            } catch (err) {
              throw await explain(task, err);
            }
          }).then(
            () => [key, ...others].forEach((k) => confirm(k)),
            (err: unknown) => {
              // Already gone on the server is what a delete wants.
              if (err instanceof ApiRequestError && err.status === 404) return [key, ...others].forEach((k) => confirm(k));
              [key, ...others].forEach(rollback);
              throw err;
            },
          ),
        ({ task }, err) => {
          done++;
          if (err) failures.push({ id: task.id, title: task.title, message: errorMessage(err) });
          if (total > 1 || failures.length) setActivity({ label: 'Deleting', done, total, failures: [...failures], finished: done === total });
        },
      ).then(() => {
        if (!failures.length) setActivity((a) => (a?.label === 'Deleting' ? null : a));
      });
    },
    [api],
  );

  const startTimer = (ms: number) => {
    const h = heldRef.current;
    if (!h) return;
    if (h.timer) clearTimeout(h.timer);
    h.deadline = Date.now() + ms;
    h.remaining = ms;
    h.timer = setTimeout(() => void commitHeld(), ms);
  };

  /**
   * Hides the tasks at once and holds their deletion for UNDO_MS (earlier held deletes go out now).
   * `series`: a recurring task with every other occurrence of its series (they leave the list too).
   */
  const remove = (tasks: Task[], scope: DeleteScope = 'occurrence') => {
    void commitHeld();
    const ids = new Set(tasks.map((t) => t.id));
    // The other occurrences on the page leave the list too; the series' one delete takes them.
    const others = (task: Task) =>
      scope === 'series' && task.seriesId ? (page?.items ?? []).filter((t) => t.seriesId === task.seriesId && !ids.has(t.id)).map((t) => begin({ kind: 'delete', id: t.id })) : [];
    const items = tasks.map((task) => ({ key: begin({ kind: 'delete', id: task.id }), task, others: others(task) }));
    heldRef.current = { items, scope, timer: null, deadline: 0, remaining: UNDO_MS };
    startTimer(UNDO_MS);
    setHeld({ tasks, scope });
    const what = tasks.length === 1 ? `“${tasks[0]!.title}”` : plural(tasks.length, 'task');
    announce(scope === 'series' ? `Deleted ${what} and every other occurrence.` : `Deleted ${what}.`);
  };

  /** Brings the held tasks back; returns them (for focus). */
  const undo = (): Task[] => {
    const h = heldRef.current;
    if (!h) return [];
    heldRef.current = null;
    if (h.timer) clearTimeout(h.timer);
    const keys = new Set(h.items.flatMap((i) => [i.key, ...i.others]));
    setChanges((cs) => cs.filter((c) => !keys.has(c.key)));
    setHeld(null);
    const tasks = h.items.map((i) => i.task);
    announce(tasks.length === 1 ? `Restored “${tasks[0]!.title}”.` : `Restored ${plural(tasks.length, 'task')}.`);
    return tasks;
  };

  /** The undo window stands still while the user is on the undo message (hover or focus). */
  const pauseUndo = () => {
    const h = heldRef.current;
    if (!h?.timer) return;
    clearTimeout(h.timer);
    h.timer = null;
    h.remaining = Math.max(0, h.deadline - Date.now());
  };
  const resumeUndo = () => {
    const h = heldRef.current;
    if (!h || h.timer) return;
    // Leaving the message leaves at least a moment to come back to it.
    startTimer(Math.max(h.remaining, 2000));
  };

  /** The same change to several tasks, one request each, with progress and a list of failures. */
  const bulkUpdate = async (tasks: Task[], patch: TaskUpdate, label: string, doneText: (n: number) => string): Promise<string[]> => {
    const failures: Activity['failures'] = [];
    let done = 0;
    setActivity({ label, done, total: tasks.length, failures, finished: false });
    await runEach(
      tasks,
      (t) => update(t, patch),
      (t, err) => {
        done++;
        if (err) failures.push({ id: t.id, title: t.title, message: errorMessage(err) });
        setActivity({ label, done, total: tasks.length, failures: [...failures], finished: done === tasks.length });
      },
    );
    if (!failures.length) {
      setActivity(null);
      announce(doneText(tasks.length));
    }
    return failures.map((f) => f.id);
  };

  // Leaving the page (closing the tab, reloading, switching apps on a phone) sends held deletes
  // at once, with keepalive so the requests outlive the page.
  useEffect(() => {
    const flush = () => void commitHeld({ keepalive: true });
    const onVisibility = () => document.visibilityState === 'hidden' && flush();
    window.addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('pagehide', flush);
      document.removeEventListener('visibilitychange', onVisibility);
      flush();
    };
  }, [commitHeld]);

  const now = new Date().toISOString();
  const items: ViewTask[] = useMemo(() => (page ? applyChanges(page.items, changes, now) : []), [page, changes]);
  const total = page ? adjustedTotal(page.total, page.items, changes) : 0;

  return {
    page,
    items,
    total,
    loading,
    error,
    refresh,
    create,
    update,
    remove,
    undo,
    held,
    pauseUndo,
    resumeUndo,
    /** Sends held deletes now and waits for them (before logging out). */
    flush: () => commitHeld(),
    bulkUpdate,
    activity,
    dismissActivity: () => setActivity(null),
  };
}
