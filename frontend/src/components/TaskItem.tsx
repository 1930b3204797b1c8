import type { DeleteScope, Task, TaskUpdate } from '@todo/contract';
import { memo, useEffect, useId, useRef, useState } from 'react';
import { userMessage } from '../api';
import { dueLabel } from '../dates';
import { editDraft, useDrafts } from '../drafts';
import { diffPatch, patchTask, type ViewTask } from '../tasks/changes';
import { useTasksSettings } from '../tasks/context';
import { describeRecurrence, formatReminder } from '../tasks/describe';
import { ConflictError } from '../tasks/useTaskList';
import { loadZone, zoneLoaded } from '../tasks/zone';
import { ConfirmDelete } from './ConfirmDelete';
import { BellIcon } from './Icons';
import { draftOf, type FormDraft, PRIORITY_LABELS, TaskForm } from './TaskForm';

interface Props {
  task: ViewTask;
  /** Selection mode: a "Select" checkbox instead of "Completed", no per-task actions. */
  selecting: boolean;
  selected: boolean;
  onSelect(task: Task, selected: boolean): void;
  onToggle(task: Task): Promise<unknown>;
  /** Sends the fields an edit changed, as a change of `task` (the version the form was opened on). */
  onSave(task: Task, patch: TaskUpdate): Promise<unknown>;
  onDelete(task: Task, scope: DeleteScope): void;
  onTagClick(tag: string): void;
  today: string;
  locale: string;
}

/** One row of the list. Memoised: a change to one task re-renders that row only. */
export const TaskItem = memo(function TaskItem({ task, selecting, selected, onSelect, onToggle, onSave, onDelete, onTagClick, today, locale }: Props) {
  const { timeZone } = useTasksSettings();
  const drafts = useDrafts();
  const draftName = editDraft(task.id);
  // An edit left unsaved when the session ended opens again, as it was typed.
  const [editing, setEditing] = useState(() => drafts.has(draftName));
  /**
   * The task as the edit form opened on it: its version goes out in If-Match, so a change made
   * elsewhere meanwhile is reported, not overwritten. After a 412 it is the server's copy.
   */
  const [base, setBase] = useState<Task>(task);
  /** An edit the server refused: the form reopens with it and the reason. */
  const [draft, setDraft] = useState<{ values: FormDraft; error: string } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  const keptIt = useRef(false);
  const id = useId();

  useEffect(() => {
    // "Keep it": back to the Delete button.
    if (!confirming && keptIt.current) {
      keptIt.current = false;
      deleteButton.current?.focus({ preventScroll: true });
    }
  }, [confirming]);
  useEffect(() => {
    // Back from the edit form: focus returns to the Edit button, not to the top of the page.
    if (!editing && returnFocus.current) {
      returnFocus.current = false;
      editButton.current?.focus({ preventScroll: true });
    }
  }, [editing]);

  if (editing) {
    return (
      <li className="task editing" data-task-id={task.id}>
        <TaskForm
          key={base.version}
          task={base}
          draft={draft?.values}
          initialError={draft?.error}
          submitLabel="Save"
          autoFocus
          draftName={draftName}
          onSubmit={(values, typed) => {
            // The list shows the edit at once; if the server refuses it, the form comes back
            // with what was typed and the reason (after a 412, on the server's copy now).
            returnFocus.current = true;
            setDraft(null);
            setEditing(false);
            const patch = diffPatch(base, values);
            if (Object.keys(patch).length === 0) {
              drafts.clear(draftName);
              return;
            }
            onSave(base, patch).then(
              () => drafts.clear(draftName),
              async (err: unknown) => {
                if (err instanceof ConflictError && err.current) {
                  // The form reopens on the server's copy with the user's own changes on top: saving
                  // again sends only those, never back what the other device had replaced.
                  const mine = patchTask(err.current, patch, new Date().toISOString());
                  if (mine.remindAt) await loadZone().catch(() => {});
                  setBase(err.current);
                  setDraft({ values: mine.remindAt && !zoneLoaded() ? typed : draftOf(mine, timeZone), error: userMessage(err) });
                } else setDraft({ values: typed, error: userMessage(err) });
                setEditing(true);
              },
            );
          }}
          onCancel={() => {
            returnFocus.current = true;
            drafts.clear(draftName);
            setDraft(null);
            setEditing(false);
          }}
        />
      </li>
    );
  }

  const due = task.dueDate ? dueLabel(task.dueDate, task.completed, today, locale) : null;
  const startEditing = () => {
    const open = () => {
      setError(null);
      setBase(task);
      setEditing(true);
    };
    // A reminder is shown in the user's zone: that needs the time zone module first.
    if (!task.remindAt) open();
    else loadZone().then(open, () => setError('The editor could not be loaded. Check your connection and try again.'));
  };
  const titleId = `${id}-title`;
  const classes = ['task', `priority-${task.priority}`, task.completed && 'completed', task.saving && 'saving', selected && 'selected'].filter(Boolean).join(' ');
  return (
    <li className={classes} data-task-id={task.id}>
      {selecting ? (
        <input
          id={`${id}-select`}
          type="checkbox"
          className="check select"
          checked={selected}
          disabled={task.local}
          aria-label={`Select “${task.title}”`}
          onChange={(e) => onSelect(task, e.target.checked)}
        />
      ) : (
        <input
          type="checkbox"
          className="check toggle"
          checked={task.completed}
          // Never disabled while saving: a disabled control drops keyboard focus.
          disabled={task.local}
          aria-label={`Completed: ${task.title}`}
          onChange={() => {
            setError(null);
            onToggle(task).catch((err: unknown) => setError(userMessage(err)));
          }}
        />
      )}
      <div className="task-body">
        <h3 className="task-title" id={titleId}>
          {selecting ? <label htmlFor={`${id}-select`}>{task.title}</label> : task.title}
        </h3>
        {task.description && <p className="task-description">{task.description}</p>}
        <div className="task-meta">
          <span className={`badge priority ${task.priority}`}>
            {PRIORITY_LABELS[task.priority]}
            <span className="sr-only"> priority</span>
          </span>
          {due && (
            <span className={`due due-${due.state}`}>
              <time dateTime={task.dueDate!}>{due.text}</time>
            </span>
          )}
          {task.recurrence && (
            <span className="repeats">
              <span aria-hidden="true">↻ </span>
              {describeRecurrence(task.recurrence, locale, timeZone)}
            </span>
          )}
          {task.remindAt && !task.completed && (
            <span className="remind">
              <BellIcon />
              <span className="sr-only">Reminder </span>
              <time dateTime={task.remindAt}>{formatReminder(task.remindAt, locale, timeZone)}</time>
            </span>
          )}
          {task.saving && <span className="saving-note">Saving…</span>}
          {task.tags.length > 0 && (
            <ul className="tags" aria-label="Tags">
              {task.tags.map((tag) => (
                <li key={tag}>
                  {selecting ? (
                    <span className="tag">#{tag}</span>
                  ) : (
                    <button type="button" className="tag" onClick={() => onTagClick(tag)} aria-label={`Show tasks tagged ${tag}`}>
                      #{tag}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
        {error && (
          <p className="error small" role="alert">
            {error}
          </p>
        )}
      </div>
      {!selecting &&
        (confirming ? (
          <ConfirmDelete
            label={`Confirm deleting “${task.title}”`}
            question={task.seriesId ? 'Delete this repeating task?' : 'Delete this task?'}
            keepLabel="Keep it"
            // An occurrence alone is skipped (the next one comes), or the series goes with every occurrence.
            confirmLabel={task.seriesId ? 'Only this one' : undefined}
            alternative={
              task.seriesId
                ? {
                    label: 'All occurrences',
                    onConfirm: () => {
                      setConfirming(false);
                      onDelete(task, 'series');
                    },
                  }
                : undefined
            }
            onConfirm={() => {
              setConfirming(false);
              onDelete(task, 'occurrence');
            }}
            onKeep={() => {
              keptIt.current = true;
              setConfirming(false);
            }}
          />
        ) : (
          <div className="actions">
            <button ref={editButton} type="button" className="ghost" disabled={task.local} onClick={startEditing} aria-label={`Edit “${task.title}”`}>
              Edit
            </button>
            <button
              ref={deleteButton}
              type="button"
              className="ghost danger-text"
              disabled={task.local}
              onClick={() => setConfirming(true)}
              aria-label={`Delete “${task.title}”`}
            >
              Delete
            </button>
          </div>
        ))}
    </li>
  );
});
