/**
 * Browser end-to-end test: the real backend (PGlite in memory, or PostgreSQL when DATABASE_URL is
 * set) and the real production web server (API_UPSTREAM → backend), driven in Debian's headless
 * Chromium through playwright-core. Run by scripts/ci/frontend-e2e.sh, which builds both first.
 *
 * Screenshots of the main screens go to .artifacts/screenshots/ (git-ignored).
 * Env: CHROMIUM (default: `which chromium`), DATABASE_URL (optional), E2E_KEEP_OPEN (debug).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BACKEND, BACKEND_ENV, FRONTEND, FRONTEND_ENV } from '@todo/contract';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { freePort, statusOf } from '../scripts/local-http';
import { describe as describePerf, measure, type PerfCase, routeHtml, seedUser } from './perf';

const repo = path.resolve(__dirname, '../..');
const shots = path.join(repo, '.artifacts/screenshots');
const backendJs = path.join(repo, 'backend/dist/server.js');
const frontendJs = path.join(repo, 'frontend/dist/server.js');
const TIMEOUT = 10_000;

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

const taskItem = (page: Page, title: string) => page.locator('.task-list > li', { has: page.locator('.task-title', { hasText: new RegExp(`^${title}$`) }) });

async function addTask(page: Page, t: { title: string; description?: string; priority: string; tags: string; due?: string }) {
  const form = page.getByRole('form', { name: 'New task' });
  await form.getByLabel('Title').fill(t.title);
  await form.getByLabel(/^Description/).fill(t.description ?? '');
  await form.getByLabel('Priority').selectOption(t.priority);
  await form.getByLabel(/^Tags/).fill(t.tags);
  await form.getByLabel(/^Due date/).fill(t.due ?? '');
  await form.getByRole('button', { name: 'Add task' }).click();
  await expectText(page.getByRole('status').first(), new RegExp(`Added “${t.title}”`));
  await until(`“${t.title}” in the list`, () => titles(page), (ts) => ts.includes(t.title));
}

async function screenshot(page: Page, name: string) {
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`    screenshot: ${path.relative(repo, file)}`);
}

// ---- the test ----------------------------------------------------------------------------------

async function main() {
  for (const f of [backendJs, frontendJs]) {
    if (!existsSync(f)) throw new Error(`${path.relative(repo, f)} is missing: build it first (scripts/ci/frontend-e2e.sh does)`);
  }
  const executablePath = process.env.CHROMIUM || execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  mkdirSync(shots, { recursive: true });

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

  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-chromium-'));
  let context: BrowserContext | undefined;
  const problems: string[] = [];
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
      colorScheme: 'light',
    });
    context.setDefaultTimeout(TIMEOUT);
    const page = context.pages()[0] ?? (await context.newPage());
    // Any console error (a CSP violation among them) or uncaught exception fails the run.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 40[0-9]/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const base = `http://127.0.0.1:${frontendPort}`;
    const email = `e2e-${Date.now()}@example.test`;
    const password = 'correct horse battery staple';

    await step('performance: first contentful paint and an interactive list of 200 tasks (figures, not assertions)', async () => {
      const perfEmail = `perf-${Date.now()}@example.test`;
      await seedUser(base, perfEmail, password, 200);
      const login = async (p: Page) => {
        await p.goto(`${base}/login`);
        await p.getByLabel('Email').fill(perfEmail);
        await p.getByLabel('Password').fill(password);
        await p.getByRole('button', { name: 'Log in' }).click();
        await p.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
      };
      const cases: PerfCase[] = [
        { name: '20 of 200 per page', path: '/tasks', rows: 20 },
        { name: '100 of 200 per page', path: '/tasks?pageSize=100', rows: 100 },
      ];
      const variants: [string, ((p: Page) => Promise<void>) | undefined][] = [
        ['as served', undefined],
        ['HTML through a test route (control)', (p) => routeHtml(p, base, 'runtime-config', null)],
        ['HTML through a test route, runtime configuration embedded', (p) => routeHtml(p, base, 'runtime-config', { apiBaseUrl: '/api' })],
      ];
      for (const [variant, prepare] of variants) {
        for (const r of await measure(context!, base, login, cases, { prepare })) log(`    ${variant}: ${describePerf(r)}`);
      }
    });

    await step('a signed-out visitor lands on the log-in page', async () => {
      await page.goto(`${base}/tasks`);
      await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
      await until('/login address', async () => new URL(page.url()).pathname, (p) => p === '/login');
      await screenshot(page, '01-login');
    });

    await step('keyboard: Tab moves from email to password to the button', async () => {
      await page.getByLabel('Email').focus();
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.getAttribute('name'))) !== 'password') throw new Error('Tab from email did not reach the password');
      await page.keyboard.press('Tab');
      const label = await page.evaluate(() => document.activeElement?.textContent);
      if (label !== 'Log in') throw new Error(`Tab from password reached ${JSON.stringify(label)}, not the Log in button`);
    });

    await step('sign up', async () => {
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByRole('heading', { name: 'Create your account' }).waitFor();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
      await expectText(page.locator('.empty'), /No tasks yet/);
      await expectText(page.locator('.account'), new RegExp(email.replace(/[.]/g, '\\.')));
    });

    await step('a bad tag is refused with a clear message, before reaching the API', async () => {
      const form = page.getByRole('form', { name: 'New task' });
      await form.getByLabel('Title').fill('Tagged badly');
      await form.getByLabel(/^Tags/).fill('fine, not!fine');
      await form.getByRole('button', { name: 'Add task' }).click();
      await expectText(form.getByRole('alert'), /Tag “not!fine” may contain only letters/);
      await form.getByLabel(/^Tags/).fill('');
      await form.getByLabel('Title').fill('');
    });

    await step('add four tasks with priorities, tags and due dates', async () => {
      await addTask(page, { title: 'Buy milk', description: 'Two litres, semi-skimmed', priority: 'high', tags: 'home, errands', due: isoDate(1) });
      await addTask(page, { title: 'Write report', description: 'Quarterly numbers', priority: 'medium', tags: 'work', due: isoDate(7) });
      await addTask(page, { title: 'Call plumber', priority: 'low', tags: 'home' });
      await addTask(page, { title: 'Renew passport', priority: 'high', tags: 'admin', due: isoDate(-2) });
      await expectTitles(page, ['Buy milk', 'Write report', 'Call plumber', 'Renew passport']);
      await expectText(page.locator('.count'), /^4 tasks$/);
      const milk = taskItem(page, 'Buy milk');
      await expectText(milk, /High priority/);
      await expectText(milk, /#home/);
      await expectText(milk, /#errands/);
      await expectText(milk, /Two litres, semi-skimmed/);
      await expectText(taskItem(page, 'Renew passport'), /Overdue/);
      await expectText(taskItem(page, 'Call plumber'), /Low priority/);
    });

    await step('complete one task', async () => {
      await page.getByRole('checkbox', { name: 'Completed: Buy milk' }).check();
      await expectText(page.getByRole('status').first(), /Marked “Buy milk” as done/);
      await until('Buy milk checked', () => page.getByRole('checkbox', { name: 'Completed: Buy milk' }).isChecked(), (c) => c);
      await expectText(taskItem(page, 'Buy milk'), /Done/);
    });

    const filters = page.getByRole('search');

    await step('filter by status', async () => {
      await filters.getByLabel('Status').selectOption('open');
      await expectTitles(page, ['Write report', 'Call plumber', 'Renew passport']);
      await until('status in the address', async () => page.url(), (u) => u.includes('status=open'));
      await filters.getByLabel('Status').selectOption('completed');
      await expectTitles(page, ['Buy milk']);
      await filters.getByLabel('Status').selectOption('all');
      await expectTitles(page, ['Buy milk', 'Write report', 'Call plumber', 'Renew passport']);
    });

    await step('filter by priority, and by tag from a task’s tag button', async () => {
      await filters.getByLabel('Priority').selectOption('high');
      await expectTitles(page, ['Buy milk', 'Renew passport']);
      await filters.getByLabel('Priority').selectOption('');
      await taskItem(page, 'Call plumber').getByRole('button', { name: 'Show tasks tagged home' }).click();
      await expectTitles(page, ['Buy milk', 'Call plumber']);
      await until('tag filter field', () => filters.getByLabel('Tag').inputValue(), (v) => v === 'home');
      await expectText(page.locator('#list-heading'), /Matching tasks/);
    });

    await step('filter by due date range', async () => {
      await filters.getByRole('button', { name: 'Clear filters' }).click();
      await filters.getByLabel('Due from').fill(isoDate(0));
      await filters.getByLabel('Due to').fill(isoDate(30));
      await expectTitles(page, ['Buy milk', 'Write report']);
      await filters.getByRole('button', { name: 'Clear filters' }).click();
      await expectTitles(page, ['Buy milk', 'Write report', 'Call plumber', 'Renew passport']);
    });

    await step('search by keyword (title, description)', async () => {
      await filters.getByLabel('Search').fill('report');
      await expectTitles(page, ['Write report']);
      await filters.getByLabel('Search').fill('semi-skimmed');
      await expectTitles(page, ['Buy milk']);
      await filters.getByLabel('Search').fill('no such thing');
      await expectText(page.locator('.empty'), /No tasks match these filters/);
      await filters.getByLabel('Search').fill('');
      await expectTitles(page, ['Buy milk', 'Write report', 'Call plumber', 'Renew passport']);
    });

    await step('sort by title and by due date', async () => {
      await filters.getByLabel('Sort by').selectOption('title');
      await expectTitles(page, ['Buy milk', 'Call plumber', 'Renew passport', 'Write report'], { ordered: true });
      await filters.getByLabel('Order').selectOption('desc');
      await expectTitles(page, ['Write report', 'Renew passport', 'Call plumber', 'Buy milk'], { ordered: true });
      await filters.getByLabel('Sort by').selectOption('dueDate');
      const t = await until('due-date order', () => titles(page), (ts) => ts.length === 4 && ts[0] === 'Renew passport');
      // Tasks without a due date come after the dated ones.
      if (t.slice(0, 3).join() !== 'Renew passport,Buy milk,Write report') throw new Error(`due-date order was ${t.join(', ')}`);
      await screenshot(page, '02-task-list');
      await filters.getByLabel('Sort by').selectOption('createdAt');
    });

    await step('pagination', async () => {
      await filters.getByLabel('Per page').selectOption('10');
      for (let i = 1; i <= 8; i++) {
        const form = page.getByRole('form', { name: 'New task' });
        await form.getByLabel('Title').fill(`Filler ${i}`);
        await form.getByRole('button', { name: 'Add task' }).click();
        await expectText(page.getByRole('status').first(), new RegExp(`Added “Filler ${i}”`));
      }
      await expectText(page.locator('.count'), /^12 tasks$/);
      const pager = page.getByRole('navigation', { name: 'Pages' });
      await expectText(pager, /Page 1 of 2/);
      await until('10 on page 1', async () => (await titles(page)).length, (n) => n === 10);
      await pager.getByRole('button', { name: /Next/ }).click();
      await expectText(pager, /Page 2 of 2/);
      await until('2 on page 2', async () => (await titles(page)).length, (n) => n === 2);
      // Newest first: page 2 holds the two oldest tasks.
      await expectTitles(page, ['Buy milk', 'Write report']);
      await pager.getByRole('button', { name: /Previous/ }).click();
      await expectText(pager, /Page 1 of 2/);
    });

    await step('delete the filler tasks', async () => {
      for (let i = 8; i >= 1; i--) {
        await taskItem(page, `Filler ${i}`).getByRole('button', { name: `Delete “Filler ${i}”` }).click();
        await page.getByRole('button', { name: 'Yes, delete' }).click();
        await expectText(page.getByRole('status').first(), new RegExp(`Deleted “Filler ${i}”`));
      }
      await expectText(page.locator('.count'), /^4 tasks$/);
      await filters.getByLabel('Per page').selectOption('20');
    });

    await step('edit a task', async () => {
      await taskItem(page, 'Write report').getByRole('button', { name: 'Edit “Write report”' }).click();
      const form = page.getByRole('form', { name: 'Edit “Write report”' });
      if ((await form.getByLabel('Title').inputValue()) !== 'Write report') throw new Error('the edit form is not filled in');
      if ((await form.getByLabel(/^Tags/).inputValue()) !== 'work') throw new Error('the edit form lacks the tags');
      const focused = await page.evaluate(() => document.activeElement?.id ?? '');
      if (focused !== (await form.getByLabel('Title').getAttribute('id'))) throw new Error('focus did not move to the edit form');
      await screenshot(page, '03-edit-form');
      await form.getByLabel('Title').fill('Write quarterly report');
      await form.getByLabel('Priority').selectOption('high');
      await form.getByLabel(/^Tags/).fill('work, q4');
      await form.getByRole('button', { name: 'Save' }).click();
      await expectText(page.getByRole('status').first(), /Saved “Write quarterly report”/);
      await expectTitles(page, ['Buy milk', 'Write quarterly report', 'Call plumber', 'Renew passport']);
      const item = taskItem(page, 'Write quarterly report');
      await expectText(item, /High priority/);
      await expectText(item, /#q4/);
      await expectText(item, /Quarterly numbers/);
    });

    await step('Escape cancels an edit', async () => {
      await taskItem(page, 'Call plumber').getByRole('button', { name: 'Edit “Call plumber”' }).click();
      const form = page.getByRole('form', { name: 'Edit “Call plumber”' });
      await form.getByLabel('Title').fill('Changed my mind');
      await page.keyboard.press('Escape');
      await expectTitles(page, ['Buy milk', 'Write quarterly report', 'Call plumber', 'Renew passport']);
    });

    await step('delete a task (with confirmation)', async () => {
      await taskItem(page, 'Call plumber').getByRole('button', { name: 'Delete “Call plumber”' }).click();
      await taskItem(page, 'Call plumber').getByRole('button', { name: 'Keep it' }).click();
      await expectTitles(page, ['Buy milk', 'Write quarterly report', 'Call plumber', 'Renew passport']);
      await taskItem(page, 'Call plumber').getByRole('button', { name: 'Delete “Call plumber”' }).click();
      await page.getByRole('button', { name: 'Yes, delete' }).click();
      await expectText(page.getByRole('status').first(), /Deleted “Call plumber”/);
      await expectTitles(page, ['Buy milk', 'Write quarterly report', 'Renew passport']);
    });

    await step('phone-width layout has no horizontal scrolling', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      // A fresh load at phone width: the filters start folded away, the search box stays.
      await page.reload();
      await expectTitles(page, ['Buy milk', 'Write quarterly report', 'Renew passport']);
      if (await page.getByRole('search').getByLabel('Status').isVisible()) throw new Error('the filters are not folded on a phone');
      await page.getByRole('search').getByLabel('Search').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) throw new Error(`the page is ${overflow}px wider than a 390px screen`);
      await screenshot(page, '04-phone-task-list');
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.reload();
      await expectTitles(page, ['Buy milk', 'Write quarterly report', 'Renew passport']);
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
      if (/request failed|session has ended/i.test(wrong)) throw new Error(`unhelpful message for a wrong password: ${wrong}`);
      await screenshot(page, '05-login-error');
    });

    await step('log in again and find the data still there', async () => {
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
      await expectTitles(page, ['Buy milk', 'Write quarterly report', 'Renew passport']);
      if (!(await page.getByRole('checkbox', { name: 'Completed: Buy milk' }).isChecked())) throw new Error('Buy milk is no longer completed');
      await expectText(taskItem(page, 'Write quarterly report'), /#q4/);
      await page.reload();
      await expectTitles(page, ['Buy milk', 'Write quarterly report', 'Renew passport']);
    });

    await step('an invalid session token sends the user back to log in', async () => {
      await page.evaluate(() => {
        const s = JSON.parse(sessionStorage.getItem('todo.session')!);
        sessionStorage.setItem('todo.session', JSON.stringify({ ...s, token: 'tampered.token.value' }));
      });
      await page.reload();
      await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
      await expectText(page.getByRole('status'), /session has ended/);
    });

    await step('no console errors, CSP violations or uncaught exceptions', async () => {
      if (problems.length) throw new Error(problems.join('\n'));
    });
  } finally {
    await context?.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
    const [fe] = await Promise.all([stop(frontend), stop(backend)]);
    if (!process.env.E2E_SKIP_EXIT_CHECK && failed === 0) {
      await step('the frontend server exits 0 on SIGTERM', async () => {
        if (fe !== 0) throw new Error(`exit code ${fe}`);
      });
    }
  }
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
