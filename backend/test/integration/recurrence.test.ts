/**
 * Recurring tasks on PostgreSQL with two replicas (two built servers, one database): the next
 * occurrence exists exactly once however many completions, reopenings, skips and retries race for it.
 * Duplicates are counted in the database itself, not through the API.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { API_ROUTES, type Task } from '@todo/contract';
import { DATABASE_URL } from './env';
import { request, type Server, startServer } from './servers';

let a: Server;
let b: Server;
let sql: pg.Client;
let token: string;

beforeAll(async () => {
  [a, b] = await Promise.all([startServer(), startServer()]);
  sql = new pg.Client({ connectionString: DATABASE_URL });
  await sql.connect();
  const r = await request(a.port, 'POST', API_ROUTES.signup, {
    body: { email: `rec-${randomUUID()}@example.test`, password: 'integration password', timeZone: 'Europe/Berlin' },
  });
  expect(r.status).toBe(201);
  token = JSON.parse(r.body).token;
}, 60_000);
afterAll(async () => {
  await sql.end();
  for (const s of [a, b]) s.child.kill('SIGTERM');
  await Promise.all([a.exited, b.exited]);
});

/** `n` requests at once, alternating between the two replicas. */
const both = (n: number, send: (port: number, i: number) => Promise<{ status: number; body: string; headers: Record<string, unknown> }>) =>
  Promise.all(Array.from({ length: n }, (_, i) => send(i % 2 ? b.port : a.port, i)));

/** The series' rows as the database has them: occurrence, due date, completed. */
async function rows(seriesId: string) {
  const r = await sql.query<{ occurrence: number; due: string; completed: boolean; version: number; id: string }>(
    "select id, occurrence, to_char(due_date, 'YYYY-MM-DD') as due, completed, version from tasks where series_id = $1 order by occurrence, created_at",
    [seriesId],
  );
  return r.rows;
}

/** Occurrence numbers that exist more than once (must be none). */
async function duplicates(seriesId: string) {
  const r = await sql.query<{ occurrence: number; n: number }>('select occurrence, count(*)::int as n from tasks where series_id = $1 group by occurrence having count(*) > 1', [seriesId]);
  return r.rows;
}

describe('the next occurrence is created exactly once (two replicas, one PostgreSQL)', () => {
  let task: Task;

  it('ten simultaneous retries of one create with the same Idempotency-Key make one task and one series', async () => {
    const body = { title: 'Take out the bins', dueDate: '2030-03-25', recurrence: { frequency: 'weekly', weekdays: [1] }, remindAt: '2030-03-25T09:00:00+01:00' };
    const answers = await both(10, (port) => request(port, 'POST', API_ROUTES.tasks, { token, body, headers: { 'idempotency-key': 'bins-create-1' } }));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(201));
    const ids = new Set(answers.map((r) => JSON.parse(r.body).id));
    expect(ids.size).toBe(1);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    task = JSON.parse(answers[0]!.body);
    const series = await sql.query('select count(*)::int as n from task_series where id = $1', [task.seriesId]);
    expect(series.rows[0].n).toBe(1);
    expect(await rows(task.seriesId!)).toEqual([expect.objectContaining({ occurrence: 1, due: '2030-03-25', completed: false })]);
  });

  it('20 simultaneous completions (10 per replica, half with If-Match), then 5 retries, five times over: one new occurrence each time', async () => {
    let open = task;
    const expected = ['2030-03-25'];
    for (let round = 1; round <= 5; round++) {
      const results = await both(20, (port, i) =>
        request(port, 'PATCH', API_ROUTES.task(open.id), { token, body: { completed: true }, headers: i % 4 < 2 ? { 'if-match': `"${open.version}"` } : {} }),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 412)).toBe(true);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
      // A client that lost its answer retries.
      for (let i = 0; i < 5; i++) expect((await request(i % 2 ? a.port : b.port, 'PATCH', API_ROUTES.task(open.id), { token, body: { completed: true } })).status).toBe(200);
      expect(await duplicates(task.seriesId!)).toEqual([]);
      const all = await rows(task.seriesId!);
      expected.push(new Date(Date.parse(`${expected[expected.length - 1]}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10));
      expect(all.map((r) => [r.occurrence, r.due, r.completed])).toEqual(expected.map((d, i) => [i + 1, d, i < round]));
      const next = all[round]!;
      open = JSON.parse((await request(b.port, 'GET', API_ROUTES.task(next.id), { token })).body);
    }
    // The reminder kept 9:00 in Berlin across the change to summer time (31 March 2030).
    expect(open.remindAt).toBe('2030-04-29T07:00:00.000Z');
    task = open;
  });

  it('20 simultaneous completions and reopenings of one occurrence: its next one exists exactly when it ends completed', async () => {
    for (let round = 0; round < 3; round++) {
      const results = await both(20, (port, i) => request(port, 'PATCH', API_ROUTES.task(task.id), { token, body: { completed: (i * 7 + round) % 3 !== 0 } }));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(await duplicates(task.seriesId!)).toEqual([]);
      const all = await rows(task.seriesId!);
      const self = all.find((r) => r.id === task.id)!;
      const after = all.filter((r) => r.occurrence === self.occurrence + 1);
      expect(after).toHaveLength(self.completed ? 1 : 0);
    }
  });

  it('20 simultaneous deletes of the open occurrence (skip it) from both replicas: one 204, one next occurrence', async () => {
    const open = await rows(task.seriesId!).then((all) => all.filter((r) => !r.completed));
    const target = open[open.length - 1]!;
    const before = (await rows(task.seriesId!)).length;
    const results = await both(20, (port) => request(port, 'DELETE', API_ROUTES.task(target.id), { token }));
    expect(results.map((r) => r.status).sort()).toEqual([204, ...Array(19).fill(404)]);
    expect(await duplicates(task.seriesId!)).toEqual([]);
    const all = await rows(task.seriesId!);
    expect(all).toHaveLength(before);
    expect(all[all.length - 1]).toMatchObject({ occurrence: target.occurrence + 1, completed: false });
  });

  it('deleting the series from one replica while the other completes: nothing is left half-done', async () => {
    const open = (await rows(task.seriesId!)).filter((r) => !r.completed).pop()!;
    const [del, done] = await Promise.all([
      request(a.port, 'DELETE', `${API_ROUTES.task(open.id)}?scope=series`, { token }),
      request(b.port, 'PATCH', API_ROUTES.task(open.id), { token, body: { completed: true } }),
    ]);
    expect(del.status).toBe(204);
    expect([200, 404]).toContain(done.status);
    expect(await rows(task.seriesId!)).toEqual([]);
    expect((await sql.query('select count(*)::int as n from task_series where id = $1', [task.seriesId])).rows[0].n).toBe(0);
  });
});
