import type { Task, TaskCreate } from '@todo/contract';
import { useEffect, useRef, useState } from 'react';
import { ApiRequestError } from '../api';
import { formatDate, isOverdue } from '../dates';
import { PRIORITY_LABELS, TaskForm } from './TaskForm';

interface Props {
  task: Task;
  onToggle(task: Task): Promise<void>;
  onSave(task: Task, values: Required<TaskCreate>): Promise<void>;
  onDelete(task: Task): Promise<void>;
  onTagClick(tag: string): void;
}

export function TaskItem({ task, onToggle, onSave, onDelete, onTagClick }: Props) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The checkbox flips at once (optimistic) and flips back if the API refuses.
  const [checked, setChecked] = useState(task.completed);
  useEffect(() => setChecked(task.completed), [task.completed]);
  const editButton = useRef<HTMLButtonElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);
  useEffect(() => {
    // Back from the edit form: focus returns to the Edit button, not to the top of the page.
    if (!editing && returnFocus.current) {
      returnFocus.current = false;
      editButton.current?.focus();
    }
  }, [editing]);

  async function run(action: () => Promise<void>, undo?: () => void) {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (err) {
      undo?.();
      setError(err instanceof ApiRequestError ? err.message : 'Something went wrong. Please try again.');
    }
    setBusy(false);
  }

  if (editing) {
    return (
      <li className="task editing">
        <TaskForm
          task={task}
          submitLabel="Save"
          autoFocus
          onSubmit={async (values) => {
            await onSave(task, values);
            returnFocus.current = true;
            setEditing(false);
          }}
          onCancel={() => {
            returnFocus.current = true;
            setEditing(false);
          }}
        />
      </li>
    );
  }

  const overdue = isOverdue(task.dueDate, task.completed);
  return (
    <li className={`task priority-${task.priority}${task.completed ? ' completed' : ''}`} data-task-id={task.id}>
      <div className="task-main">
        <input
          type="checkbox"
          className="toggle"
          checked={checked}
          disabled={busy}
          aria-label={`Completed: ${task.title}`}
          onChange={() => {
            setChecked(!task.completed);
            void run(
              () => onToggle(task),
              () => setChecked(task.completed),
            );
          }}
        />
        <div className="task-body">
          <h3 className="task-title">{task.title}</h3>
          {task.description && <p className="task-description">{task.description}</p>}
          <p className="task-meta">
            <span className={`badge priority ${task.priority}`}>{PRIORITY_LABELS[task.priority]} priority</span>
            {task.dueDate && (
              <span className={`due${overdue ? ' overdue' : ''}`}>
                {overdue ? 'Overdue · ' : ''}Due <time dateTime={task.dueDate}>{formatDate(task.dueDate)}</time>
              </span>
            )}
            {task.completed && <span className="badge done">Done</span>}
          </p>
          {task.tags.length > 0 && (
            <ul className="tags" aria-label="Tags">
              {task.tags.map((tag) => (
                <li key={tag}>
                  <button type="button" className="tag" onClick={() => onTagClick(tag)} aria-label={`Show tasks tagged ${tag}`}>
                    #{tag}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {confirming ? (
        <div className="actions confirm" role="group" aria-label={`Confirm deleting “${task.title}”`}>
          <span>Delete this task?</span>
          <button ref={confirmButton} type="button" className="danger" disabled={busy} onClick={() => run(() => onDelete(task))}>
            Yes, delete
          </button>
          <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <div className="actions">
          <button ref={editButton} type="button" onClick={() => setEditing(true)} aria-label={`Edit “${task.title}”`}>
            Edit
          </button>
          <button type="button" className="danger-outline" onClick={() => setConfirming(true)} aria-label={`Delete “${task.title}”`}>
            Delete
          </button>
        </div>
      )}
    </li>
  );
}
