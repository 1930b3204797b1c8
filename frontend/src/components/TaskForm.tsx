import { type Frequency, FREQUENCIES, LIMITS, PRIORITIES, type Priority, type Task } from '@todo/contract';
import { type FormEvent, type KeyboardEvent, useId, useRef, useState } from 'react';
import { formatTags, parseTags } from '../tags';
import { userMessage as errorMessage } from '../api';
import { useDrafts } from '../drafts';
import { useTasksSettings } from '../tasks/context';
import { weekdayName } from '../tasks/describe';
import type { TaskValues } from '../tasks/useTaskList';
import { currentLocale, todayIso } from '../dates';
import { loadZone, zone } from '../tasks/zone';

export const PRIORITY_LABELS: Record<Priority, string> = { high: 'High', medium: 'Medium', low: 'Low' };
const REPEAT_LABELS: Record<Frequency, string> = { daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly' };
const UNIT_LABELS: Record<Frequency, string> = { daily: 'days', weekly: 'weeks', monthly: 'months' };
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

/** What the fields hold, as typed. */
export interface FormDraft {
  title: string;
  description: string;
  priority: Priority;
  tags: string;
  dueDate: string;
  /** '' does not repeat. */
  repeat: '' | Frequency;
  interval: string;
  weekdays: number[];
  ends: 'never' | 'until' | 'count';
  until: string;
  count: string;
  /** The reminder as `<input type="datetime-local">` holds it, in the user's time zone; '' for none. */
  remind: string;
}

const EMPTY: FormDraft = { title: '', description: '', priority: 'medium', tags: '', dueDate: '', repeat: '', interval: '1', weekdays: [], ends: 'never', until: '', count: '', remind: '' };

/** The fields of `task`; with a reminder, after loadZone(). */
export const draftOf = (task: Task, timeZone: string): FormDraft => {
  const r = task.recurrence;
  return {
    title: task.title,
    description: task.description,
    priority: task.priority,
    tags: formatTags(task.tags),
    dueDate: task.dueDate ?? '',
    repeat: r?.frequency ?? '',
    interval: String(r?.interval ?? 1),
    weekdays: r?.weekdays ?? [],
    ends: r?.until ? 'until' : r?.count ? 'count' : 'never',
    until: r?.until ?? '',
    count: r?.count ? String(r.count) : '',
    remind: task.remindAt ? zone().localDateTime(task.remindAt, timeZone) : '',
  };
};

/** A key for one intended create (Idempotency-Key); getRandomValues also works where randomUUID is missing (plain http). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

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
   * started another task) with the error. `idempotencyKey` (new tasks) stays the same while the same
   * values are sent again, so a retry after a lost answer creates nothing twice.
   */
  onSubmit(values: TaskValues, draft: FormDraft, idempotencyKey: string): Promise<unknown> | void;
  onCancel?(): void;
  autoFocus?: boolean;
  /**
   * Keep what is typed as a draft under this name (src/drafts.ts) until it is saved or cancelled, so
   * that it survives a session that ended. The new-task form forgets it once the task is saved; an
   * edit's owner does (it knows when the save went through).
   */
  draftName?: string;
}

type FieldErrors = { title?: string; tags?: string; interval?: string; count?: string; until?: string };
const FIELDS: (keyof FieldErrors)[] = ['title', 'tags', 'interval', 'count', 'until'];

const wholeNumber = (s: string, min: number, max: number) => /^\d+$/.test(s.trim()) && Number(s) >= min && Number(s) <= max;

function check(d: FormDraft): FieldErrors {
  const errors: FieldErrors = {};
  if (!d.title.trim()) errors.title = 'The title is required.';
  const parsed = parseTags(d.tags);
  if (!parsed.ok) errors.tags = parsed.error;
  if (d.repeat) {
    if (!wholeNumber(d.interval, 1, LIMITS.recurrenceIntervalMax)) errors.interval = `Repeat every 1 to ${LIMITS.recurrenceIntervalMax} ${UNIT_LABELS[d.repeat]}.`;
    if (d.ends === 'count' && !wholeNumber(d.count, 1, LIMITS.recurrenceCountMax)) errors.count = `Say how many times: 1 to ${LIMITS.recurrenceCountMax}.`;
    if (d.ends === 'until' && !d.until) errors.until = 'Choose the last date.';
    else if (d.ends === 'until' && d.dueDate && d.until < d.dueDate) errors.until = 'The last date comes before the due date.';
  }
  return errors;
}

/**
 * The API's values from the fields (already checked; with a reminder, after loadZone()). `original`
 * keeps an untouched reminder to the millisecond.
 */
function valuesOf(d: FormDraft, tags: string[], timeZone: string, original?: { draft: FormDraft; remindAt: string | null }): TaskValues {
  const remindAt = !d.remind ? null : original && original.draft.remind === d.remind ? original.remindAt : zone().instantAt(d.remind, timeZone);
  return {
    title: d.title.trim(),
    description: d.description.trim(),
    priority: d.priority,
    tags,
    dueDate: d.dueDate || null,
    recurrence: d.repeat
      ? {
          frequency: d.repeat,
          interval: Number(d.interval),
          weekdays: d.repeat === 'weekly' ? [...d.weekdays].sort((a, b) => a - b) : [],
          until: d.ends === 'until' ? d.until : null,
          count: d.ends === 'count' ? Number(d.count) : null,
        }
      : null,
    remindAt,
  };
}

/** The form for a new task and for editing one: the same fields, the same checks. */
export function TaskForm({ task, draft, initialError, compact, submitLabel, onSubmit, onCancel, autoFocus, draftName }: Props) {
  const { timeZone, notifications, requestNotifications } = useTasksSettings();
  const drafts = useDrafts();
  const [kept] = useState(() => (draftName && !draft ? drafts.load<FormDraft>(draftName) : null));
  const [original] = useState(() => (task ? { draft: draftOf(task, timeZone), remindAt: task.remindAt } : undefined));
  const [values, setValues] = useState<FormDraft>(() => draft ?? kept ?? original?.draft ?? EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(initialError ?? null);
  const [expanded, setExpanded] = useState(!compact || Boolean(kept && (kept.description || kept.tags || kept.dueDate || kept.priority !== 'medium')));
  const titleRef = useRef<HTMLInputElement>(null);
  const tagsRef = useRef<HTMLInputElement>(null);
  /** The Idempotency-Key of the last create that failed, and what it sent: the same values again reuse it. */
  const lastCreate = useRef<{ key: string; body: string } | null>(null);
  const id = useId();
  const locale = currentLocale();

  /** A field changed: its error goes once the value is right, and a server error is stale now. */
  const set = <K extends keyof FormDraft>(key: K, value: FormDraft[K]) => {
    let next = { ...values, [key]: value };
    // Weekly starts on the due date's weekday (today's without one): one click makes a sensible rule.
    if (key === 'repeat' && value === 'weekly' && next.weekdays.length === 0) {
      const day = new Date(`${next.dueDate || todayIso()}T12:00:00Z`).getUTCDay();
      next = { ...next, weekdays: [day === 0 ? 7 : day] };
    }
    setValues(next);
    if (draftName) drafts.save(draftName, next);
    setFormError(null);
    const now = check(next);
    setErrors((e) => Object.fromEntries(FIELDS.filter((f) => e[f] && now[f]).map((f) => [f, now[f]])));
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = check(values);
    setErrors(found);
    setFormError(null);
    const firstBad = FIELDS.find((f) => found[f]);
    if (firstBad) {
      // The title is always there: focus it now. Another field may have just been revealed: focus it once rendered.
      if (firstBad === 'title') titleRef.current?.focus();
      else {
        setExpanded(true);
        setTimeout(() => (firstBad === 'tags' ? tagsRef.current : document.getElementById(`${id}-${firstBad}`))?.focus());
      }
      return;
    }
    const parsed = parseTags(values.tags);
    if (!parsed.ok) return;
    const sent = values;
    if (values.remind) {
      try {
        await loadZone();
      } catch {
        setFormError('The reminder cannot be read without a part of the app that did not load. Check your connection and try again.');
        return;
      }
    }
    const out = valuesOf(values, parsed.tags, timeZone, original);
    let key = '';
    if (!task) {
      const body = JSON.stringify(out);
      key = lastCreate.current?.body === body ? lastCreate.current.key : newIdempotencyKey();
      lastCreate.current = { key, body };
      setValues(EMPTY);
      titleRef.current?.focus();
    }
    try {
      await onSubmit(out, sent, key);
      if (lastCreate.current?.key === key) lastCreate.current = null;
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
        if (sent.description || sent.tags || sent.dueDate || sent.priority !== 'medium' || sent.repeat || sent.remind) setExpanded(true);
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

  const describedBy = (field: keyof FieldErrors, hint?: string) => [errors[field] ? `${id}-${field}-error` : '', hint ?? ''].filter(Boolean).join(' ') || undefined;
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
      <div className="field">
        <label htmlFor={`${id}-repeat`}>Repeat</label>
        <select id={`${id}-repeat`} value={values.repeat} onChange={(e) => set('repeat', e.target.value as FormDraft['repeat'])}>
          <option value="">Does not repeat</option>
          {FREQUENCIES.map((f) => (
            <option key={f} value={f}>
              {REPEAT_LABELS[f]}
            </option>
          ))}
        </select>
      </div>
      {values.repeat && (
        <>
          <div className="field">
            <label htmlFor={`${id}-interval`}>Every</label>
            <div className="with-unit">
              <input
                id={`${id}-interval`}
                inputMode="numeric"
                value={values.interval}
                onChange={(e) => set('interval', e.target.value)}
                aria-invalid={Boolean(errors.interval)}
                aria-describedby={describedBy('interval', `${id}-unit`)}
              />
              <span id={`${id}-unit`}>{UNIT_LABELS[values.repeat]}</span>
            </div>
            {fieldError('interval')}
          </div>
          {values.repeat === 'weekly' && (
            <fieldset className="weekdays">
              <legend>On</legend>
              {WEEKDAYS.map((d) => (
                <label key={d} className="weekday">
                  <input
                    type="checkbox"
                    checked={values.weekdays.includes(d)}
                    onChange={(e) => set('weekdays', e.target.checked ? [...values.weekdays, d] : values.weekdays.filter((x) => x !== d))}
                  />
                  <span aria-hidden="true">{weekdayName(d, locale)}</span>
                  <span className="sr-only">{weekdayName(d, locale, 'long')}</span>
                </label>
              ))}
            </fieldset>
          )}
          <div className="field">
            <label htmlFor={`${id}-ends`}>Ends</label>
            <select id={`${id}-ends`} value={values.ends} onChange={(e) => set('ends', e.target.value as FormDraft['ends'])}>
              <option value="never">Never</option>
              <option value="until">On a date</option>
              <option value="count">After N times</option>
            </select>
          </div>
          {values.ends === 'until' && (
            <div className="field">
              <label htmlFor={`${id}-until`}>Last date</label>
              <input
                id={`${id}-until`}
                type="date"
                value={values.until}
                onChange={(e) => set('until', e.target.value)}
                aria-invalid={Boolean(errors.until)}
                aria-describedby={describedBy('until')}
              />
              {fieldError('until')}
            </div>
          )}
          {values.ends === 'count' && (
            <div className="field">
              <label htmlFor={`${id}-count`}>Times in all</label>
              <input
                id={`${id}-count`}
                inputMode="numeric"
                value={values.count}
                onChange={(e) => set('count', e.target.value)}
                aria-invalid={Boolean(errors.count)}
                aria-describedby={describedBy('count')}
              />
              {fieldError('count')}
            </div>
          )}
        </>
      )}
      <div className="field reminder-field">
        <label htmlFor={`${id}-remind`}>
          Reminder <span className="optional">(optional)</span>
        </label>
        <input id={`${id}-remind`} type="datetime-local" value={values.remind} onChange={(e) => set('remind', e.target.value)} aria-describedby={`${id}-remind-zone`} />
        <p id={`${id}-remind-zone`} className="hint">
          {timeZone} time{values.repeat && values.remind ? '; each next one at the same time' : ''}
          {notifications === 'denied' && values.remind ? '. Browser notifications are blocked: reminders show here.' : ''}
        </p>
        {notifications === 'default' && values.remind && (
          <button type="button" className="ghost small" onClick={requestNotifications}>
            Also notify me in the browser
          </button>
        )}
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
      {/* First, where it is seen: why the last save was refused (a task changed elsewhere says what changed). */}
      {formErrorLine}
      <div className="field title-field">
        <label htmlFor={`${id}-title`}>Title</label>
        {title}
        {fieldError('title')}
      </div>
      {details}
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
