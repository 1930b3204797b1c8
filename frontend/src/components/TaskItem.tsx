import type { Task, TaskCreate } from '@todo/contract';
import { memo, useEffect, useId, useRef, useState } from 'react';
import { userMessage } from '../api';
import { dueLabel } from '../dates';
import { editDraft, useDrafts } from '../drafts';
import type { ViewTask } from '../tasks/changes';
import { ConfirmDelete } from './ConfirmDelete';
import { type FormDraft, PRIORITY_LABELS, TaskForm } from './TaskForm';

interface Props {
  task: ViewTask;
  /** Selection mode: a "Select" checkbox instead of "Completed", no per-task actions. */
  selecting: boolean;
  selected: boolean;
  onSelect(task: Task, selected: boolean): void;
  onToggle(task: Task): Promise<unknown>;
  onSave(task: Task, values: Required<TaskCreate>): Promise<unknown>;
  onDelete(task: Task): void;
  onTagClick(tag: string): void;
  today: string;
  locale: string;
}

/** One row of the list. Memoised: a change to one task re-renders that row only. */
export const TaskItem = memo(function TaskItem({ task, selecting, selected, onSelect, onToggle, onSave, onDelete, onTagClick, today, locale }: Props) {
  const drafts = useDrafts();
  const draftName = editDraft(task.id);
  // An edit left unsaved when the session ended opens again, as it was typed.
  const [editing, setEditing] = useState(() => drafts.has(draftName));
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
          task={task}
          draft={draft?.values}
          initialError={draft?.error}
          submitLabel="Save"
          autoFocus
          draftName={draftName}
          onSubmit={(values, typed) => {
            // The list shows the edit at once; if the server refuses it, the form comes back
            // with what was typed and the reason.
            returnFocus.current = true;
            setDraft(null);
            setEditing(false);
            onSave(task, values).then(
              () => drafts.clear(draftName),
              (err: unknown) => {
                setDraft({ values: typed, error: userMessage(err) });
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
            question="Delete this task?"
            keepLabel="Keep it"
            onConfirm={() => {
              setConfirming(false);
              onDelete(task);
            }}
            onKeep={() => {
              keptIt.current = true;
              setConfirming(false);
            }}
          />
        ) : (
          <div className="actions">
            <button ref={editButton} type="button" className="ghost" disabled={task.local} onClick={() => setEditing(true)} aria-label={`Edit “${task.title}”`}>
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
