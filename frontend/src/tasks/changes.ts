import type { Task, TaskUpdate } from '@todo/contract';

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
  return out;
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
