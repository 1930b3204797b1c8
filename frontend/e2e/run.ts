/**
 * Browser end-to-end test: the real backend (PGlite in memory, or PostgreSQL when DATABASE_URL is
 * set) and the real production web server (API_UPSTREAM → backend), driven in Debian's headless
 * Chromium through playwright-core. Run by scripts/ci/frontend-e2e.sh, which builds both first.
 *
 * The walk-through runs on a desktop (1280×800, light); then every screen state is checked at
 * 1280×800 and 390×844 in light and dark mode: axe-core's WCAG A/AA rules with no violation,
 * contrast ratios computed from the rendered colours, the first tasks visible without scrolling.
 * Screenshots of each state go to .artifacts/screenshots/ (git-ignored).
 * Env: CHROMIUM (default: `which chromium`), DATABASE_URL (optional), E2E_SKIP_PERF=1 (skip the
 * load-time figures), E2E_PERF_ONLY=1 (only them), E2E_PERF_RUNS (loads per figure, default 7).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { API_ROUTES, BACKEND, BACKEND_ENV, FRONTEND, FRONTEND_ENV, SESSION_COOKIE, type TaskPage } from '@todo/contract';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { freePort, statusOf } from '../scripts/local-http';
import { axeViolations, contrast, type ContrastKind, type ContrastResult, describeContrast } from './a11y';
import { describe as describePerf, measure, type PerfCase, routeHtml, seedUser } from './perf';
import { recurringSuite } from './recurring';
import { pageToken, SESSION_BACKEND_ENV, sessionSteps } from './sessions';

const repo = path.resolve(__dirname, '../..');
const shots = path.join(repo, '.artifacts/screenshots');
const backendJs = path.join(repo, 'backend/dist/server.js');
const frontendJs = path.join(repo, 'frontend/dist/server.js');
const TIMEOUT = 10_000;
/** The app's undo window (src/tasks/useTaskList.ts UNDO_MS) and a margin. */
const UNDO_WAIT = 6000 + 1500;

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let passed = 0;
let failed = 0;
const children: ChildProcess[] = [];

function log(msg: string) {
  process.stdout.write(`${msg}\n`);
}

/** One named check: counted, and the run stops at the first failure (later steps depend on it). */
async function step(name: string, fn: () => Promise<void>) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    log(`  ✓ ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    log(`  ✗ ${name}\n    ${(err as Error).message.split('\n').join('\n    ')}`);
    throw err;
  }
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeout = TIMEOUT): Promise<T> {
  const t0 = Date.now();
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch {
      // retry
    }
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

function startProcess(name: string, script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `    [${name}] ${l}\n`)
      .join('');
  // Only warnings and errors are logged (LOG_LEVEL=warn), so this stays short.
  child.stdout!.on('data', (c: Buffer) => process.stdout.write(prefix(c)));
  child.stderr!.on('data', (c: Buffer) => process.stdout.write(prefix(c)));
  children.push(child);
  return child;
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

function isoDate(offsetDays: number): string {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// ---- page helpers ------------------------------------------------------------------------------

const titles = (page: Page) => page.locator('.task-list .task-title').allTextContents();

async function expectTitles(page: Page, expected: string[], { ordered = false } = {}) {
  const norm = (xs: string[]) => (ordered ? xs : [...xs].sort());
  await until(`task titles ${JSON.stringify(expected)}`, () => titles(page), (t) => JSON.stringify(norm(t)) === JSON.stringify(norm(expected)));
}

async function expectText(locator: Locator, pattern: RegExp) {
  await until(`text ${pattern}`, () => locator.innerText(), (t) => pattern.test(t));
}

const status = (page: Page) => page.locator('.toasts [role="status"]');
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const taskItem = (page: Page, title: string) =>
  page.locator('.task-list > li', { has: page.locator('.task-title', { hasText: new RegExp(`^${escapeRe(title)}$`) }) });
const newTaskForm = (page: Page) => page.getByRole('form', { name: 'New task' });
const filtersToggle = (page: Page) => page.getByRole('search').getByRole('button', { name: /^Filters/ });

/** What has keyboard focus: its accessible label or text, and the task row it is in. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    const row = el?.closest('li[data-task-id]');
    return {
      label: el === document.body ? '' : (el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? ''),
      tag: el?.tagName ?? '',
      row: row?.querySelector('.task-title')?.textContent ?? null,
    };
  });

async function openDetails(page: Page) {
  const toggle = newTaskForm(page).getByRole('button', { name: 'Details' });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

async function openFilters(page: Page) {
  if ((await filtersToggle(page).getAttribute('aria-expanded')) !== 'true') await filtersToggle(page).click();
}

async function addTask(page: Page, t: { title: string; description?: string; priority?: string; tags?: string; due?: string }) {
  const form = newTaskForm(page);
  if (t.description || t.priority || t.tags || t.due) {
    await openDetails(page);
    await form.getByLabel(/^Description/).fill(t.description ?? '');
    await form.getByLabel('Priority').selectOption(t.priority ?? 'medium');
    await form.getByLabel(/^Tags/).fill(t.tags ?? '');
    await form.getByLabel(/^Due date/).fill(t.due ?? '');
  }
  await form.getByLabel('Title').fill(t.title);
  await form.getByRole('button', { name: 'Add task' }).click();
  await expectText(status(page), new RegExp(`Added “${escapeRe(t.title)}”`));
  await until(`“${t.title}” saved`, () => taskItem(page, t.title).getAttribute('class'), (c) => c !== null && !/\bsaving\b/.test(c));
}

async function screenshot(page: Page, name: string) {
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file });
  log(`    screenshot: ${path.relative(repo, file)}`);
}

/** The bottom of the first task row, in CSS pixels from the top of the viewport (after load, unscrolled). */
const firstRowBottom = (page: Page) => page.locator('.task-list > li').first().evaluate((el) => el.getBoundingClientRect().bottom);

async function login(page: Page, base: string, email: string, password: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
}

/** The API as the signed-in tab sees it (its token), for checks behind the UI's back. */
async function apiList(page: Page, base: string, q: string): Promise<TaskPage> {
  const token = await pageToken(page);
  const res = await fetch(`${base}${API_ROUTES.tasks}?q=${encodeURIComponent(q)}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.ok, `GET tasks: ${res.status}`);
  return (await res.json()) as TaskPage;
}

/** Makes the API refuse the next `times` matching requests with 503, as an overloaded backend would. */
async function refuse(page: Page, method: string, pathRe: RegExp, times = 1) {
  let left = times;
  await page.route(
    (url) => pathRe.test(url.pathname),
    async (route) => {
      if (route.request().method() !== method || left <= 0) return route.fallback();
      left--;
      await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: '' }) });
    },
  );
}

// ---- the test ----------------------------------------------------------------------------------

async function main() {
  for (const f of [backendJs, frontendJs]) {
    if (!existsSync(f)) throw new Error(`${path.relative(repo, f)} is missing: build it first (scripts/ci/frontend-e2e.sh does)`);
  }
  const executablePath = process.env.CHROMIUM || execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  mkdirSync(shots, { recursive: true });
  for (const f of readdirSync(shots)) if (f.endsWith('.png')) rmSync(path.join(shots, f));

  const backendPort = await freePort();
  const frontendPort = await freePort();
  const db = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite';
  log(`e2e: backend on 127.0.0.1:${backendPort} (${db}), frontend on 127.0.0.1:${frontendPort}, browser ${executablePath}`);

  const backendEnv: Record<string, string> = {
    [BACKEND_ENV.port.name]: String(backendPort),
    [BACKEND_ENV.host.name]: '127.0.0.1',
    [BACKEND_ENV.logLevel.name]: 'warn',
    [BACKEND_ENV.jwtSecret.name]: randomBytes(32).toString('hex'),
    // The test logs in several times from one address.
    [BACKEND_ENV.loginRateLimitPerMinute.name]: '1000',
    ...SESSION_BACKEND_ENV,
  };
  if (process.env.DATABASE_URL) {
    // A real PostgreSQL: apply the migrations first, as the init container does in the cluster
    // (the in-memory PGlite database is migrated by the backend itself at start).
    await step('database migrations apply', async () => {
      const [cmd, ...args] = BACKEND.migrateCommand;
      execFileSync(cmd === 'node' ? process.execPath : cmd!, args, { cwd: path.join(repo, 'backend'), env: { ...process.env, ...backendEnv }, stdio: 'inherit' });
    });
  }
  const backend = startProcess('backend', backendJs, backendEnv);
  const frontend = startProcess('frontend', frontendJs, {
    [FRONTEND_ENV.port.name]: String(frontendPort),
    [FRONTEND_ENV.host.name]: '127.0.0.1',
    [FRONTEND_ENV.logLevel.name]: 'warn',
    [FRONTEND_ENV.apiUpstream.name]: `http://127.0.0.1:${backendPort}`,
  });
  await step('backend and frontend servers become ready', async () => {
    await until('backend readiness', () => statusOf(backendPort, BACKEND.readinessPath, 1000), (s) => s === 200, 60_000);
    await until('frontend readiness', () => statusOf(frontendPort, FRONTEND.readinessPath, 1000), (s) => s === 200);
  });

  let browser: Browser | undefined;
  const problems: string[] = [];
  /** While set, the console errors Chromium logs for the 503s the test injects are expected. */
  let injectedFailures = false;
  const watch = (page: Page) => {
    // Any console error (a CSP violation among them) or uncaught exception fails the run.
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (/status of 4[0-9][0-9]/.test(m.text()) || (injectedFailures && /status of 503/.test(m.text()))) return;
      problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  };
  try {
    const launchArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
    browser = await chromium.launch({ executablePath, headless: true, args: launchArgs });
    const newContext = async (opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; locale?: string; timezoneId?: string; permissions?: string[] } = {}) => {
      const ctx = await browser!.newContext({ viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC', colorScheme: 'light', ...opts });
      ctx.setDefaultTimeout(TIMEOUT);
      return ctx;
    };
    const base = `http://127.0.0.1:${frontendPort}`;
    const email = `e2e-${Date.now()}@example.test`;
    const password = 'correct horse battery staple';

    if (!process.env.E2E_SKIP_PERF) {
      await step('performance: first contentful paint and an interactive list of 200 tasks (figures, not assertions)', async () => {
        const perfEmail = `perf-${Date.now()}@example.test`;
        await seedUser(base, perfEmail, password, 200);
        const cases: PerfCase[] = [
          { name: '20 of 200 per page', path: '/tasks', rows: 20 },
          { name: '100 of 200 per page', path: '/tasks?pageSize=100', rows: 100 },
        ];
        // Until the web server embeds the runtime configuration, a test route shows what the
        // embedding gives (and the same route without it, what the route itself costs).
        const embedded = (await (await fetch(`${base}/tasks`)).text()).includes('id="runtime-config"');
        const control = (p: Page) => routeHtml(p, base, 'runtime-config', null);
        const embed = (p: Page) => routeHtml(p, base, 'runtime-config', { apiBaseUrl: BACKEND.apiPrefix });
        const runs = Number(process.env.E2E_PERF_RUNS) || 7;
        const variants: { name: string; prepare?: (p: Page) => Promise<void>; latencyMs?: number; cases?: PerfCase[]; caches?: ('cold' | 'warm')[] }[] = [
          { name: embedded ? 'as served (configuration embedded)' : 'as served (configuration fetched)' },
        ];
        if (!embedded) {
          // One round trip is what the embedding saves: on loopback it is lost in the noise, so
          // the comparison also runs with every request delayed by a 50 ms round trip.
          const first = [cases[0]!];
          variants.push({ name: 'HTML through a test route (control)', prepare: control, cases: first, caches: ['cold'], latencyMs: 50 });
          variants.push({ name: 'HTML through a test route, configuration embedded', prepare: embed, cases: first, caches: ['cold'], latencyMs: 50 });
        }
        for (const v of variants) {
          const ctx = await newContext();
          try {
            const results = await measure(ctx, base, (p) => login(p, base, perfEmail, password), v.cases ?? cases, { runs, prepare: v.prepare, latencyMs: v.latencyMs, caches: v.caches });
            for (const r of results) log(`    ${v.name}: ${describePerf(r)}`);
          } finally {
            await ctx.close();
          }
        }
      });
    }

    if (process.env.E2E_PERF_ONLY) return;

    const context = await newContext();
    const page = await context.newPage();
    watch(page);

    await step('a signed-out visitor lands on the log-in page', async () => {
      await page.goto(`${base}/tasks`);
      await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
      await until('/login address', async () => new URL(page.url()).pathname, (p) => p === '/login');
    });

    await step('keyboard: Tab moves from email to password to the button', async () => {
      await page.getByLabel('Email').focus();
      await page.keyboard.press('Tab');
      expect((await page.evaluate(() => document.activeElement?.getAttribute('name'))) === 'password', 'Tab from email did not reach the password');
      await page.keyboard.press('Tab');
      const label = await page.evaluate(() => document.activeElement?.textContent);
      expect(label === 'Log in', `Tab from password reached ${JSON.stringify(label)}, not the Log in button`);
    });

    await step('sign up', async () => {
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByRole('heading', { name: 'Create your account' }).waitFor();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
      await expectText(page.locator('.empty'), /No tasks yet/);
      await expectText(page.locator('.account'), new RegExp(escapeRe(email)));
    });

    await step('validation errors name the field and go away once it is fixed', async () => {
      const form = newTaskForm(page);
      await form.getByRole('button', { name: 'Add task' }).click();
      const title = form.getByLabel('Title');
      await expectText(form.locator('.field-error'), /The title is required/);
      expect((await title.getAttribute('aria-invalid')) === 'true', 'the empty title is not marked invalid');
      expect((await focused(page)).tag === 'INPUT', 'focus did not go to the title');
      await title.fill('Tagged badly');
      await until('title error gone', () => form.locator('.field-error').count(), (n) => n === 0);
      expect((await title.getAttribute('aria-invalid')) === 'false', 'the fixed title is still marked invalid');
      await openDetails(page);
      await form.getByLabel(/^Tags/).fill('fine, not!fine');
      await form.getByRole('button', { name: 'Add task' }).click();
      await expectText(form.locator('.field-error'), /Tag “not!fine” may contain only letters/);
      await form.getByLabel(/^Tags/).fill('fine, now-fine');
      await until('tag error gone', () => form.locator('.field-error').count(), (n) => n === 0);
      expect((await form.getByLabel(/^Tags/).getAttribute('aria-invalid')) === 'false', 'the fixed tags are still marked invalid');
      await form.getByLabel(/^Tags/).fill('');
      await title.fill('');
      await form.getByRole('button', { name: 'Details' }).click();
    });

    const all = ['Buy milk', 'Write report', 'Call plumber', 'Renew passport', 'Pay rent', 'Water plants'];
    await step('add tasks: one by Enter in the add bar, the others with details', async () => {
      const form = newTaskForm(page);
      expect(!(await form.getByLabel(/^Description/).isVisible()), 'the add bar starts with its details open');
      await form.getByLabel('Title').fill('Water plants');
      await form.getByLabel('Title').press('Enter');
      await expectText(status(page), /Added “Water plants”/);
      await addTask(page, { title: 'Buy milk', description: 'Two litres, semi-skimmed', priority: 'high', tags: 'home, errands', due: isoDate(1) });
      await addTask(page, { title: 'Write report', description: 'Quarterly numbers', priority: 'medium', tags: 'work', due: isoDate(7) });
      await addTask(page, { title: 'Call plumber', priority: 'low', tags: 'home' });
      await addTask(page, { title: 'Renew passport', priority: 'high', tags: 'admin', due: isoDate(-2) });
      await addTask(page, { title: 'Pay rent', priority: 'medium', tags: 'home', due: isoDate(0) });
      await expectTitles(page, all);
      await expectText(page.locator('.count'), /^6 tasks$/);
      const milk = taskItem(page, 'Buy milk');
      await expectText(milk, /High\s+priority/);
      await expectText(milk, /#home/);
      await expectText(milk, /#errands/);
      await expectText(milk, /Two litres, semi-skimmed/);
      await expectText(milk.locator('.due'), /^Due tomorrow$/);
      await expectText(taskItem(page, 'Call plumber'), /Low\s+priority/);
      await expectText(taskItem(page, 'Water plants'), /Medium\s+priority/);
    });

    await step('due dates: a "Due today" marker, overdue in words, all in the page’s language', async () => {
      const rent = taskItem(page, 'Pay rent').locator('.due');
      await expectText(rent, /^Due today$/);
      expect((await rent.getAttribute('class'))?.includes('due-today'), 'the task due today has no marker');
      await expectText(taskItem(page, 'Renew passport').locator('.due'), /^Overdue · due 2 days ago$/);
      await expectText(taskItem(page, 'Write report').locator('.due'), /^Due in 7 days$|^Due \d+ \w+/);
    });

    await step('the list comes first: at 1280×800 the first tasks show without scrolling', async () => {
      await page.reload();
      await expectTitles(page, all);
      const bottom = await firstRowBottom(page);
      const rows = await page.locator('.task-list > li').evaluateAll((els) => els.filter((e) => e.getBoundingClientRect().bottom <= innerHeight).length);
      log(`    first task ends at ${bottom.toFixed(0)} px of 800; ${rows} whole tasks on the first screen`);
      expect(bottom <= DESKTOP.height, `the first task ends at ${bottom}px, below the 800px screen`);
      expect(rows >= 5, `only ${rows} tasks fit on the first screen`);
    });

    await step('Space on a task’s checkbox completes it and keeps keyboard focus there', async () => {
      const box = page.getByRole('checkbox', { name: 'Completed: Buy milk' });
      await box.focus();
      await page.keyboard.press('Space');
      await expectText(status(page), /Marked “Buy milk” as done/);
      await until('Buy milk saved', () => taskItem(page, 'Buy milk').getAttribute('class'), (c) => !!c && /completed/.test(c) && !/saving/.test(c));
      const f = await focused(page);
      expect(f.label === 'Completed: Buy milk', `focus moved to ${JSON.stringify(f)}`);
      expect(await box.isChecked(), 'Buy milk is not checked');
    });

    const filters = page.getByRole('search');

    await step('filters sit behind a control that counts the active ones; filter by status', async () => {
      expect(!(await filters.getByLabel('Status').isVisible()), 'the filters start open');
      await openFilters(page);
      await filters.getByLabel('Status').selectOption('open');
      await expectTitles(page, all.filter((t) => t !== 'Buy milk'));
      await until('status in the address', async () => page.url(), (u) => u.includes('status=open'));
      await expectText(filtersToggle(page), /Filters\s*1\s+active/);
      await filters.getByLabel('Status').selectOption('completed');
      await expectTitles(page, ['Buy milk']);
      await filters.getByLabel('Status').selectOption('all');
      await expectTitles(page, all);
      expect((await filtersToggle(page).innerText()).trim() === 'Filters', 'the count stays after the filter is cleared');
    });

    await step('completing a task under “Open” hands focus to the next task', async () => {
      await filters.getByLabel('Status').selectOption('open');
      await expectTitles(page, all.filter((t) => t !== 'Buy milk'));
      const order = await titles(page);
      const i = order.indexOf('Water plants');
      const box = page.getByRole('checkbox', { name: 'Completed: Water plants' });
      await box.focus();
      await page.keyboard.press('Space');
      await expectTitles(page, all.filter((t) => t !== 'Buy milk' && t !== 'Water plants'));
      const expected = order.filter((t) => t !== 'Water plants')[Math.min(i, order.length - 2)];
      const f = await until('focus on the next task', () => focused(page), (x) => x.row !== null);
      expect(f.row === expected && f.label === `Completed: ${expected}`, `focus went to ${JSON.stringify(f)}, not the checkbox of “${expected}”`);
      await filters.getByLabel('Status').selectOption('all');
      await page.getByRole('checkbox', { name: 'Completed: Water plants' }).uncheck();
      await expectText(status(page), /Marked “Water plants” as not done/);
    });

    await step('filter by priority, and by tag from a task’s tag button', async () => {
      await filters.getByLabel('Priority').selectOption('high');
      await expectTitles(page, ['Buy milk', 'Renew passport']);
      await filters.getByLabel('Priority').selectOption('');
      await taskItem(page, 'Call plumber').getByRole('button', { name: 'Show tasks tagged home' }).click();
      await expectTitles(page, ['Buy milk', 'Call plumber', 'Pay rent']);
      await until('tag filter field', () => filters.getByLabel('Tag').inputValue(), (v) => v === 'home');
      await expectText(page.locator('#list-heading'), /Matching tasks/);
      await expectText(filtersToggle(page), /1\s+active/);
    });

    await step('Enter in the tag filter applies it', async () => {
      await filters.getByRole('button', { name: 'Clear filters' }).click();
      await expectTitles(page, all);
      await filters.getByLabel('Tag').fill('#Admin');
      await filters.getByLabel('Tag').press('Enter');
      await expectTitles(page, ['Renew passport']);
      expect((await focused(page)).tag === 'INPUT', 'Enter moved focus away from the tag field');
      await filters.getByRole('button', { name: 'Clear filters' }).click();
      await expectTitles(page, all);
    });

    await step('filter by due date range', async () => {
      await filters.getByLabel('Due from').fill(isoDate(0));
      await filters.getByLabel('Due to').fill(isoDate(30));
      await expectTitles(page, ['Buy milk', 'Write report', 'Pay rent']);
      await expectText(filtersToggle(page), /2\s+active/);
      await filters.getByRole('button', { name: 'Clear filters' }).click();
      await expectTitles(page, all);
    });

    await step('search by keyword (title, description), Enter searches at once', async () => {
      await filters.getByLabel('Search').fill('report');
      await expectTitles(page, ['Write report']);
      await filters.getByLabel('Search').fill('semi-skimmed');
      await filters.getByLabel('Search').press('Enter');
      await expectTitles(page, ['Buy milk'], {});
      await filters.getByLabel('Search').fill('no such thing');
      await expectText(page.locator('.empty'), /No tasks match these filters/);
      await filters.getByLabel('Search').fill('');
      await expectTitles(page, all);
    });

    await step('sort by title and by due date', async () => {
      await filters.getByLabel('Sort by').selectOption('title');
      await expectTitles(page, [...all].sort(), { ordered: true });
      await filters.getByLabel('Order').selectOption('desc');
      await expectTitles(page, [...all].sort().reverse(), { ordered: true });
      await filters.getByLabel('Sort by').selectOption('dueDate');
      const t = await until('due-date order', () => titles(page), (ts) => ts.length === 6 && ts[0] === 'Renew passport');
      // Tasks without a due date come after the dated ones.
      expect(t.slice(0, 4).join() === 'Renew passport,Pay rent,Buy milk,Write report', `due-date order was ${t.join(', ')}`);
      await filters.getByLabel('Sort by').selectOption('createdAt');
      await filtersToggle(page).click();
    });

    await step('pagination', async () => {
      await openFilters(page);
      await filters.getByLabel('Per page').selectOption('10');
      await filtersToggle(page).click();
      for (let i = 1; i <= 8; i++) {
        await newTaskForm(page).getByLabel('Title').fill(`Filler ${i}`);
        await newTaskForm(page).getByLabel('Title').press('Enter');
        await expectText(status(page), new RegExp(`Added “Filler ${i}”`));
      }
      await expectText(page.locator('.count'), /^14 tasks$/);
      const pager = page.getByRole('navigation', { name: 'Pages' });
      await expectText(pager, /Page 1 of 2/);
      await until('10 on page 1', async () => (await titles(page)).length, (n) => n === 10);
      await pager.getByRole('button', { name: /Next/ }).click();
      await expectText(pager, /Page 2 of 2/);
      await until('4 on page 2', async () => (await titles(page)).length, (n) => n === 4);
      // Newest first: page 2 holds the four oldest tasks.
      await expectTitles(page, ['Water plants', 'Buy milk', 'Write report', 'Call plumber']);
      expect((await focused(page)).label.includes('Next'), 'focus left the Next button on the last page');
      await pager.getByRole('button', { name: /Previous/ }).click();
      await expectText(pager, /Page 1 of 2/);
      await openFilters(page);
      await filters.getByLabel('Per page').selectOption('20');
      await filtersToggle(page).click();
      await expectText(page.locator('.count'), /^14 tasks$/);
    });

    await step('delete keeps the scroll position and hands focus to the next task; Undo brings it back', async () => {
      await page.setViewportSize({ width: 1280, height: 600 });
      const row = taskItem(page, 'Filler 4');
      await row.evaluate((el) => el.scrollIntoView({ block: 'center' }));
      const before = await page.evaluate(() => scrollY);
      expect(before > 100, `the page did not scroll (scrollY ${before})`);
      await row.getByRole('button', { name: 'Delete “Filler 4”' }).click();
      await row.getByRole('button', { name: 'Keep it' }).click();
      expect((await focused(page)).label === 'Delete “Filler 4”', '“Keep it” did not return focus to Delete');
      await row.getByRole('button', { name: 'Delete “Filler 4”' }).click();
      await row.getByRole('button', { name: 'Yes, delete' }).click();
      await until('Filler 4 gone', () => titles(page), (t) => !t.includes('Filler 4'));
      const after = await page.evaluate(() => scrollY);
      log(`    scrollY before ${before}, after ${after}`);
      expect(Math.abs(after - before) <= 2, `the page moved from ${before} to ${after}`);
      const f = await focused(page);
      expect(f.row === 'Filler 3' && f.label === 'Completed: Filler 3', `focus went to ${JSON.stringify(f)}`);
      const toast = page.locator('.toast.undo');
      await expectText(toast, /Deleted “Filler 4”/);
      await toast.getByRole('button', { name: 'Undo' }).click();
      await until('Filler 4 back', () => titles(page), (t) => t.includes('Filler 4'));
      await expectText(status(page), /Restored “Filler 4”/);
      expect((await focused(page)).label === 'Completed: Filler 4', 'focus did not return to the restored task');
      await page.setViewportSize(DESKTOP);
    });

    await step('Ctrl+Z undoes a delete; an undone delete never reaches the server', async () => {
      const row = taskItem(page, 'Filler 5');
      await row.getByRole('button', { name: 'Delete “Filler 5”' }).click();
      await row.getByRole('button', { name: 'Yes, delete' }).click();
      await until('Filler 5 gone', () => titles(page), (t) => !t.includes('Filler 5'));
      await page.keyboard.press('Control+z');
      await until('Filler 5 back', () => titles(page), (t) => t.includes('Filler 5'));
      await page.waitForTimeout(UNDO_WAIT);
      expect((await apiList(page, base, 'Filler 5')).total === 1, 'Filler 5 was deleted on the server');
    });

    await step('a delete is sent when its undo window ends', async () => {
      const row = taskItem(page, 'Filler 6');
      await row.getByRole('button', { name: 'Delete “Filler 6”' }).click();
      await row.getByRole('button', { name: 'Yes, delete' }).click();
      await until('Filler 6 gone', () => titles(page), (t) => !t.includes('Filler 6'));
      expect((await apiList(page, base, 'Filler 6')).total === 1, 'Filler 6 was deleted before the undo window ended');
      await until('the undo offer to end', () => page.locator('.toast.undo').count(), (n) => n === 0, UNDO_WAIT);
      await until('Filler 6 deleted on the server', async () => (await apiList(page, base, 'Filler 6')).total, (n) => n === 0);
      await expectText(page.locator('.count'), /^13 tasks$/);
    });

    await step('leaving the page sends a held delete at once', async () => {
      const row = taskItem(page, 'Filler 7');
      await row.getByRole('button', { name: 'Delete “Filler 7”' }).click();
      await row.getByRole('button', { name: 'Yes, delete' }).click();
      await until('Filler 7 gone', () => titles(page), (t) => !t.includes('Filler 7'));
      const t0 = Date.now();
      await page.reload();
      await until('Filler 7 deleted on the server', async () => (await apiList(page, base, 'Filler 7')).total, (n) => n === 0, 3000);
      log(`    deleted on the server ${Date.now() - t0} ms after the reload began (the undo window is 6 s)`);
      await expectText(page.locator('.count'), /^12 tasks$/);
    });

    await step('select several tasks and mark them done: progress, and a partial failure named and kept selected', async () => {
      await page.getByRole('button', { name: 'Select', exact: true }).click();
      const bar = page.getByRole('group', { name: 'Selected tasks', exact: true });
      for (const t of ['Write report', 'Call plumber', 'Water plants']) await page.getByRole('checkbox', { name: `Select “${t}”` }).check();
      await expectText(bar, /3 selected/);
      const plumber = await taskItem(page, 'Call plumber').getAttribute('data-task-id');
      injectedFailures = true;
      await refuse(page, 'PATCH', new RegExp(`/tasks/${plumber}$`));
      await bar.getByRole('button', { name: 'Mark done' }).click();
      const alert = page.locator('.toasts [role="alert"]');
      await expectText(alert, /Marking done: 2 of 3 done, 1 failed/);
      await expectText(alert, /“Call plumber”: The server is not available right now \(503\)/);
      await expectText(bar, /1 selected/);
      expect(await page.getByRole('checkbox', { name: 'Select “Call plumber”' }).isChecked(), 'the failed task is no longer selected');
      for (const [t, done] of [['Write report', true], ['Water plants', true], ['Call plumber', false]] as const) {
        await until(`${t} ${done ? 'done' : 'open'}`, () => taskItem(page, t).getAttribute('class'), (c) => !!c && /completed/.test(c) === done && !/saving/.test(c));
      }
      await screenshot(page, 'flow-bulk-partial-failure');
      await alert.getByRole('button', { name: 'Dismiss' }).click();
      injectedFailures = false;
      await bar.getByRole('button', { name: 'Mark done' }).click();
      await expectText(status(page), /Marked 1 task as done/);
      for (const t of ['Write report', 'Water plants', 'Call plumber']) await page.getByRole('checkbox', { name: `Select “${t}”` }).check();
      await bar.getByRole('button', { name: 'Mark not done' }).click();
      await expectText(status(page), /Marked 3 tasks as not done/);
    });

    await step('select several tasks and delete them, with confirmation and Undo', async () => {
      const bar = page.getByRole('group', { name: 'Selected tasks', exact: true });
      const fillers = ['Filler 1', 'Filler 2', 'Filler 3', 'Filler 4', 'Filler 5', 'Filler 8'];
      for (const t of fillers) await page.getByRole('checkbox', { name: `Select “${t}”` }).check();
      await expectText(bar, /6 selected/);
      await bar.getByRole('button', { name: 'Delete' }).click();
      await expectText(bar, /Delete 6 tasks\?/);
      await bar.getByRole('button', { name: 'Yes, delete' }).click();
      await expectTitles(page, all);
      await expectText(page.locator('.toast.undo'), /Deleted 6 tasks/);
      await page.locator('.toast.undo').getByRole('button', { name: 'Undo' }).click();
      await expectTitles(page, [...all, ...fillers]);
      for (const t of fillers) await page.getByRole('checkbox', { name: `Select “${t}”` }).check();
      await bar.getByRole('button', { name: 'Delete' }).click();
      await bar.getByRole('button', { name: 'Yes, delete' }).click();
      await expectTitles(page, all);
      await until('the deletes on the server', async () => (await apiList(page, base, 'Filler')).total, (n) => n === 0, UNDO_WAIT + 3000);
      await expectText(page.locator('.count'), /^6 tasks$/);
      await bar.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('checkbox', { name: 'Completed: Buy milk' }).waitFor();
    });

    await step('a new task shows at once; refused, it goes away and its values come back', async () => {
      // A slow answer: the task is in the list (marked as saving) before the server has it.
      let slowed = false;
      await page.route(
        (url) => url.pathname === API_ROUTES.tasks,
        async (route) => {
          if (route.request().method() !== 'POST' || slowed) return route.fallback();
          slowed = true;
          await new Promise((r) => setTimeout(r, 1500));
          await route.fallback();
        },
      );
      const form = newTaskForm(page);
      await form.getByLabel('Title').fill('Slow task');
      await form.getByLabel('Title').press('Enter');
      await until('Slow task shown as saving', () => taskItem(page, 'Slow task').getAttribute('class'), (c) => !!c && /saving/.test(c), 1000);
      expect((await form.getByLabel('Title').inputValue()) === '', 'the add bar was not emptied at once');
      await until('Slow task saved', () => taskItem(page, 'Slow task').getAttribute('class'), (c) => !!c && !/saving/.test(c));
      injectedFailures = true;
      await refuse(page, 'POST', new RegExp(`^${API_ROUTES.tasks}$`));
      await addTaskRefused(page);
      injectedFailures = false;
      await form.getByRole('button', { name: 'Add task' }).click();
      await expectText(status(page), /Added “Doomed task”/);
      await expectTitles(page, [...all, 'Slow task', 'Doomed task']);
    });

    await step('an edit shows at once; refused, it rolls back and the form returns with the reason', async () => {
      const id = await taskItem(page, 'Write report').getAttribute('data-task-id');
      injectedFailures = true;
      await refuse(page, 'PATCH', new RegExp(`/tasks/${id}$`));
      await taskItem(page, 'Write report').getByRole('button', { name: 'Edit “Write report”' }).click();
      let form = page.getByRole('form', { name: 'Edit “Write report”' });
      expect((await form.getByLabel('Title').inputValue()) === 'Write report', 'the edit form is not filled in');
      expect((await form.getByLabel(/^Tags/).inputValue()) === 'work', 'the edit form lacks the tags');
      expect((await focused(page)).tag === 'INPUT', 'focus did not move to the edit form');
      await form.getByLabel('Title').fill('Write quarterly report');
      await form.getByLabel('Priority').selectOption('high');
      await form.getByLabel(/^Tags/).fill('work, q4');
      await form.getByRole('button', { name: 'Save' }).click();
      form = page.getByRole('form', { name: 'Edit “Write report”' });
      await expectText(form.getByRole('alert'), /not available right now \(503\)/);
      expect((await form.getByLabel('Title').inputValue()) === 'Write quarterly report', 'the typed title was lost');
      expect((await form.getByLabel(/^Tags/).inputValue()) === 'work, q4', 'the typed tags were lost');
      injectedFailures = false;
      await form.getByLabel('Title').fill('Write quarterly repor');
      await form.getByLabel('Title').fill('Write quarterly report');
      await until('the stale error to go', () => form.getByRole('alert').count(), (n) => n === 0);
      await form.getByRole('button', { name: 'Save' }).click();
      await expectText(status(page), /Saved “Write quarterly report”/);
      const item = taskItem(page, 'Write quarterly report');
      await expectText(item, /High\s+priority/);
      await expectText(item, /#q4/);
      await expectText(item, /Quarterly numbers/);
      expect((await focused(page)).label === 'Edit “Write quarterly report”', 'focus did not return to the Edit button');
    });

    await step('Escape cancels an edit', async () => {
      await taskItem(page, 'Call plumber').getByRole('button', { name: 'Edit “Call plumber”' }).click();
      const form = page.getByRole('form', { name: 'Edit “Call plumber”' });
      await form.getByLabel('Title').fill('Changed my mind');
      await page.keyboard.press('Escape');
      await until('Call plumber unchanged', () => titles(page), (t) => t.includes('Call plumber') && !t.includes('Changed my mind'));
    });

    const current = ['Buy milk', 'Write quarterly report', 'Call plumber', 'Renew passport', 'Pay rent', 'Water plants', 'Slow task', 'Doomed task'];
    await step('a skip link leads to the tasks, and few Tab stops separate the add bar from the first task', async () => {
      await page.reload();
      await expectTitles(page, current);
      await page.keyboard.press('Tab');
      let f = await focused(page);
      expect(f.label === 'Skip to tasks', `the first Tab reached ${JSON.stringify(f)}`);
      const box = await page.locator('.skip-link').boundingBox();
      expect(box && box.y >= 0 && box.y < 100, 'the skip link is not visible when focused');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      f = await focused(page);
      const first = (await titles(page))[0];
      expect(f.row === first && f.label === `Completed: ${first}`, `Tab after the skip link reached ${JSON.stringify(f)}`);
      await newTaskForm(page).getByLabel('Title').focus();
      let presses = 0;
      do {
        await page.keyboard.press('Tab');
        presses++;
        f = await focused(page);
      } while (f.row === null && presses < 40);
      log(`    ${presses} Tab presses from the add bar's title to the first task`);
      expect(presses <= 6, `${presses} Tab presses from the title field to the first task`);
    });

    await step('a long tag does not make the phone page scroll sideways', async () => {
      await addTask(page, { title: 'Long tag task', tags: `a${'-very-long-tag'.repeat(2)}-that-goes-on-and-on`.slice(0, 40) });
      await page.setViewportSize(PHONE);
      await page.reload();
      await taskItem(page, 'Long tag task').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow <= 0, `the page is ${overflow}px wider than a 390px screen`);
      const bottom = await firstRowBottom(page);
      log(`    phone: first task ends at ${bottom.toFixed(0)} px of 844`);
      expect(bottom <= PHONE.height, `on a phone the first task ends at ${bottom}px, below the screen`);
      await screenshot(page, 'flow-phone-long-tag');
      await page.setViewportSize(DESKTOP);
    });

    await step('one language per page: an English page in a Japanese browser shows no Japanese dates', async () => {
      const ja = await newContext({ locale: 'ja-JP' });
      const p = await ja.newPage();
      watch(p);
      await login(p, base, email, password);
      await taskItem(p, 'Renew passport').waitFor();
      expect((await p.evaluate(() => navigator.language)) === 'ja-JP', 'the browser is not Japanese');
      const text = await p.locator('main').innerText();
      const foreign = text.match(/[\u3000-\u9fff]+/g);
      expect(!foreign, `Japanese on an English page: ${foreign?.join(' ')}`);
      await expectText(taskItem(p, 'Renew passport').locator('.due'), /^Overdue · due 2 days ago$/);
      await expectText(taskItem(p, 'Pay rent').locator('.due'), /^Due today$/);
      await ja.close();
    });

    await step('log out', async () => {
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
      await expectText(page.getByRole('status'), /You have logged out/);
      // The app no longer holds the token, and the tasks page sends you back.
      await page.goto(`${base}/tasks`);
      await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
    });

    await step('API errors are shown as the API words them (duplicate sign-up, wrong password)', async () => {
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign up' }).click();
      const dup = await until('sign-up error', () => page.getByRole('alert').innerText(), (t) => t.length > 5);
      log(`    duplicate sign-up says: ${dup}`);
      await page.getByRole('link', { name: 'Log in' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('wrong password!');
      await page.getByRole('button', { name: 'Log in' }).click();
      const wrong = await until('log-in error', () => page.getByRole('alert').innerText(), (t) => t.length > 5);
      log(`    wrong password says: ${wrong}`);
      expect(!/request failed|session has ended/i.test(wrong), `unhelpful message for a wrong password: ${wrong}`);
      await page.getByLabel('Password').fill(password);
      await until('the stale error to go', () => page.getByRole('alert').count(), (n) => n === 0);
    });

    await step('log in again and find the data still there', async () => {
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
      await expectTitles(page, [...current, 'Long tag task']);
      expect(await page.getByRole('checkbox', { name: 'Completed: Buy milk' }).isChecked(), 'Buy milk is no longer completed');
      await expectText(taskItem(page, 'Write quarterly report'), /#q4/);
    });

    await step('an invalid session cookie sends the user back to log in', async () => {
      const [cookie] = (await context.cookies()).filter((c) => c.name === SESSION_COOKIE.name);
      await context.addCookies([{ ...cookie!, value: 'v1.tampered.cookie.value' }]);
      await page.reload();
      await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
      await expectText(page.getByRole('status'), /session has ended/);
    });
    await context.close();

    await sessionSteps({ browser, executablePath, launchArgs, base, crossSite: `http://localhost:${backendPort}${BACKEND.livenessPath}`, password, newContext, step, until, expect, watch, screenshot, log, viewports: { desktop: DESKTOP, phone: PHONE } });

    // ---- every state at both sizes, in both colour schemes --------------------------------------
    for (const [size, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        await step(`${size} ${viewport.width}×${viewport.height}, ${scheme}: axe-core WCAG A/AA 0 violations in every state; contrast; list first`, async () => {
          const ctx = await newContext({ viewport, colorScheme: scheme });
          const p = await ctx.newPage();
          watch(p);
          try {
            await checkStates(p, `${size}-${scheme}`, { base, email, password, viewport, setInjected: (on) => (injectedFailures = on) });
          } finally {
            await ctx.close();
          }
        });
      }
    }

    const kit = { base, newContext, step, until, expectText, screenshot, watch, log, viewports: { desktop: DESKTOP, phone: PHONE } };
    await recurringSuite({ ...kit, setInjected: (on) => (injectedFailures = on) });

    await step('no console errors, CSP violations or uncaught exceptions', async () => {
      if (problems.length) throw new Error(problems.join('\n'));
    });
  } finally {
    await browser?.close().catch(() => {});
    const [fe] = await Promise.all([stop(frontend), stop(backend)]);
    if (failed === 0) {
      await step('the frontend server exits 0 on SIGTERM', async () => {
        if (fe !== 0) throw new Error(`exit code ${fe}`);
      });
    }
  }
}

/** The add bar refusing "Doomed task" (the API answers 503): the row goes, the values come back. */
async function addTaskRefused(page: Page) {
  const form = newTaskForm(page);
  await openDetails(page);
  await form.getByLabel('Priority').selectOption('high');
  await form.getByLabel(/^Tags/).fill('doomed');
  await form.getByLabel('Title').fill('Doomed task');
  await form.getByRole('button', { name: 'Add task' }).click();
  await expectText(form.getByRole('alert'), /“Doomed task” was not added: The server is not available right now \(503\)/);
  expect(!(await titles(page)).includes('Doomed task'), 'the refused task is still in the list');
  expect((await form.getByLabel('Title').inputValue()) === 'Doomed task', 'the refused title did not come back');
  expect((await form.getByLabel('Priority').inputValue()) === 'high', 'the refused priority did not come back');
  expect((await form.getByLabel(/^Tags/).inputValue()) === 'doomed', 'the refused tags did not come back');
}

interface StateOptions {
  base: string;
  email: string;
  password: string;
  viewport: { width: number; height: number };
  setInjected(on: boolean): void;
}

/**
 * Walks one context (a size and a colour scheme) through every screen state: axe-core after each,
 * a screenshot of each, the contrast of the elements that matter, and the list-first check.
 */
async function checkStates(page: Page, prefix: string, o: StateOptions) {
  const ratios: ContrastResult[] = [];
  const measure = async (name: string, locator: Locator, kind: ContrastKind) => ratios.push(await contrast(page, name, locator, kind));
  const state = async (name: string) => {
    const violations = await axeViolations(page);
    await screenshot(page, `${prefix}-${name}`);
    if (violations.length) throw new Error(`axe-core, ${prefix} ${name}:\n${violations.join('\n')}`);
  };
  const tabTo = async (locator: Locator) => {
    // Keyboard focus (so :focus-visible applies) on the element: focus what precedes it, then Tab.
    await locator.evaluate((el) => {
      const all = Array.from(document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')).filter(
        (e) => !e.hasAttribute('disabled') && e.offsetParent !== null,
      );
      const i = all.indexOf(el as HTMLElement);
      (i > 0 ? all[i - 1]! : document.body).focus();
    });
    await page.keyboard.press('Tab');
  };

  await page.goto(`${o.base}/login`);
  await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
  await state('01-login');
  await page.getByLabel('Email').fill(o.email);
  await page.getByLabel('Password').fill(o.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
  await page.locator('.task-list > li').first().waitFor();

  // The list first: the first task is on the first screen.
  const bottom = await firstRowBottom(page);
  expect(bottom <= o.viewport.height, `${prefix}: the first task ends at ${bottom}px, below the ${o.viewport.height}px screen`);
  await state('02-list');
  const milk = taskItem(page, 'Buy milk');
  const rent = taskItem(page, 'Pay rent');
  await measure('task title', taskItem(page, 'Call plumber').locator('.task-title'), 'text');
  await measure('completed task title', milk.locator('.task-title'), 'text');
  await measure('description', milk.locator('.task-description'), 'text');
  await measure('task count', page.locator('.count'), 'text');
  await measure('high priority badge', milk.locator('.badge'), 'text');
  await measure('medium priority badge', rent.locator('.badge'), 'text');
  await measure('low priority badge', taskItem(page, 'Call plumber').locator('.badge'), 'text');
  await measure('“Due today” marker', rent.locator('.due-today'), 'text');
  await measure('“Overdue” text', taskItem(page, 'Renew passport').locator('.due-overdue'), 'text');
  await measure('tag button', milk.locator('.tag').first(), 'text');
  await measure('Edit button', milk.getByRole('button', { name: /^Edit/ }), 'text');
  await measure('Delete button', milk.getByRole('button', { name: /^Delete/ }), 'text');
  await measure('Add task button', newTaskForm(page).getByRole('button', { name: 'Add task' }), 'text');
  await measure('add bar placeholder', newTaskForm(page).getByLabel('Title'), 'placeholder');
  await measure('search placeholder', page.getByRole('search').getByLabel('Search'), 'placeholder');
  await measure('title input border', newTaskForm(page).getByLabel('Title'), 'border');
  await measure('search input border', page.getByRole('search').getByLabel('Search'), 'border');
  await measure('Filters button border', filtersToggle(page), 'border');

  // Focus rings, reached by the keyboard.
  await tabTo(newTaskForm(page).getByRole('button', { name: 'Details' }));
  await measure('focus ring on a button in a card', newTaskForm(page).getByRole('button', { name: 'Details' }), 'outline');
  await tabTo(filtersToggle(page));
  await measure('focus ring on a button on the page', filtersToggle(page), 'outline');
  await tabTo(page.getByRole('checkbox', { name: 'Completed: Call plumber' }));
  await measure('focus ring on a task checkbox', page.getByRole('checkbox', { name: 'Completed: Call plumber' }), 'outline');
  await tabTo(milk.locator('.tag').first());
  await measure('focus ring on a tag', milk.locator('.tag').first(), 'outline');

  // The add bar opened, with a validation error.
  const form = newTaskForm(page);
  await openDetails(page);
  await form.getByLabel(/^Tags/).fill('not!fine');
  await form.getByLabel('Title').fill('Check');
  await form.getByRole('button', { name: 'Add task' }).click();
  await form.locator('.field-error').waitFor();
  await measure('field error', form.locator('.field-error'), 'text');
  await measure('invalid field border', form.getByLabel(/^Tags/), 'border');
  await measure('priority select border', form.getByLabel('Priority'), 'border');
  await measure('optional-field hint', form.locator('.optional').first(), 'text');
  await state('03-add-details-error');
  await form.getByLabel(/^Tags/).fill('');
  await form.getByLabel('Title').fill('');
  await form.getByRole('button', { name: 'Details' }).click();

  // Filters open, one active.
  await openFilters(page);
  await page.getByRole('search').getByLabel('Status').selectOption('open');
  await until('the filter count', () => filtersToggle(page).innerText(), (t) => /1/.test(t));
  await measure('active-filter count', filtersToggle(page).locator('.count-badge'), 'text');
  await measure('status select border', page.getByRole('search').getByLabel('Status'), 'border');
  await state('04-filters-open');
  await page.getByRole('search').getByLabel('Status').selectOption('all');
  await filtersToggle(page).click();
  await until('all tasks', () => page.locator('.task-list > li').count(), (n) => n >= 9);

  // Editing a task.
  await milk.getByRole('button', { name: 'Edit “Buy milk”' }).click();
  await page.getByRole('form', { name: 'Edit “Buy milk”' }).waitFor();
  await state('05-edit');
  await page.keyboard.press('Escape');

  // Delete: the confirmation, then the undo offer.
  const plumber = taskItem(page, 'Call plumber');
  await plumber.getByRole('button', { name: 'Delete “Call plumber”' }).click();
  const yes = plumber.getByRole('button', { name: 'Yes, delete' });
  await yes.waitFor();
  await measure('“Yes, delete” button', yes, 'text');
  await tabTo(yes);
  await measure('focus ring on “Yes, delete”', yes, 'outline');
  await state('06-confirm-delete');
  await yes.click();
  const toast = page.locator('.toast.undo');
  await toast.waitFor();
  await measure('undo message', toast.locator('span'), 'text');
  await measure('Undo button', toast.getByRole('button', { name: 'Undo' }), 'text');
  await tabTo(toast.getByRole('button', { name: 'Undo' }));
  await measure('focus ring on Undo', toast.getByRole('button', { name: 'Undo' }), 'outline');
  await state('07-undo');
  await toast.getByRole('button', { name: 'Undo' }).click();
  await plumber.waitFor();

  // Selection, the bulk confirmation, and a partial failure.
  await page.getByRole('button', { name: 'Select', exact: true }).click();
  await page.getByRole('checkbox', { name: 'Select “Pay rent”' }).check();
  await page.getByRole('checkbox', { name: 'Select “Water plants”' }).check();
  const bar = page.getByRole('group', { name: 'Selected tasks', exact: true });
  await measure('selected task title', rent.locator('.task-title'), 'text');
  await measure('selection count', bar.locator('.selected-count'), 'text');
  await bar.getByRole('button', { name: 'Delete' }).click();
  await measure('bulk “Yes, delete” button', bar.getByRole('button', { name: 'Yes, delete' }), 'text');
  await state('08-select-confirm');
  await bar.getByRole('button', { name: 'Keep them' }).click();
  const rentId = await rent.getAttribute('data-task-id');
  o.setInjected(true);
  await refuse(page, 'PATCH', new RegExp(`/tasks/${rentId}$`));
  await bar.getByRole('button', { name: 'Mark done' }).click();
  const alert = page.locator('.toasts [role="alert"]');
  await expectText(alert, /1 failed/);
  await measure('failure message', alert.locator('p'), 'text');
  await state('09-partial-failure');
  o.setInjected(false);
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  // Put Water plants back as it was.
  await page.getByRole('checkbox', { name: 'Select “Pay rent”' }).uncheck();
  await page.getByRole('checkbox', { name: 'Select “Water plants”' }).check();
  await bar.getByRole('button', { name: 'Mark not done' }).click();
  await expectText(status(page), /Marked 1 task as not done/);
  await bar.getByRole('button', { name: 'Cancel' }).click();

  for (const r of ratios) log(`    ${prefix}: ${describeContrast(r)}`);
  const low = ratios.filter((r) => r.ratio < r.min);
  if (low.length) throw new Error(`contrast below the minimum, ${prefix}:\n${low.map(describeContrast).join('\n')}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  });
}

main()
  .catch((err: Error) => {
    if (failed === 0) {
      failed++;
      log(`  ✗ ${err.message}`);
    }
  })
  .finally(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    log(`e2e: ${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  });
