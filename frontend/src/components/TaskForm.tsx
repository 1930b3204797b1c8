import { LIMITS, PRIORITIES, type Priority, type Task, type TaskCreate } from '@todo/contract';
import { type FormEvent, type KeyboardEvent, useId, useRef, useState } from 'react';
import { ApiRequestError } from '../api';
import { formatTags, parseTags } from '../tags';

export const PRIORITY_LABELS: Record<Priority, string> = { high: 'High', medium: 'Medium', low: 'Low' };

interface Props {
  /** Editing this task; absent for a new task. */
  task?: Task;
  submitLabel: string;
  onSubmit(values: Required<TaskCreate>): Promise<void>;
  onCancel?(): void;
  autoFocus?: boolean;
}

/** The form for a new task and for editing one: the same fields, the same checks. */
export function TaskForm({ task, submitLabel, onSubmit, onCancel, autoFocus }: Props) {
  const [title, setTitle] = useState(task?.title ?? '');
  const [description, setDescription] = useState(task?.description ?? '');
  const [priority, setPriority] = useState<Priority>(task?.priority ?? 'medium');
  const [tags, setTags] = useState(formatTags(task?.tags ?? []));
  const [dueDate, setDueDate] = useState(task?.dueDate ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleRef = useRef<HTMLInputElement>(null);
  const id = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const trimmed = title.trim();
    if (!trimmed) {
      setError('The title is required.');
      titleRef.current?.focus();
      return;
    }
    const parsed = parseTags(tags);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setBusy(true);
    try {
      await onSubmit({ title: trimmed, description: description.trim(), priority, tags: parsed.tags, dueDate: dueDate || null });
      if (!task) {
        setTitle('');
        setDescription('');
        setPriority('medium');
        setTags('');
        setDueDate('');
        titleRef.current?.focus();
      }
    } catch (err) {
      setError(err instanceof ApiRequestError ? err.message : 'Something went wrong. Please try again.');
    } finally {
      setBusy(false);
    }
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape' && onCancel) {
      e.preventDefault();
      onCancel();
    }
  }

  return (
    <form className="task-form" onSubmit={submit} onKeyDown={onKeyDown} aria-label={task ? `Edit “${task.title}”` : 'New task'}>
      <div className="field title-field">
        <label htmlFor={`${id}-title`}>Title</label>
        <input
          id={`${id}-title`}
          ref={titleRef}
          required
          maxLength={LIMITS.titleMaxLength}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          autoFocus={autoFocus}
          placeholder={task ? undefined : 'What needs doing?'}
        />
      </div>
      <div className="field description-field">
        <label htmlFor={`${id}-description`}>
          Description <span className="optional">(optional)</span>
        </label>
        <textarea
          id={`${id}-description`}
          rows={2}
          maxLength={LIMITS.descriptionMaxLength}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-priority`}>Priority</label>
        <select id={`${id}-priority`} value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {PRIORITY_LABELS[p]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-tags`}>
          Tags <span className="optional">(comma separated)</span>
        </label>
        <input id={`${id}-tags`} value={tags} onChange={(e) => setTags(e.target.value)} placeholder="home, errands" autoCapitalize="none" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-due`}>
          Due date <span className="optional">(optional)</span>
        </label>
        <input id={`${id}-due`} type="date" value={dueDate} onChange={(e) => setDueDate(e.target.value)} />
      </div>
      {error && (
        <p className="error form-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
