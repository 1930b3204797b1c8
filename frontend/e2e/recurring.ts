/**
 * Browser end-to-end steps for recurring tasks, reminders and the concurrency headers, called from
 * e2e/run.ts (which owns the servers, the browser and the step counting). A user in Europe/Berlin:
 * a weekly repeating task is completed and its next occurrence appears once; a reminder comes due
 * while the page is open (in-app and as a browser notification, the permission granted through the
 * context); one that came due while no page was open is listed on return, and dismissing it on one
 * device dismisses it on the other; a task changed through the API behind the page's back gives a
 * 412 that is shown, and nothing is overwritten; a create whose answer is lost is retried with the
 * same Idempotency-Key and made once. Then every new state at both sizes in both colour schemes:
 * axe-core 0 violations, contrast, screenshots.
 */
import { API_ROUTES, type ReminderList, type Task, type TaskPage } from '@todo/contract';
import { localDateTime } from '@todo/contract/recurrence';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { axeViolations, contrast, type ContrastResult, describeContrast } from './a11y';

/** What run.ts lends these steps. */
export interface E2eKit {
  base: string;
  newContext(opts?: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; timezoneId?: string; permissions?: string[] }): Promise<BrowserContext>;
  step(name: string, fn: () => Promise<void>): Promise<void>;
  until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeout?: number): Promise<T>;
  expectText(locator: Locator, pattern: RegExp): Promise<void>;
  screenshot(page: Page, name: string): Promise<void>;
  /** Console errors and page errors fail the run. */
  watch(page: Page): void;
  /** While on, the console errors of 503s the test injects are expected. */
  setInjected(on: boolean): void;
  log(msg: string): void;
  viewports: { desktop: { width: number; height: number }; phone: { width: number; height: number } };
}

const ZONE = 'Europe/Berlin';
const PASSWORD = 'correct horse battery staple';

function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

/** `days` after today, as a calendar date in Berlin. */
function berlinDate(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(d);
}

/** The first Monday at least two days away (so that "today" never interferes), in Berlin. */
function nextMonday(): string {
  for (let i = 2; i < 9; i++) {
    const d = berlinDate(i);
    if (new Date(`${d}T12:00:00Z`).getUTCDay() === 1) return d;
  }
  throw new Error('no Monday in a week');
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The API as a second device: its own log-in, its own token (logged in again when the short-lived token expired). */
async function device(base: string, email: string) {
  const logIn = async () => {
    const res = await fetch(`${base}${API_ROUTES.login}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD, timeZone: ZONE }) });
    expect(res.ok, `API log-in: ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  };
  let token = await logIn();
  const send = (method: string, route: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const call = async <T>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> => {
    let r = await send(method, route, body, headers);
    if (r.status === 401) {
      token = await logIn();
      r = await send(method, route, body, headers);
    }
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${route}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    create: (body: object) => call<Task>('POST', API_ROUTES.tasks, body),
    patch: (id: string, body: object, version?: number) => call<Task>('PATCH', API_ROUTES.task(id), body, version ? { 'if-match': `"${version}"` } : {}),
    get: (id: string) => call<Task>('GET', API_ROUTES.task(id)),
    find: async (q: string) => (await call<TaskPage>('GET', `${API_ROUTES.tasks}?pageSize=100&q=${encodeURIComponent(q)}`)).items,
    reminders: () => call<ReminderList>('GET', API_ROUTES.reminders),
  };
}

/** Counts the browser notifications the page creates (the real constructor still runs). */
const NOTIFICATION_SPY = `(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notifications = [];
  const Spy = function (title, options) { window.__notifications.push(title); return new Real(title, options); };
  Object.defineProperty(Spy, 'permission', { get: () => Real.permission });
  Spy.requestPermission = (...a) => Real.requestPermission(...a);
  window.Notification = Spy;
})();`;

export async function recurringSuite(kit: E2eKit): Promise<void> {
  const { base, step, until, expectText, screenshot } = kit;
  const email = `recurring-${Date.now()}@example.test`;
  const monday = nextMonday();
  const context = await kit.newContext({ timezoneId: ZONE, permissions: ['notifications'] });
  await context.addInitScript(NOTIFICATION_SPY);
  let page = await context.newPage();
  kit.watch(page);
  const row = (p: Page, title: string, n = 0) => p.locator('.task-list > li', { has: p.locator('.task-title', { hasText: new RegExp(`^${title}$`) }) }).nth(n);
  const status = (p: Page) => p.locator('.toasts [role="status"]');
  const form = (p: Page) => p.getByRole('form', { name: 'New task' });
  let api: Awaited<ReturnType<typeof device>>;

  await step('recurring: sign up in Europe/Berlin; the header shows the zone', async () => {
    await page.goto(`${base}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Time zone Berlin (Europe/Berlin)' }).waitFor();
    api = await device(base, email);
  });

  let first: Task;
  await step('recurring: a weekly task with a 9:00 reminder; completing it makes the next occurrence once', async () => {
    const f = form(page);
    await f.getByRole('button', { name: 'Details' }).click();
    await f.getByLabel('Title').fill('Take out the bins');
    await f.getByLabel(/^Due date/).fill(monday);
    await f.getByLabel('Repeat').selectOption('weekly');
    expect(await f.getByRole('checkbox', { name: 'Monday' }).isChecked(), 'weekly did not start on the due date’s weekday');
    await f.getByLabel(/^Reminder/).fill(`${monday}T09:00`);
    await expectText(f.locator('.reminder-field .hint'), /Europe\/Berlin time; each next one at the same time/);
    await f.getByRole('button', { name: 'Add task' }).click();
    await expectText(status(page), /Added “Take out the bins”/);
    await expectText(row(page, 'Take out the bins'), /Repeats weekly on Mon/);
    await expectText(row(page, 'Take out the bins'), /09:00/);
    [first] = await api.find('Take out the bins');
    expect(first && localDateTime(first.remindAt!, ZONE) === `${monday}T09:00`, `the reminder is ${first?.remindAt}, not 9:00 in Berlin`);

    await page.getByRole('checkbox', { name: 'Completed: Take out the bins' }).check();
    await expectText(status(page), /Marked “Take out the bins” as done\. It repeats: the next one is in the list\./);
    await until('two occurrences in the list', () => page.locator('.task-title', { hasText: /^Take out the bins$/ }).count(), (n) => n === 2);
    const next = (await api.find('Take out the bins')).filter((t) => t.id !== first.id);
    expect(next.length === 1, `${next.length} next occurrences`);
    expect(next[0]!.dueDate === addDays(monday, 7) && next[0]!.occurrence === 2, `next occurrence: ${JSON.stringify(next[0])}`);
    expect(localDateTime(next[0]!.remindAt!, ZONE) === `${addDays(monday, 7)}T09:00`, `its reminder is ${next[0]!.remindAt}`);
    // Reopening takes it back, completing again brings exactly one back.
    const done = page.locator('.task-list > li.completed', { has: page.locator('.task-title', { hasText: /^Take out the bins$/ }) });
    await done.getByRole('checkbox').uncheck();
    await until('one occurrence again', () => page.locator('.task-title', { hasText: /^Take out the bins$/ }).count(), (n) => n === 1);
    await row(page, 'Take out the bins').getByRole('checkbox').check();
    await until('two occurrences again', () => page.locator('.task-title', { hasText: /^Take out the bins$/ }).count(), (n) => n === 2);
    const all = await api.find('Take out the bins');
    expect(all.length === 2 && new Set(all.map((t) => t.occurrence)).size === 2, `occurrences: ${all.map((t) => t.occurrence).join(', ')}`);
  });

  await step('recurring: a reminder comes due while the page is open: shown in the app and as a browser notification', async () => {
    const task = await api.create({ title: 'Call the dentist', remindAt: new Date(Date.now() + 8000).toISOString() });
    // Opening the page (here: reloading it) loads the reminders due soon; this one gets a timer.
    await page.reload();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    expect((await page.locator('.reminders').count()) === 0, 'a reminder showed before it was due');
    const panel = page.getByRole('region', { name: /Reminders/ });
    await until('the reminder to show', () => panel.getByRole('list', { name: 'Due now' }).innerText(), (t) => t.includes('Call the dentist'), 15_000);
    const shownAt = Date.now();
    kit.log(`    shown ${shownAt - Date.parse(task.remindAt!)} ms after it was due`);
    await expectText(status(page), /Reminder: “Call the dentist”/);
    const notes = await page.evaluate(() => (window as unknown as { __notifications?: string[] }).__notifications ?? []);
    expect(notes.includes('Reminder: Call the dentist'), `browser notifications: ${JSON.stringify(notes)}`);
    await screenshot(page, 'recurring-reminder-due');
    await panel.getByRole('button', { name: 'Dismiss the reminder of “Call the dentist”' }).click();
    await until('the panel to go', () => page.locator('.reminders').count(), (n) => n === 0);
    await until('acknowledged on the server', async () => (await api.reminders()).items.length, (n) => n === 0);
  });

  await step('recurring: a reminder that came due while no page was open is listed on return; dismissing it on one device dismisses it on the other', async () => {
    await page.close();
    await api.create({ title: 'Renew the parking permit', remindAt: new Date(Date.now() + 1500).toISOString() });
    await new Promise((r) => setTimeout(r, 2500));
    const other = await kit.newContext({ timezoneId: ZONE });
    const phone = await other.newPage();
    kit.watch(phone);
    page = await context.newPage();
    kit.watch(page);
    // The returning browser's session lives on in its cookie; the other device logs in.
    await page.goto(`${base}/`);
    await phone.goto(`${base}/login`);
    await phone.getByLabel('Email').fill(email);
    await phone.getByLabel('Password').fill(PASSWORD);
    await phone.getByRole('button', { name: 'Log in' }).click();
    for (const p of [page, phone]) {
      await p.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
      await expectText(p.getByRole('list', { name: 'While you were away' }), /Renew the parking permit/);
    }
    await screenshot(page, 'recurring-away');
    await phone.getByRole('button', { name: 'Dismiss the reminder of “Renew the parking permit”' }).click();
    await until('acknowledged on the server', async () => (await api.reminders()).items.length, (n) => n === 0);
    await page.reload();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await page.locator('.task-list > li').first().waitFor();
    expect((await page.locator('.reminders').count()) === 0, 'the reminder dismissed on the other device is still listed');
    await other.close();
  });

  await step('recurring: a task changed behind the page’s back: the edit gets 412, says what changed, overwrites nothing, and saves on the new version', async () => {
    const target = (await api.find('Take out the bins')).find((t) => !t.completed)!;
    await page.locator(`.task-list > li[data-task-id="${target.id}"]`).getByRole('button', { name: /^Edit/ }).click();
    const edit = page.getByRole('form', { name: 'Edit “Take out the bins”' });
    await edit.waitFor();
    const changed = await api.patch(target.id, { title: 'Take out the bins and recycling' }, target.version);
    const newDue = addDays(target.dueDate!, 1);
    await edit.getByLabel(/^Due date/).fill(newDue);
    await edit.getByRole('button', { name: 'Save' }).click();
    const again = page.getByRole('form', { name: 'Edit “Take out the bins and recycling”' });
    await expectText(again.getByRole('alert'), /was changed elsewhere meanwhile: the title is now “Take out the bins and recycling”\. Nothing was overwritten/);
    expect((await again.getByLabel('Title').inputValue()) === 'Take out the bins and recycling', 'the form does not show the title set elsewhere');
    expect((await again.getByLabel(/^Due date/).inputValue()) === newDue, 'the user’s due date was lost');
    let server = await api.get(target.id);
    expect(server.title === changed.title && server.dueDate === target.dueDate && server.version === changed.version, `overwritten: ${JSON.stringify(server)}`);
    await screenshot(page, 'recurring-conflict');
    // The list the page reloads once the save is confirmed: the next change elsewhere comes after it.
    const reloaded = page.waitForResponse((r) => new URL(r.url()).pathname === API_ROUTES.tasks && r.request().method() === 'GET');
    await again.getByRole('button', { name: 'Save' }).click();
    await reloaded;
    await until('saved on the new version', async () => (await api.get(target.id)).dueDate, (d) => d === newDue);
    server = await api.get(target.id);
    expect(server.title === 'Take out the bins and recycling', `the title went back: ${server.title}`);
    // The checkbox too: completing a task whose priority changed elsewhere is refused and explained.
    await api.patch(target.id, { priority: 'high' });
    await page.locator(`.task-list > li[data-task-id="${target.id}"]`).getByRole('checkbox').check();
    await expectText(page.locator(`.task-list > li[data-task-id="${target.id}"] .error`), /changed elsewhere meanwhile: the priority is now high/);
    expect(!(await api.get(target.id)).completed, 'completed over a change made elsewhere');
    await expectText(page.locator(`.task-list > li[data-task-id="${target.id}"]`), /High\s+priority/);
  });

  await step('recurring: a create whose answer is lost is sent again with the same Idempotency-Key: one task', async () => {
    let lost = 0;
    const keys: string[] = [];
    await page.route(
      (url) => url.pathname === API_ROUTES.tasks,
      async (route) => {
        if (route.request().method() !== 'POST') return route.fallback();
        keys.push((await route.request().allHeaders())['idempotency-key'] ?? '');
        if (lost++ > 0) return route.fallback();
        // The server creates the task; its answer never reaches the page.
        await route.fetch();
        await route.fulfill({ status: 503, contentType: 'text/html', body: '<html>Service Unavailable</html>' });
      },
    );
    const f = form(page);
    kit.setInjected(true);
    await f.getByLabel('Title').fill('Pay the rent');
    await f.getByRole('button', { name: 'Add task' }).click();
    await expectText(f.getByRole('alert'), /“Pay the rent” was not added: The server is not available right now \(503\)/);
    kit.setInjected(false);
    await f.getByRole('button', { name: 'Add task' }).click();
    await expectText(status(page), /Added “Pay the rent”/);
    await page.unroute((url) => url.pathname === API_ROUTES.tasks);
    expect(keys.length === 2 && keys[0] === keys[1] && keys[0]!.length > 0, `Idempotency-Keys sent: ${JSON.stringify(keys)}`);
    const found = await api.find('Pay the rent');
    expect(found.length === 1, `${found.length} tasks “Pay the rent”`);
    await until('one row', () => page.locator('.task-title', { hasText: /^Pay the rent$/ }).count(), (n) => n === 1);
  });
  await context.close();

  // ---- every new state at both sizes, in both colour schemes ------------------------------------
  for (const [size, viewport] of Object.entries(kit.viewports)) {
    for (const scheme of ['light', 'dark'] as const) {
      await step(`recurring: ${size} ${viewport.width}×${viewport.height}, ${scheme}: axe-core 0 violations in every new state; contrast`, async () => {
        const ctx = await kit.newContext({ viewport, colorScheme: scheme, timezoneId: ZONE });
        const p = await ctx.newPage();
        kit.watch(p);
        const prefix = `recurring-${size}-${scheme}`;
        const ratios: ContrastResult[] = [];
        const state = async (name: string) => {
          const violations = await axeViolations(p);
          await screenshot(p, `${prefix}-${name}`);
          if (violations.length) throw new Error(`axe-core, ${prefix} ${name}:\n${violations.join('\n')}`);
        };
        try {
          await api.create({ title: `Water the plants (${size} ${scheme})`, remindAt: new Date(Date.now() - 60_000).toISOString() });
          await p.goto(`${base}/login`);
          await p.getByLabel('Email').fill(email);
          await p.getByLabel('Password').fill(PASSWORD);
          await p.getByRole('button', { name: 'Log in' }).click();
          await p.getByRole('list', { name: 'While you were away' }).waitFor();
          const bins = p.locator('.task-list > li:not(.completed)', { has: p.locator('.repeats') }).first();
          await bins.waitFor();
          ratios.push(await contrast(p, 'reminder title', p.locator('.reminder-title').first(), 'text'));
          ratios.push(await contrast(p, 'reminder time', p.locator('.reminder-when').first(), 'text'));
          ratios.push(await contrast(p, 'repeat rule', bins.locator('.repeats'), 'text'));
          ratios.push(await contrast(p, 'reminder in a row', bins.locator('.remind'), 'text'));
          await state('01-list-reminders');

          const f = form(p);
          await f.getByRole('button', { name: 'Details' }).click();
          await f.getByLabel('Title').fill('Team lunch');
          await f.getByLabel('Repeat').selectOption('weekly');
          await f.getByRole('checkbox', { name: 'Friday' }).check();
          await f.getByLabel('Ends').selectOption('count');
          await f.getByLabel('Times in all').fill('0');
          await f.getByLabel(/^Reminder/).fill(`${monday}T12:30`);
          await f.getByRole('button', { name: 'Add task' }).click();
          await expectText(f.locator('.field-error'), /Say how many times: 1 to 1000/);
          ratios.push(await contrast(p, 'weekday label', f.locator('.weekday').first(), 'text'));
          ratios.push(await contrast(p, 'weekday border', f.locator('.weekday').first(), 'border'));
          ratios.push(await contrast(p, 'zone hint', f.locator('.reminder-field .hint'), 'text'));
          await state('02-repeat-form');
          await f.getByLabel('Title').fill('');
          await f.getByLabel('Repeat').selectOption('');
          await f.getByLabel(/^Reminder/).fill('');
          await f.getByRole('button', { name: 'Details' }).click();

          await bins.getByRole('button', { name: /^Delete/ }).click();
          await bins.getByRole('button', { name: 'All occurrences' }).waitFor();
          await state('03-delete-repeating');
          await bins.getByRole('button', { name: 'Keep it' }).click();

          const id = await bins.getAttribute('data-task-id');
          await bins.getByRole('button', { name: /^Edit/ }).click();
          const current = await api.get(id!);
          await api.patch(id!, { description: `Changed elsewhere (${size} ${scheme})` }, current.version);
          const edit = p.locator(`.task-list > li[data-task-id="${id}"] form`);
          await edit.getByLabel(/^Reminder/).fill(`${addDays(current.dueDate!, -1)}T19:00`);
          await edit.getByRole('button', { name: 'Save' }).click();
          await expectText(edit.getByRole('alert'), /changed elsewhere meanwhile: the description changed/);
          ratios.push(await contrast(p, 'conflict message', edit.getByRole('alert'), 'text'));
          await state('04-conflict');
          await edit.getByRole('button', { name: 'Cancel' }).click();

          await p.getByRole('button', { name: /^Time zone/ }).click();
          await p.getByRole('form', { name: 'Time zone' }).waitFor();
          await state('05-time-zone');
          await p.getByRole('form', { name: 'Time zone' }).getByRole('button', { name: 'Cancel' }).click();
          await p.getByRole('region', { name: /Reminders/ }).getByRole('button', { name: /^Dismiss/ }).first().click();
          await until('the panel to go', () => p.locator('.reminders').count(), (n) => n === 0);
        } finally {
          for (const r of ratios) kit.log(`    ${prefix}: ${describeContrast(r)}`);
          await ctx.close();
        }
        const low = ratios.filter((r) => r.ratio < r.min);
        if (low.length) throw new Error(`contrast below the minimum, ${prefix}:\n${low.map(describeContrast).join('\n')}`);
      });
    }
  }

  await step('recurring: the time zone can be changed in the app (and log-in sets the browser’s again)', async () => {
    const ctx = await kit.newContext({ timezoneId: 'America/New_York' });
    const p = await ctx.newPage();
    kit.watch(p);
    await p.goto(`${base}/login`);
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByRole('button', { name: 'Time zone New York (America/New_York)' }).click();
    const tz = p.getByRole('form', { name: 'Time zone' });
    await tz.getByLabel('Time zone').selectOption('Asia/Tokyo');
    await tz.getByRole('button', { name: 'Save' }).click();
    await p.getByRole('button', { name: 'Time zone Tokyo (Asia/Tokyo)' }).waitFor();
    await expectText(status(p), /Times are now in Asia\/Tokyo/);
    await ctx.close();
  });
}
