import type { Task } from '@todo/contract';
import { useTasksSettings } from '../tasks/context';
import { formatReminder } from '../tasks/describe';
import type { DueReminder } from '../tasks/useReminders';
import { BellIcon } from './Icons';

interface Props {
  due: DueReminder[];
  error: string | null;
  locale: string;
  onDone(task: Task): void;
  onDismiss(tasks: Task[]): void;
}

/**
 * The reminders that are due: those that came due while the user was away first, then those that
 * came due while the page was open. Each can be done (completes the task) or dismissed (seen, on
 * every device). Offers browser notifications while the browser has not been asked yet.
 */
export function Reminders({ due, error, locale, onDone, onDismiss }: Props) {
  const { timeZone, notifications, requestNotifications } = useTasksSettings();
  if (due.length === 0 && !error) return null;
  const away = due.filter((d) => d.away);
  const now = due.filter((d) => !d.away);
  const group = (items: DueReminder[], heading: string, id: string) =>
    items.length > 0 && (
      <div className="reminder-group">
        <h3 id={id}>{heading}</h3>
        <ul aria-labelledby={id}>
          {items.map(({ task }) => (
            <li key={task.id} className="reminder">
              <span className="reminder-text">
                <span className="reminder-title">{task.title}</span>{' '}
                <span className="reminder-when">
                  <time dateTime={task.remindAt!}>{formatReminder(task.remindAt!, locale, timeZone)}</time>
                </span>
              </span>
              <span className="reminder-actions">
                <button type="button" onClick={() => onDone(task)} aria-label={`Mark “${task.title}” as done`}>
                  Done
                </button>
                <button type="button" className="ghost" onClick={() => onDismiss([task])} aria-label={`Dismiss the reminder of “${task.title}”`}>
                  Dismiss
                </button>
              </span>
            </li>
          ))}
        </ul>
      </div>
    );
  return (
    <section className="card reminders" aria-labelledby="reminders-heading">
      <div className="reminders-head">
        <h2 id="reminders-heading">
          <BellIcon /> Reminders
        </h2>
        {notifications === 'default' && (
          <button type="button" className="ghost" onClick={requestNotifications}>
            Turn on notifications
          </button>
        )}
        {due.length > 1 && (
          <button type="button" className="ghost" onClick={() => onDismiss(due.map((d) => d.task))}>
            Dismiss all
          </button>
        )}
      </div>
      {group(away, 'While you were away', 'reminders-away')}
      {group(now, 'Due now', 'reminders-now')}
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
