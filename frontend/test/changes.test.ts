import type { Task } from '@todo/contract';
import { adjustedTotal, applyChanges, type Change, dropConfirmed, patchTask, runEach } from '../src/tasks/changes';

const NOW = '2026-11-28T10:00:00.000Z';
const task = (id: string, extra: Partial<Task> = {}): Task => ({
  id,
  title: `Task ${id}`,
  description: '',
  priority: 'medium',
  tags: [],
  dueDate: null,
  completed: false,
  completedAt: null,
  createdAt: NOW,
  updatedAt: NOW,
  ...extra,
});
const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

describe('optimistic changes over the server’s page', () => {
  const server = [task('a'), task('b'), task('c')];

  it('shows a new task first, marked as saving and local until the server answers', () => {
    const pending: Change[] = [{ key: 1, kind: 'create', task: task('new-1', { title: 'Fresh' }) }];
    const view = applyChanges(server, pending, NOW);
    expect(ids(view)).toEqual(['new-1', 'a', 'b', 'c']);
    expect(view[0]).toMatchObject({ title: 'Fresh', saving: true, local: true });
    expect(view[1]).toMatchObject({ saving: false, local: false });
    // Confirmed: the server's copy (its id) replaces the local one, and is not shown twice once
    // the reloaded page holds it.
    const confirmed: Change[] = [{ key: 1, kind: 'create', task: task('d'), settledAt: 1 }];
    expect(ids(applyChanges(server, confirmed, NOW))).toEqual(['d', 'a', 'b', 'c']);
    expect(applyChanges(server, confirmed, NOW)[0]).toMatchObject({ saving: false, local: false });
    expect(ids(applyChanges([task('d'), ...server], confirmed, NOW))).toEqual(['d', 'a', 'b', 'c']);
  });

  it('applies edits and completion in order, and hides deleted tasks', () => {
    const changes: Change[] = [
      { key: 1, kind: 'update', id: 'b', patch: { title: 'Renamed', completed: true } },
      { key: 2, kind: 'update', id: 'b', patch: { completed: false }, settledAt: 3 },
      { key: 3, kind: 'delete', id: 'c' },
    ];
    const view = applyChanges(server, changes, NOW);
    expect(ids(view)).toEqual(['a', 'b']);
    expect(view[1]).toMatchObject({ title: 'Renamed', completed: false, completedAt: null, saving: true });
    // The server's page itself is left alone (a rollback is dropping the change).
    expect(server[1]!.title).toBe('Task b');
    expect(ids(applyChanges(server, changes.slice(0, 2), NOW))).toEqual(['a', 'b', 'c']);
  });

  it('keeps completedAt when completing an already completed task, sets it otherwise', () => {
    expect(patchTask(task('a'), { completed: true }, NOW).completedAt).toBe(NOW);
    expect(patchTask(task('a', { completed: true, completedAt: '2026-01-01T00:00:00Z' }), { completed: true }, NOW).completedAt).toBe('2026-01-01T00:00:00Z');
    expect(patchTask(task('a'), { dueDate: null, tags: ['x'] }, NOW)).toMatchObject({ dueDate: null, tags: ['x'] });
  });

  it('drops a change only once a list loaded after its confirmation arrives', () => {
    const changes: Change[] = [
      { key: 1, kind: 'update', id: 'a', patch: { title: 'x' } },
      { key: 2, kind: 'update', id: 'b', patch: { title: 'y' }, settledAt: 4 },
      { key: 3, kind: 'delete', id: 'c', settledAt: 6 },
    ];
    // A load started when 5 confirmations had happened reflects the one confirmed at 4, not the one at 6.
    expect(dropConfirmed(changes, 5).map((c) => c.key)).toEqual([1, 3]);
    expect(dropConfirmed(changes, 6).map((c) => c.key)).toEqual([1]);
    expect(dropConfirmed(changes, 3).map((c) => c.key)).toEqual([1, 2, 3]);
  });

  it('counts pending creates and deletes into the total', () => {
    const changes: Change[] = [
      { key: 1, kind: 'create', task: task('new-1') },
      { key: 2, kind: 'delete', id: 'a' },
      { key: 3, kind: 'delete', id: 'zz' }, // not on this page: the server's total already lacks or holds it
    ];
    expect(adjustedTotal(10, server, changes)).toBe(10);
    expect(adjustedTotal(3, server, changes.slice(1))).toBe(2);
    expect(adjustedTotal(0, [], [{ key: 1, kind: 'delete', id: 'a' }])).toBe(0);
  });
});

describe('runEach', () => {
  it('runs at most `concurrency` at a time and reports every outcome', async () => {
    let running = 0;
    let peak = 0;
    const outcomes: string[] = [];
    await runEach(
      [1, 2, 3, 4, 5, 6, 7],
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (n % 3 === 0) throw new Error(`no ${n}`);
      },
      (n, err) => outcomes.push(err ? `${n}:${(err as Error).message}` : `${n}:ok`),
      3,
    );
    expect(peak).toBe(3);
    expect(outcomes.sort()).toEqual(['1:ok', '2:ok', '3:no 3', '4:ok', '5:ok', '6:no 6', '7:ok']);
  });

  it('does nothing for no items', async () => {
    const seen: number[] = [];
    await runEach([], async () => undefined, (n: number) => seen.push(n));
    expect(seen).toEqual([]);
  });
});
