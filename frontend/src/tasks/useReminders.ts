import type { Task } from '@todo/contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../api';
import { userMessage } from '../api';
import type { NotificationState } from './context';

/** Reminders coming due within this many minutes get a timer of their own (to the second). */
export const REMINDER_WINDOW_MINUTES = 2;
/** How often the server is asked again while the page is visible (also after every list change). */
export const REMINDER_POLL_MS = 30_000;

/** A due reminder on screen; `away`: it came due while the page was closed or hidden. */
export interface DueReminder {
  task: Task;
  away: boolean;
}

const keyOf = (t: Task) => `${t.id} ${t.remindAt}`;

/** The browser's notification permission, and a way to ask for it (from a click only). */
export function useNotificationPermission(): [NotificationState, () => void] {
  const supported = typeof window !== 'undefined' && 'Notification' in window;
  const [state, setState] = useState<NotificationState>(supported ? Notification.permission : 'unsupported');
  const request = useCallback(() => {
    if (!supported) return;
    void Notification.requestPermission().then(setState, () => setState(Notification.permission));
  }, [supported]);
  return [state, request];
}

function notify(task: Task) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(`Reminder: ${task.title}`, { body: task.description || undefined, tag: task.id });
    n.onclick = () => window.focus();
  } catch {
    // Some browsers (Chrome on Android) only notify from a service worker: the page shows it anyway.
  }
}

/**
 * The reminders that are due, from the server (so a reminder seen on one device is not shown again
 * on another): loaded when the page opens, when it becomes visible again, every REMINDER_POLL_MS and
 * whenever `changed` changes (the task list reloaded). Those already due when the page opens or
 * comes back are listed as "while you were away"; one that comes due while the page is open is
 * timed to the second (the server's clock, corrected for this one's), shown, announced, and sent as
 * a browser notification where permitted. Dismissing acknowledges it on the server.
 */
export function useReminders(api: ApiClient, changed: unknown, announce: (msg: string) => void) {
  const [due, setDue] = useState<DueReminder[]>([]);
  const [error, setError] = useState<string | null>(null);
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  /** Shown (or dismissed) on this page already: never shown twice. */
  const seen = useRef(new Set<string>());
  /** The next load finds what came due while nobody was looking (page opened, or visible again). */
  const returning = useRef(true);
  const announceRef = useRef(announce);
  announceRef.current = announce;

  const show = useCallback((task: Task, away: boolean) => {
    const key = keyOf(task);
    if (seen.current.has(key)) return;
    seen.current.add(key);
    setDue((d) => [...d.filter((x) => x.task.id !== task.id), { task, away }]);
    if (!away) {
      notify(task);
      announceRef.current(`Reminder: “${task.title}”.`);
    }
  }, []);

  const lastLoad = useRef(0);
  const load = useCallback(async () => {
    lastLoad.current = Date.now();
    const list = await api.reminders(REMINDER_WINDOW_MINUTES).catch(() => null);
    if (!list) return;
    const skew = Date.parse(list.now) - Date.now();
    const away = returning.current;
    returning.current = false;
    const listed = new Set(list.items.map(keyOf));
    // Acknowledged, moved or completed elsewhere: off the screen, and no timer.
    setDue((d) => d.filter((x) => listed.has(keyOf(x.task))));
    for (const [key, timer] of timers.current) {
      if (!listed.has(key)) {
        clearTimeout(timer);
        timers.current.delete(key);
      }
    }
    for (const task of list.items) {
      const wait = Date.parse(task.remindAt!) - skew - Date.now();
      if (wait <= 0) show(task, away);
      else if (!timers.current.has(keyOf(task))) {
        timers.current.set(
          keyOf(task),
          setTimeout(() => {
            timers.current.delete(keyOf(task));
            show(task, false);
          }, wait),
        );
      }
    }
  }, [api, show]);

  useEffect(() => {
    // The page's first list arrives right after the load at opening: no need to ask twice.
    if (Date.now() - lastLoad.current > 1000) void load();
  }, [load, changed]);

  useEffect(() => {
    const poll = setInterval(() => document.visibilityState === 'visible' && void load(), REMINDER_POLL_MS);
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') returning.current = true;
      else void load();
    };
    document.addEventListener('visibilitychange', onVisibility);
    const pending = timers.current;
    return () => {
      clearInterval(poll);
      document.removeEventListener('visibilitychange', onVisibility);
      for (const t of pending.values()) clearTimeout(t);
      pending.clear();
    };
  }, [load]);

  /** Acknowledges reminders on the server (every device); they leave the list at once, and come back if that fails. */
  const dismiss = useCallback(
    async (tasks: Task[]) => {
      const ids = new Set(tasks.map((t) => t.id));
      const removed = due.filter((x) => ids.has(x.task.id));
      setDue((d) => d.filter((x) => !ids.has(x.task.id)));
      setError(null);
      try {
        await api.acknowledgeReminders(tasks.map((t) => ({ taskId: t.id, remindAt: t.remindAt! })));
      } catch (err) {
        setDue((d) => [...removed, ...d.filter((x) => !ids.has(x.task.id))]);
        setError(`The reminder could not be dismissed: ${userMessage(err)}`);
      }
    },
    [api, due],
  );

  return { due, dismiss, error, reload: load };
}
