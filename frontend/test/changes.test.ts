import type { Task } from '@todo/contract';
import { adjustedTotal, applyChanges, type Change, describeTaskChanges, diffPatch, dropConfirmed, patchTask, runEach } from '../src/tasks/changes';
import { describeRecurrence, formatReminder } from '../src/tasks/describe';

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
  version: 1,
  recurrence: null,
  seriesId: null,
  occurrence: null,
  remindAt: null,
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

describe('edits, conflicts and recurring tasks in words', () => {
  const weekly = { frequency: 'weekly' as const, interval: 1, weekdays: [1], until: null, count: null, timeZone: 'Europe/Berlin' };
  const base = task('a', { title: 'Bins', dueDate: '2030-03-25', recurrence: weekly, remindAt: '2030-03-25T08:00:00.000Z' });
  const values = { title: 'Bins', description: '', priority: 'medium' as const, tags: [], dueDate: '2030-03-25', recurrence: { ...weekly }, remindAt: base.remindAt };

  it('an edit sends only the fields that changed; the same rule again is not a change (its series stays)', () => {
    expect(diffPatch(base, values)).toEqual({});
    expect(diffPatch(base, { ...values, recurrence: { frequency: 'weekly', interval: 1, weekdays: [1], until: null, count: null } })).toEqual({});
    expect(diffPatch(base, { ...values, title: 'Bins!', dueDate: '2030-03-26' })).toEqual({ title: 'Bins!', dueDate: '2030-03-26' });
    expect(diffPatch(base, { ...values, recurrence: { ...weekly, weekdays: [1, 4] } })).toEqual({ recurrence: { ...weekly, weekdays: [1, 4] } });
    expect(diffPatch(base, { ...values, recurrence: null, remindAt: null })).toEqual({ recurrence: null, remindAt: null });
    expect(diffPatch(task('b'), { ...values, title: 'Task b', dueDate: null, recurrence: null, remindAt: null })).toEqual({});
  });

  it('shows a new rule and reminder at once (the server fills in the zone it keeps)', () => {
    const p = patchTask(task('b'), { recurrence: { frequency: 'daily', interval: 2 }, remindAt: '2030-01-01T08:00:00.000Z' }, NOW);
    expect(p.recurrence).toEqual({ frequency: 'daily', interval: 2, weekdays: [], until: null, count: null, timeZone: '' });
    expect(p.remindAt).toBe('2030-01-01T08:00:00.000Z');
    expect(patchTask(base, { recurrence: null }, NOW).recurrence).toBeNull();
  });

  it('says what another device changed (a 412), in the page’s words and the user’s zone', () => {
    const after = { ...base, title: 'Bins and recycling', tags: ['home'], completed: true, recurrence: { ...weekly, interval: 2 }, remindAt: '2030-03-25T17:30:00.000Z', version: 4 };
    expect(describeTaskChanges(base, after, 'en-GB', 'Europe/Berlin')).toEqual([
      'the title is now “Bins and recycling”',
      'the tags are now #home',
      'it was marked done',
      'it now repeats every 2 weeks on Mon',
      'the reminder is now Mon 25 Mar, 18:30',
    ]);
    expect(describeTaskChanges(base, { ...base, dueDate: null, recurrence: null, version: 2 }, 'en-GB', 'Europe/Berlin')).toEqual(['the due date was removed', 'it no longer repeats']);
    expect(describeTaskChanges(base, null, 'en-GB', 'UTC')).toEqual(['it was deleted']);
    expect(describeTaskChanges(base, { ...base, version: 2 }, 'en-GB', 'UTC')).toEqual(['it was saved again']);
  });

  it('describes rules and reminder times; a series kept in another zone says so', () => {
    expect(describeRecurrence({ ...weekly, weekdays: [1, 4] }, 'en-GB', 'Europe/Berlin')).toBe('Repeats weekly on Mon, Thu');
    expect(describeRecurrence({ frequency: 'daily', interval: 3, weekdays: [], until: '2030-06-30', count: null }, 'en-GB', 'UTC')).toBe('Repeats every 3 days until 30 Jun 2030');
    expect(describeRecurrence({ frequency: 'monthly', interval: 1, weekdays: [], until: null, count: 1, timeZone: 'America/New_York' }, 'en-US', 'Europe/Berlin')).toBe(
      'Repeats monthly · 1 time (America/New_York time)',
    );
    // The same instant before and after Berlin's change to summer time: 9:00 local both times.
    expect(formatReminder('2030-03-25T08:00:00.000Z', 'en-GB', 'Europe/Berlin')).toBe('Mon 25 Mar, 09:00');
    expect(formatReminder('2030-04-01T07:00:00.000Z', 'en-GB', 'Europe/Berlin')).toBe('Mon 1 Apr, 09:00');
  });
});
