import { LIMITS, PRIORITIES, type Priority, type Task, type TaskCreate } from '@todo/contract';
import { type FormEvent, type KeyboardEvent, useId, useRef, useState } from 'react';
import { formatTags, parseTags } from '../tags';
import { userMessage as errorMessage } from '../api';
import { useDrafts } from '../drafts';

export const PRIORITY_LABELS: Record<Priority, string> = { high: 'High', medium: 'Medium', low: 'Low' };

/** What the fields hold, as typed. */
export interface FormDraft {
  title: string;
  description: string;
  priority: Priority;
  tags: string;
  dueDate: string;
}

const EMPTY: FormDraft = { title: '', description: '', priority: 'medium', tags: '', dueDate: '' };

export const draftOf = (task: Task): FormDraft => ({
  title: task.title,
  description: task.description,
  priority: task.priority,
  tags: formatTags(task.tags),
  dueDate: task.dueDate ?? '',
});

interface Props {
  /** Editing this task; absent for a new task. */
  task?: Task;
  /** Values to start from instead of the task's (an edit the server refused, given back). */
  draft?: FormDraft;
  /** An error to show from the start (why that edit was refused). */
  initialError?: string | null;
  /** The add bar: only the title until "Details" opens the other fields. */
  compact?: boolean;
  submitLabel: string;
  /**
   * Called with checked values. A new-task form empties itself at once (the list shows the task
   * before the server answers); if the promise rejects, the values come back (unless the user has
   * started another task) with the error.
   */
  onSubmit(values: Required<TaskCreate>, draft: FormDraft): Promise<unknown> | void;
  onCancel?(): void;
  autoFocus?: boolean;
  /**
   * Keep what is typed as a draft under this name (src/drafts.ts) until it is saved or cancelled, so
   * that it survives a session that ended. The new-task form forgets it once the task is saved; an
   * edit's owner does (it knows when the save went through).
   */
  draftName?: string;
}

type FieldErrors = { title?: string; tags?: string };

function check(d: FormDraft): FieldErrors {
  const errors: FieldErrors = {};
  if (!d.title.trim()) errors.title = 'The title is required.';
  const parsed = parseTags(d.tags);
  if (!parsed.ok) errors.tags = parsed.error;
  return errors;
}

/** The form for a new task and for editing one: the same fields, the same checks. */
export function TaskForm({ task, draft, initialError, compact, submitLabel, onSubmit, onCancel, autoFocus, draftName }: Props) {
  const drafts = useDrafts();
  const [kept] = useState(() => (draftName && !draft ? drafts.load<FormDraft>(draftName) : null));
  const [values, setValues] = useState<FormDraft>(() => draft ?? kept ?? (task ? draftOf(task) : EMPTY));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(initialError ?? null);
  const [expanded, setExpanded] = useState(!compact || Boolean(kept && (kept.description || kept.tags || kept.dueDate || kept.priority !== 'medium')));
  const titleRef = useRef<HTMLInputElement>(null);
  const tagsRef = useRef<HTMLInputElement>(null);
  const id = useId();

  /** A field changed: its error goes once the value is right, and a server error is stale now. */
  const set = <K extends keyof FormDraft>(key: K, value: FormDraft[K]) => {
    const next = { ...values, [key]: value };
    setValues(next);
    if (draftName) drafts.save(draftName, next);
    setFormError(null);
    if (key === 'title' || key === 'tags') {
      const field = key as keyof FieldErrors;
      if (errors[field]) setErrors((e) => ({ ...e, [field]: check(next)[field] }));
    }
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = check(values);
    setErrors(found);
    setFormError(null);
    if (found.title || found.tags) {
      if (found.tags && !found.title) setExpanded(true);
      // Focus after the fields render (the tags field may have just been revealed).
      setTimeout(() => (found.title ? titleRef : tagsRef).current?.focus());
      return;
    }
    const parsed = parseTags(values.tags);
    if (!parsed.ok) return;
    const sent = values;
    const out: Required<TaskCreate> = {
      title: values.title.trim(),
      description: values.description.trim(),
      priority: values.priority,
      tags: parsed.tags,
      dueDate: values.dueDate || null,
    };
    if (!task) {
      setValues(EMPTY);
      titleRef.current?.focus();
    }
    try {
      await onSubmit(out, sent);
      // Saved: the draft goes, unless another one was started meanwhile.
      if (draftName && !task && JSON.stringify(drafts.load(draftName)) === JSON.stringify(sent)) drafts.clear(draftName);
    } catch (err) {
      if (task) {
        setFormError(errorMessage(err));
        return;
      }
      // Give the values back unless another task is being typed already.
      if (titleRef.current && titleRef.current.value === '') {
        setValues(sent);
        if (sent.description || sent.tags || sent.dueDate || sent.priority !== 'medium') setExpanded(true);
      }
      setFormError(`“${out.title}” was not added: ${errorMessage(err)}`);
    }
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape' && onCancel) {
      e.preventDefault();
      onCancel();
    }
  }

  const describedBy = (field: keyof FieldErrors) => (errors[field] ? `${id}-${field}-error` : undefined);
  const fieldError = (field: keyof FieldErrors) =>
    errors[field] && (
      <p id={`${id}-${field}-error`} className="field-error">
        {errors[field]}
      </p>
    );

  const title = (
    <input
      id={`${id}-title`}
      ref={titleRef}
      maxLength={LIMITS.titleMaxLength}
      value={values.title}
      onChange={(e) => set('title', e.target.value)}
      autoFocus={autoFocus}
      autoComplete="off"
      aria-invalid={Boolean(errors.title)}
      aria-describedby={describedBy('title')}
      aria-required="true"
      placeholder={task ? undefined : 'What needs doing?'}
    />
  );

  const details = (
    <>
      <div className="field description-field">
        <label htmlFor={`${id}-description`}>
          Description <span className="optional">(optional)</span>
        </label>
        <textarea
          id={`${id}-description`}
          rows={2}
          maxLength={LIMITS.descriptionMaxLength}
          value={values.description}
          onChange={(e) => set('description', e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-priority`}>Priority</label>
        <select id={`${id}-priority`} value={values.priority} onChange={(e) => set('priority', e.target.value as Priority)}>
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
        <input
          id={`${id}-tags`}
          ref={tagsRef}
          value={values.tags}
          onChange={(e) => set('tags', e.target.value)}
          placeholder="home, errands"
          autoCapitalize="none"
          autoComplete="off"
          aria-invalid={Boolean(errors.tags)}
          aria-describedby={describedBy('tags')}
        />
        {fieldError('tags')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-due`}>
          Due date <span className="optional">(optional)</span>
        </label>
        <input id={`${id}-due`} type="date" value={values.dueDate} onChange={(e) => set('dueDate', e.target.value)} />
      </div>
    </>
  );

  const formErrorLine = formError && (
    <p className="error form-error" role="alert">
      {formError}
    </p>
  );

  if (compact) {
    return (
      <form className="task-form compact" onSubmit={submit} noValidate aria-label="New task">
        <div className="add-row">
          <label htmlFor={`${id}-title`} className="sr-only">
            Title
          </label>
          {title}
          <button type="button" className="ghost" aria-expanded={expanded} aria-controls={`${id}-details`} onClick={() => setExpanded((x) => !x)}>
            Details
          </button>
          <button type="submit" className="primary">
            {/* "Add" on a phone, where the title field needs the width; the name stays whole. */}
            {submitLabel.replace(/ .*/, '')}
            <span className="wide-only">{submitLabel.replace(/^\S+/, '')}</span>
          </button>
        </div>
        {fieldError('title')}
        <div id={`${id}-details`} className="details-grid" hidden={!expanded}>
          {details}
        </div>
        {formErrorLine}
      </form>
    );
  }

  return (
    <form className="task-form" onSubmit={submit} onKeyDown={onKeyDown} noValidate aria-label={task ? `Edit “${task.title}”` : 'New task'}>
      <div className="field title-field">
        <label htmlFor={`${id}-title`}>Title</label>
        {title}
        {fieldError('title')}
      </div>
      {details}
      {formErrorLine}
      <div className="actions">
        <button type="submit" className="primary">
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
