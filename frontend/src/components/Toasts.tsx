import { useEffect, useState } from 'react';
import type { Activity, HeldDeletes } from '../tasks/useTaskList';

interface Props {
  /** The last announcement ("Added “Buy milk”."); statusSeq changes with each, even a repeated one. */
  status: string;
  statusSeq: number;
  held: HeldDeletes | null;
  onUndo(): void;
  onPause(): void;
  onResume(): void;
  activity: Activity | null;
  onDismiss(): void;
}

/** How long an announcement stays on screen. */
const STATUS_MS = 5000;

/**
 * The messages at the bottom of the screen: what just happened (a polite live region), the undo
 * offer after a delete (its timer stands still under the pointer or the keyboard), the progress
 * of a bulk action and, when some of it failed, which tasks and why.
 */
export function Toasts({ status, statusSeq, held, onUndo, onPause, onResume, activity, onDismiss }: Props) {
  const [shown, setShown] = useState('');
  useEffect(() => {
    setShown(status);
    if (!status) return;
    const t = setTimeout(() => setShown(''), STATUS_MS);
    return () => clearTimeout(t);
  }, [status, statusSeq]);

  const failed = activity?.finished && activity.failures.length > 0;
  const deleting = activity?.label === 'Deleting';
  return (
    <div className="toasts">
      {/* Always in the page, so that screen readers hear every change; shown only when the undo
          offer does not already say it. */}
      <p role="status" className={shown && !held ? 'toast' : 'sr-only'}>
        {shown}
      </p>
      {held && (
        <div className="toast undo" onMouseEnter={onPause} onMouseLeave={onResume} onFocus={onPause} onBlur={onResume}>
          <span>{held.tasks.length === 1 ? `Deleted “${held.tasks[0]!.title}”.` : `Deleted ${held.tasks.length} tasks.`}</span>
          <button type="button" className="undo-button" aria-keyshortcuts="Control+Z Meta+Z" onClick={onUndo}>
            Undo
          </button>
        </div>
      )}
      {activity && !activity.finished && (
        <div className="toast progress">
          <progress max={activity.total} value={activity.done} aria-label={activity.label} />
          <span>
            {activity.label}: {activity.done} of {activity.total}…
          </span>
        </div>
      )}
      {failed && (
        <div className="toast error" role="alert">
          <p>
            {activity.label}: {activity.total - activity.failures.length} of {activity.total} done, {activity.failures.length} failed.{' '}
            {deleting ? 'Those tasks are back in the list.' : 'Those tasks are still selected.'}
          </p>
          <ul>
            {activity.failures.map((f) => (
              <li key={f.id}>
                “{f.title}”: {f.message}
              </li>
            ))}
          </ul>
          <button type="button" onClick={onDismiss}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
