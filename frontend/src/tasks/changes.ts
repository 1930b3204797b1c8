import type { RecurrenceInput, Task, TaskCreate, TaskUpdate } from '@todo/contract';
import { formatDate } from '../dates';
import { describeRecurrence, formatReminder } from './describe';

/**
 * A change the user made that the list shows before the server has confirmed it (optimistic UI).
 * `settledAt` is set when the server confirmed it: from then on a list loaded after that moment
 * already contains it, and the change is dropped (see dropConfirmed). A change the server refused
 * is removed at once, which rolls the list back.
 */
export type Change =
  | { key: number; kind: 'create'; task: Task; settledAt?: number }
  | { key: number; kind: 'update'; id: string; patch: TaskUpdate; settledAt?: number }
  | { key: number; kind: 'delete'; id: string; settledAt?: number };

/** A change as it is started (the key is given then). */
export type NewChange = { [K in Change['kind']]: Omit<Extract<Change, { kind: K }>, 'key'> }[Change['kind']];

/**
 * A task as the list shows it: `saving` while one of its changes is not confirmed yet; `local`
 * while it exists only here (created, the server has not answered: it has no id to act on yet).
 */
export type ViewTask = Task & { saving: boolean; local: boolean };

/** A task field-for-field with an update applied; completedAt follows `completed`. */
export function patchTask(task: Task, patch: TaskUpdate, now: string): Task {
  const out: Task = { ...task };
  if (patch.title !== undefined) out.title = patch.title;
  if (patch.description !== undefined) out.description = patch.description;
  if (patch.priority !== undefined) out.priority = patch.priority;
  if (patch.tags !== undefined) out.tags = patch.tags;
  if (patch.dueDate !== undefined) out.dueDate = patch.dueDate;
  if (patch.completed !== undefined) {
    out.completed = patch.completed;
    out.completedAt = patch.completed ? (task.completedAt ?? now) : null;
  }
  if (patch.remindAt !== undefined) out.remindAt = patch.remindAt;
  if (patch.recurrence !== undefined) {
    const r = patch.recurrence;
    // What the server will answer, near enough to show until it does (it fills in the series' zone).
    out.recurrence = r && {
      frequency: r.frequency,
      interval: r.interval ?? 1,
      weekdays: r.weekdays ?? [],
      until: r.until ?? null,
      count: r.count ?? null,
      timeZone: task.recurrence?.timeZone ?? '',
    };
  }
  return out;
}

/** The fields of `values` that differ from `task`: what an edit sends (an unchanged rule is not sent, so its series stays as it is). */
export function diffPatch(task: Task, values: Required<TaskCreate>): TaskUpdate {
  const patch: TaskUpdate = {};
  if (values.title !== task.title) patch.title = values.title;
  if (values.description !== task.description) patch.description = values.description;
  if (values.priority !== task.priority) patch.priority = values.priority;
  if (values.tags.join('\n') !== task.tags.join('\n')) patch.tags = values.tags;
  if (values.dueDate !== task.dueDate) patch.dueDate = values.dueDate;
  if (values.remindAt !== task.remindAt) patch.remindAt = values.remindAt;
  const rule = (r: RecurrenceInput | null | undefined) =>
    r ? JSON.stringify([r.frequency, r.interval ?? 1, [...(r.weekdays ?? [])].sort(), r.until ?? null, r.count ?? null]) : 'none';
  if (rule(values.recurrence) !== rule(task.recurrence)) patch.recurrence = values.recurrence;
  return patch;
}

/**
 * What another device changed, in words, comparing the task as the user saw it with the server's
 * copy now (`null`: deleted). Shown with a 412, so the user knows what they would have overwritten.
 */
export function describeTaskChanges(before: Task, after: Task | null, locale: string, timeZone: string): string[] {
  if (!after) return ['it was deleted'];
  const out: string[] = [];
  if (after.title !== before.title) out.push(`the title is now “${after.title}”`);
  if (after.description !== before.description) out.push(after.description ? 'the description changed' : 'the description was removed');
  if (after.priority !== before.priority) out.push(`the priority is now ${after.priority}`);
  if (after.tags.join() !== before.tags.join()) out.push(after.tags.length ? `the tags are now ${after.tags.map((t) => `#${t}`).join(' ')}` : 'the tags were removed');
  if (after.dueDate !== before.dueDate) out.push(after.dueDate ? `it is now due ${formatDate(after.dueDate, locale)}` : 'the due date was removed');
  if (after.completed !== before.completed) out.push(after.completed ? 'it was marked done' : 'it was marked not done');
  const rule = (t: Task) => (t.recurrence ? describeRecurrence(t.recurrence, locale, timeZone) : '');
  if (rule(after) !== rule(before)) out.push(after.recurrence ? `it now ${rule(after).replace(/^R/, 'r')}` : 'it no longer repeats');
  if (after.remindAt !== before.remindAt) out.push(after.remindAt ? `the reminder is now ${formatReminder(after.remindAt, locale, timeZone)}` : 'the reminder was removed');
  return out.length ? out : ['it was saved again'];
}

/**
 * The list the user sees: the server's page with the pending changes applied in the order they
 * were made. New tasks go first (the list's default order is newest first; the reload after the
 * server confirmed puts them where the current sort wants them).
 */
export function applyChanges(items: readonly Task[], changes: readonly Change[], now: string): ViewTask[] {
  const serverIds = new Set(items.map((t) => t.id));
  let out: ViewTask[] = items.map((t) => ({ ...t, saving: false, local: false }));
  for (const c of changes) {
    const pending = c.settledAt === undefined;
    if (c.kind === 'create') {
      if (!serverIds.has(c.task.id)) out = [{ ...c.task, saving: pending, local: pending }, ...out];
    } else if (c.kind === 'update') {
      out = out.map((t) => (t.id === c.id ? { ...patchTask(t, c.patch, now), saving: t.saving || pending, local: t.local } : t));
    } else {
      out = out.filter((t) => t.id !== c.id);
    }
  }
  return out;
}

/** The changes a list loaded after `loadStartedAt` does not reflect yet. */
export function dropConfirmed(changes: readonly Change[], loadStartedAt: number): Change[] {
  return changes.filter((c) => c.settledAt === undefined || c.settledAt > loadStartedAt);
}

/** The number of matching tasks once the pending creates and deletes are counted in. */
export function adjustedTotal(total: number, items: readonly Task[], changes: readonly Change[]): number {
  const serverIds = new Set(items.map((t) => t.id));
  let n = total;
  for (const c of changes) {
    if (c.kind === 'create' && !serverIds.has(c.task.id)) n++;
    if (c.kind === 'delete' && serverIds.has(c.id)) n--;
  }
  return Math.max(0, n);
}

/**
 * Runs `fn` over `items`, at most `concurrency` at a time, reporting each outcome as it comes:
 * bulk actions send one request per task (the API has no bulk endpoint), without flooding it.
 */
export async function runEach<T>(
  items: readonly T[],
  fn: (item: T) => Promise<unknown>,
  onResult: (item: T, error: unknown) => void,
  concurrency = 4,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
        onResult(item, undefined);
      } catch (err) {
        onResult(item, err ?? new Error('failed'));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
