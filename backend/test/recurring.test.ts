/**
 * Recurring tasks, reminders and the user's time zone through the API (PGlite, Fastify inject): the
 * next occurrence on completion (once), reopening, skipping, ending and deleting a series, rule
 * changes, reminders carried across daylight saving, acknowledgement, validation and the quota.
 * Dates are in 2030 and later, so that "today" never skips them.
 */
import { API_ROUTES, type ReminderList, type Settings, type Task, type TaskPage } from '@todo/contract';
import { localDateTime } from '@todo/contract/recurrence';
import type { Backend } from '../src/app';
import type { Database } from '../src/db/types';
import { call, PASSWORD, signup, testBackend, testDatabase, uniqueEmail } from './helpers';

let db: Database;
let backend: Backend;
const BERLIN = 'Europe/Berlin';

beforeAll(async () => {
  db = await testDatabase();
  backend = testBackend(db);
}, 60_000);
afterAll(async () => {
  await backend.app.close();
  await db.close();
});

/** A new user whose stored zone is `timeZone` (sent at sign-up, as the web app does). */
async function user(timeZone = BERLIN) {
  const email = uniqueEmail('rec');
  const res = await call(backend, 'POST', API_ROUTES.signup, { body: { email, password: PASSWORD, timeZone } });
  expect(res.status).toBe(201);
  const token = res.body.token as string;
  const api = {
    token,
    email,
    create: async (body: object, headers: Record<string, string> = {}) => call(backend, 'POST', API_ROUTES.tasks, { token, body, headers }),
    patch: async (id: string, body: object, headers: Record<string, string> = {}) => call(backend, 'PATCH', API_ROUTES.task(id), { token, body, headers }),
    get: async (id: string) => (await call(backend, 'GET', API_ROUTES.task(id), { token })).body as Task,
    remove: async (id: string, scope?: string) => call(backend, 'DELETE', `${API_ROUTES.task(id)}${scope ? `?scope=${scope}` : ''}`, { token }),
    /** Every task of a series, by occurrence. */
    series: async (seriesId: string) => {
      const page = (await call(backend, 'GET', `${API_ROUTES.tasks}?pageSize=100`, { token })).body as TaskPage;
      return page.items.filter((t) => t.seriesId === seriesId).sort((a, b) => a.occurrence! - b.occurrence!);
    },
    reminders: async (within = 0) => (await call(backend, 'GET', `${API_ROUTES.reminders}?within=${within}`, { token })).body as ReminderList,
  };
  return api;
}

const weeklyMonday = { frequency: 'weekly', weekdays: [1] };

describe('the user’s time zone', () => {
  it('is stored from sign-up and log-in, read and changed in the settings; unknown zones are refused', async () => {
    const u = await user('America/New_York');
    const settings = async () => (await call(backend, 'GET', API_ROUTES.settings, { token: u.token })).body as Settings;
    expect(await settings()).toEqual({ timeZone: 'America/New_York' });
    const login = await call(backend, 'POST', API_ROUTES.login, { body: { email: u.email, password: PASSWORD, timeZone: 'europe/berlin' } });
    expect(login.status).toBe(200);
    expect(await settings()).toEqual({ timeZone: BERLIN });
    expect((await call(backend, 'PATCH', API_ROUTES.settings, { token: u.token, body: { timeZone: 'Asia/Tokyo' } })).body).toEqual({ timeZone: 'Asia/Tokyo' });
    expect(await settings()).toEqual({ timeZone: 'Asia/Tokyo' });

    const unknown = await call(backend, 'PATCH', API_ROUTES.settings, { token: u.token, body: { timeZone: 'Mars/Olympus_Mons' } });
    expect([unknown.status, unknown.body.message]).toEqual([422, 'body/timeZone "Mars/Olympus_Mons" is not a time zone this server knows; use an IANA name such as Europe/Berlin']);
    const malformed = await call(backend, 'PATCH', API_ROUTES.settings, { token: u.token, body: { timeZone: '+01:00' } });
    expect([malformed.status, malformed.body.message]).toEqual([400, 'body/timeZone must be an IANA time zone name such as Europe/Berlin']);
    const surrogate = await call(backend, 'PATCH', API_ROUTES.settings, { token: u.token, body: '{"timeZone":"Europe/\\ud800"}' });
    expect([surrogate.status, surrogate.body.message]).toEqual([400, 'body/timeZone must not contain unpaired UTF-16 surrogates']);
    const badLogin = await call(backend, 'POST', API_ROUTES.login, { body: { email: u.email, password: PASSWORD, timeZone: 'Nowhere/City' } });
    expect(badLogin.status).toBe(422);
    expect(await settings()).toEqual({ timeZone: 'Asia/Tokyo' });
    // Without a zone (an older client), sign-up stores UTC and log-in keeps what is stored.
    const plain = await signup(backend);
    expect((await call(backend, 'GET', API_ROUTES.settings, { token: plain.token })).body).toEqual({ timeZone: 'UTC' });
    expect((await call(backend, 'GET', API_ROUTES.settings)).status).toBe(401);
  });
});

describe('recurring tasks', () => {
  it('completing an occurrence creates the next one once, with the reminder at the same local time across the change to summer time', async () => {
    const u = await user();
    // Monday 25 March 2030, reminder 9:00 in Berlin (CET, +1); Berlin changes to CEST (+2) on 31 March.
    const res = await u.create({ title: 'Take out the bins', tags: ['home'], dueDate: '2030-03-25', recurrence: weeklyMonday, remindAt: '2030-03-25T09:00:00+01:00' });
    expect(res.status).toBe(201);
    const first = res.body as Task;
    expect(first).toMatchObject({
      dueDate: '2030-03-25',
      remindAt: '2030-03-25T08:00:00.000Z',
      occurrence: 1,
      seriesId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      recurrence: { frequency: 'weekly', interval: 1, weekdays: [1], until: null, count: null, timeZone: BERLIN },
    });
    expect((await u.get(first.id)).recurrence).toEqual(first.recurrence);

    const done = await u.patch(first.id, { completed: true }, { 'if-match': '"1"' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ completed: true, occurrence: 1 });
    const [one, two, ...more] = await u.series(first.seriesId!);
    expect(more).toEqual([]);
    expect(one!.id).toBe(first.id);
    expect(two).toMatchObject({ title: 'Take out the bins', tags: ['home'], dueDate: '2030-04-01', occurrence: 2, completed: false, version: 1, remindAt: '2030-04-01T07:00:00.000Z' });
    expect(localDateTime(two!.remindAt!, BERLIN)).toBe('2030-04-01T09:00');

    // Completing it again, at once from many requests, adds nothing.
    const again = await Promise.all(Array.from({ length: 10 }, () => u.patch(first.id, { completed: true })));
    expect(again.every((r) => r.status === 200)).toBe(true);
    expect((await u.series(first.seriesId!)).map((t) => t.occurrence)).toEqual([1, 2]);
  });

  it('many simultaneous completions of one occurrence create exactly one next occurrence', async () => {
    const u = await user();
    const t = (await u.create({ title: 'Daily stand-up', dueDate: '2030-05-06', recurrence: { frequency: 'daily' } })).body as Task;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => u.patch(t.id, { completed: true }, i % 2 ? { 'if-match': '"1"' } : {})));
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.status === 200 || r.status === 412)).toBe(true);
    const series = await u.series(t.seriesId!);
    expect(series.map((x) => [x.occurrence, x.dueDate, x.completed])).toEqual([
      [1, '2030-05-06', true],
      [2, '2030-05-07', false],
    ]);
  });

  it('reopening takes back the next occurrence if nobody changed it; a changed one stays, and completing again adds nothing', async () => {
    const u = await user();
    const t = (await u.create({ title: 'Water plants', dueDate: '2030-06-03', recurrence: { frequency: 'weekly', interval: 2 } })).body as Task;
    await u.patch(t.id, { completed: true });
    expect((await u.series(t.seriesId!)).map((x) => x.dueDate)).toEqual(['2030-06-03', '2030-06-17']);
    await u.patch(t.id, { completed: false });
    expect((await u.series(t.seriesId!)).map((x) => x.occurrence)).toEqual([1]);
    await u.patch(t.id, { completed: true });
    const [, next] = await u.series(t.seriesId!);
    await u.patch(next!.id, { title: 'Water plants (and the ferns)' });
    await u.patch(t.id, { completed: false });
    await u.patch(t.id, { completed: true });
    const after = await u.series(t.seriesId!);
    expect(after.map((x) => [x.occurrence, x.title])).toEqual([
      [1, 'Water plants'],
      [2, 'Water plants (and the ferns)'],
    ]);
  });

  it('deleting an open occurrence skips it (the next one comes); scope=series deletes every occurrence', async () => {
    const u = await user();
    const t = (await u.create({ title: 'Gym', dueDate: '2030-07-01', recurrence: { frequency: 'weekly', weekdays: [1, 3] } })).body as Task;
    expect((await u.remove(t.id)).status).toBe(204);
    const [second] = await u.series(t.seriesId!);
    expect(second).toMatchObject({ occurrence: 2, dueDate: '2030-07-03' });
    await u.patch(second!.id, { completed: true });
    const [, third] = await u.series(t.seriesId!);
    expect(third).toMatchObject({ occurrence: 3, dueDate: '2030-07-08' });
    // A completed occurrence deleted alone: only it goes.
    expect((await u.remove(second!.id)).status).toBe(204);
    expect((await u.series(t.seriesId!)).map((x) => x.occurrence)).toEqual([3]);
    expect((await u.remove(third!.id, 'series')).status).toBe(204);
    expect(await u.series(t.seriesId!)).toEqual([]);
    expect((await call(backend, 'DELETE', `${API_ROUTES.task(third!.id)}?scope=everything`, { token: u.token })).body.message).toBe('querystring/scope must be one of: occurrence, series');
    // A plain task with scope=series is just deleted.
    const plain = (await u.create({ title: 'plain' })).body as Task;
    expect((await u.remove(plain.id, 'series')).status).toBe(204);
    const left = await db.query<{ n: number }>('select count(*)::int as n from task_series where id = $1', [t.seriesId]);
    expect(left.rows[0]!.n).toBe(0);
  });

  it('stopping the repetition (recurrence: null) makes every occurrence a plain task', async () => {
    const u = await user();
    const t = (await u.create({ title: 'Newsletter', dueDate: '2030-08-05', recurrence: { frequency: 'monthly' } })).body as Task;
    await u.patch(t.id, { completed: true });
    const [, next] = await u.series(t.seriesId!);
    const ended = await u.patch(next!.id, { recurrence: null });
    expect(ended.body).toMatchObject({ recurrence: null, seriesId: null, occurrence: null, dueDate: '2030-09-05' });
    expect(await u.get(t.id)).toMatchObject({ recurrence: null, seriesId: null, completed: true });
    await u.patch(next!.id, { completed: true });
    const page = (await call(backend, 'GET', `${API_ROUTES.tasks}?q=Newsletter`, { token: u.token })).body as TaskPage;
    expect(page.total).toBe(2);
  });

  it('a changed rule applies from the occurrence it was changed on; the others show it and have a new version', async () => {
    const u = await user();
    const t = (await u.create({ title: 'Report', dueDate: '2030-09-02', recurrence: weeklyMonday })).body as Task;
    await u.patch(t.id, { completed: true });
    const [, next] = await u.series(t.seriesId!);
    // Mondays → Wednesdays and Fridays, from this occurrence on (due 9 September, moved to Wednesday 11).
    const changed = await u.patch(next!.id, { dueDate: '2030-09-11', recurrence: { frequency: 'weekly', weekdays: [5, 3] } });
    expect(changed.body.recurrence).toMatchObject({ weekdays: [3, 5], timeZone: BERLIN });
    const first = await u.get(t.id);
    expect(first.recurrence).toEqual(changed.body.recurrence);
    expect(first.version).toBeGreaterThan(t.version + 1);
    await u.patch(next!.id, { completed: true });
    expect((await u.series(t.seriesId!)).map((x) => x.dueDate)).toEqual(['2030-09-02', '2030-09-11', '2030-09-13']);
    // The same rule sent again (a form that sends every field) changes nothing about the series.
    const [, , third] = await u.series(t.seriesId!);
    await u.patch(third!.id, { recurrence: { frequency: 'weekly', weekdays: [3, 5] } });
    await u.patch(third!.id, { completed: true });
    expect((await u.series(t.seriesId!)).map((x) => x.dueDate)).toEqual(['2030-09-02', '2030-09-11', '2030-09-13', '2030-09-18']);
    // A plain task gets a rule: it becomes occurrence 1 of a new series.
    const plain = (await u.create({ title: 'plain', dueDate: '2030-09-30' })).body as Task;
    const made = await u.patch(plain.id, { recurrence: { frequency: 'daily', interval: 2 } });
    expect(made.body).toMatchObject({ occurrence: 1, recurrence: { frequency: 'daily', interval: 2 } });
  });

  it('ends after `count` occurrences and after `until`', async () => {
    const u = await user();
    const counted = (await u.create({ title: 'Three times', dueDate: '2030-10-01', recurrence: { frequency: 'daily', count: 2 } })).body as Task;
    await u.patch(counted.id, { completed: true });
    const [, second] = await u.series(counted.seriesId!);
    await u.patch(second!.id, { completed: true });
    expect((await u.series(counted.seriesId!)).map((x) => x.occurrence)).toEqual([1, 2]);
    const until = (await u.create({ title: 'Until', dueDate: '2030-10-01', recurrence: { frequency: 'weekly', until: '2030-10-07' } })).body as Task;
    await u.patch(until.id, { completed: true });
    expect((await u.series(until.seriesId!)).map((x) => x.occurrence)).toEqual([1]);
  });

  it('monthly on the 31st: the next is the last day of February', async () => {
    const u = await user('America/New_York');
    const t = (await u.create({ title: 'Rent', dueDate: '2031-01-31', recurrence: { frequency: 'monthly' }, remindAt: '2031-01-31T08:15:00-05:00' })).body as Task;
    await u.patch(t.id, { completed: true });
    const [, feb] = await u.series(t.seriesId!);
    expect(feb).toMatchObject({ dueDate: '2031-02-28', remindAt: '2031-02-28T13:15:00.000Z' });
    await u.patch(feb!.id, { completed: true });
    expect((await u.series(t.seriesId!))[2]).toMatchObject({ dueDate: '2031-03-31', remindAt: '2031-03-31T12:15:00.000Z' });
  });

  it('a recurring task without a due date gets the first date of its rule from today (in the user’s zone); it cannot lose it', async () => {
    const u = await user('Pacific/Kiritimati');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(new Date());
    const t = (await u.create({ title: 'Daily', recurrence: { frequency: 'daily' } })).body as Task;
    expect(t.dueDate).toBe(today);
    const cleared = await u.patch(t.id, { dueDate: null });
    expect(cleared.body.dueDate).toBe(today);
  });

  it('creates with an Idempotency-Key once, series and all', async () => {
    const u = await user();
    const body = { title: 'Once', dueDate: '2030-11-04', recurrence: weeklyMonday };
    const answers = await Promise.all(Array.from({ length: 5 }, () => u.create(body, { 'idempotency-key': 'rec-key-1' })));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const n = await db.query<{ n: number }>('select count(*)::int as n from task_series s join users u on u.id = s.user_id where u.email = $1', [u.email]);
    expect(n.rows[0]!.n).toBe(1);
  });

  it('at the task quota, completing an occurrence is refused (403) and nothing changes', async () => {
    const small = testBackend(db, { taskQuota: 2 });
    try {
      const s = await signup(small);
      const t = (await call(small, 'POST', API_ROUTES.tasks, { token: s.token, body: { title: 'r', dueDate: '2030-12-02', recurrence: { frequency: 'daily' } } })).body as Task;
      await call(small, 'POST', API_ROUTES.tasks, { token: s.token, body: { title: 'other' } });
      const refused = await call(small, 'PATCH', API_ROUTES.task(t.id), { token: s.token, body: { completed: true } });
      expect(refused.status).toBe(403);
      expect(refused.body.message).toMatch(/^You have 2 tasks, .*completing this repeating task/);
      expect(((await call(small, 'GET', API_ROUTES.task(t.id), { token: s.token })).body as Task).completed).toBe(false);
      // A non-recurring change is fine, and so is skipping by deleting (one goes, one comes).
      expect((await call(small, 'PATCH', API_ROUTES.task(t.id), { token: s.token, body: { title: 'renamed' } })).status).toBe(200);
      expect((await call(small, 'DELETE', API_ROUTES.task(t.id), { token: s.token })).status).toBe(204);
      const page = (await call(small, 'GET', API_ROUTES.tasks, { token: s.token })).body as TaskPage;
      expect(page.items.map((x) => [x.title, x.occurrence, x.dueDate])).toEqual([
        ['renamed', 2, '2030-12-03'],
        ['other', null, null],
      ]);
    } finally {
      await small.app.close();
    }
  });

  it('validates the rule and the reminder, naming the field (400)', async () => {
    const u = await user();
    const bad = async (body: object) => {
      const res = await u.create({ title: 'x', ...body });
      expect(res.status).toBe(400);
      return res.body.message as string;
    };
    expect(await bad({ recurrence: { frequency: 'yearly' } })).toBe('body/recurrence/frequency must be one of: daily, weekly, monthly');
    expect(await bad({ recurrence: { frequency: 'daily', interval: 0 } })).toBe('body/recurrence/interval must be >= 1');
    expect(await bad({ recurrence: { frequency: 'daily', interval: 366 } })).toBe('body/recurrence/interval must be <= 365');
    expect(await bad({ recurrence: { frequency: 'daily', weekdays: [1] } })).toBe('body/recurrence/weekdays must be empty: weekdays are for a weekly rule only');
    expect(await bad({ recurrence: { frequency: 'weekly', weekdays: [0] } })).toBe('body/recurrence/weekdays/0 must be >= 1');
    expect(await bad({ recurrence: { frequency: 'weekly', weekdays: [1, 1] } })).toBe('body/recurrence/weekdays must not repeat an item');
    expect(await bad({ recurrence: { frequency: 'weekly', until: '2030-02-30' } })).toBe('body/recurrence/until must be a calendar date written YYYY-MM-DD, or null');
    expect(await bad({ recurrence: { frequency: 'weekly', count: 1001 } })).toBe('body/recurrence/count must be a whole number from 1 to 1000, or null');
    expect(await bad({ recurrence: { frequency: 'weekly', count: '3' } })).toBe('body/recurrence/count must be a whole number from 1 to 1000, or null');
    expect(await bad({ recurrence: { frequency: 'weekly', every: 2 } })).toBe('body/recurrence has an unknown field "every"');
    expect(await bad({ recurrence: {} })).toBe('body/recurrence must have the field "frequency"');
    expect(await bad({ recurrence: 'weekly' })).toBe('body/recurrence must be a rule {frequency, interval, weekdays, until, count}, or null');
    const instant = 'body/remindAt must be a date and time with an offset, ISO 8601 (e.g. 2026-03-30T07:00:00Z), years 0001 to 9999, or null';
    for (const remindAt of ['tomorrow', '2030-01-01T09:00:00', '2030-01-01T09:00:00Z\u0000', '0000-01-01T09:00:00Z', '2030-01-01T09:00:00.1234567890Z', 5]) {
      expect(await bad({ remindAt })).toBe(instant);
    }
    const ack = await call(backend, 'POST', API_ROUTES.remindersAcknowledge, { token: u.token, body: { items: [{ taskId: '00000000-0000-4000-8000-000000000000', remindAt: 'soon' }] } });
    expect([ack.status, ack.body.message]).toEqual([400, 'body/items/0/remindAt must be a date and time with an offset, ISO 8601 (e.g. 2026-03-30T07:00:00Z), years 0001 to 9999']);
    const surrogate = await call(backend, 'POST', API_ROUTES.tasks, { token: u.token, body: '{"title":"x","recurrence":{"frequency":"weekly","until":"\\udc00"}}' });
    expect([surrogate.status, surrogate.body.message]).toEqual([400, 'body/recurrence/until must not contain unpaired UTF-16 surrogates']);
  });
});

describe('reminders', () => {
  it('lists due ones (and, with within, those soon due), oldest first; acknowledging works across devices and keeps the version', async () => {
    const u = await user();
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const soon = new Date(Date.now() + 5 * 60_000).toISOString();
    const later = new Date(Date.now() + 3 * 3_600_000).toISOString();
    const a = (await u.create({ title: 'Came due while away', remindAt: past })).body as Task;
    const b = (await u.create({ title: 'Soon', remindAt: soon })).body as Task;
    await u.create({ title: 'Later', remindAt: later });
    await u.create({ title: 'No reminder' });
    const done = (await u.create({ title: 'Done already', remindAt: past })).body as Task;
    await u.patch(done.id, { completed: true });

    const now = await u.reminders();
    expect(Math.abs(Date.parse(now.now) - Date.now())).toBeLessThan(5000);
    expect(now.items.map((t) => t.title)).toEqual(['Came due while away']);
    expect((await u.reminders(10)).items.map((t) => t.title)).toEqual(['Came due while away', 'Soon']);

    // Another device (another log-in) acknowledges it; the first device no longer gets it.
    const other = (await call(backend, 'POST', API_ROUTES.login, { body: { email: u.email, password: PASSWORD } })).body.token as string;
    const ack = await call(backend, 'POST', API_ROUTES.remindersAcknowledge, { token: other, body: { items: [{ taskId: a.id, remindAt: a.remindAt }] } });
    expect(ack.body).toEqual({ acknowledged: 1 });
    expect((await u.reminders()).items).toEqual([]);
    // Acknowledging is no change of the task: same version, same ETag, same updatedAt.
    const after = await u.get(a.id);
    expect([after.version, after.updatedAt]).toEqual([a.version, a.updatedAt]);
    // A reminder moved meanwhile is not acknowledged by an older view of it; a new time is a new reminder.
    const moved = (await u.patch(b.id, { remindAt: past })).body as Task;
    expect((await call(backend, 'POST', API_ROUTES.remindersAcknowledge, { token: u.token, body: { items: [{ taskId: b.id, remindAt: soon }] } })).body).toEqual({ acknowledged: 0 });
    expect((await u.reminders()).items.map((t) => t.id)).toEqual([b.id]);
    await call(backend, 'POST', API_ROUTES.remindersAcknowledge, { token: u.token, body: { items: [{ taskId: b.id, remindAt: moved.remindAt }] } });
    expect((await u.reminders()).items).toEqual([]);
    await u.patch(a.id, { remindAt: past.replace(/Z$/, '+00:00') });
    expect((await u.reminders()).items).toEqual([]);
    await u.patch(a.id, { remindAt: new Date(Date.now() - 60_000).toISOString() });
    expect((await u.reminders()).items.map((t) => t.id)).toEqual([a.id]);

    // Another user can neither see nor acknowledge them.
    const stranger = await user();
    expect((await stranger.reminders()).items).toEqual([]);
    const refused = await call(backend, 'POST', API_ROUTES.remindersAcknowledge, { token: stranger.token, body: { items: [{ taskId: a.id, remindAt: a.remindAt }] } });
    expect(refused.body).toEqual({ acknowledged: 0 });
    expect((await call(backend, 'GET', `${API_ROUTES.reminders}?within=1441`, { token: u.token })).body.message).toBe('querystring/within must be <= 1440');
    expect((await call(backend, 'POST', API_ROUTES.remindersAcknowledge, { token: u.token, body: { items: [] } })).body.message).toBe('body/items must NOT have fewer than 1 items');
    expect((await call(backend, 'GET', API_ROUTES.reminders)).status).toBe(401);
  });
});
