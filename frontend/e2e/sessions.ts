/**
 * Browser end-to-end steps of sessions, called by e2e/run.ts (whose backend runs with the short
 * access-token lifetime below, so renewals happen during the whole test): a second tab and a
 * reopened browser are signed in; renewal happens before expiry and the user never sees the log-in
 * page; log-out in one tab logs out the other and ends the session on the server; a draft survives
 * an expired session; a cross-site page cannot use the session cookie; a common password at sign-up
 * is named at its field. The new screen states pass axe-core at both sizes in both colour schemes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_HEADERS, API_ROUTES, BACKEND_ENV, CSRF_HEADER_VALUE, SESSION_COOKIE, type Session } from '@todo/contract';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { axeViolations } from './a11y';

/** The e2e backend's access-token lifetime: renewed every ~11 s (a quarter ahead of expiry). */
export const ACCESS_TTL_SECONDS = 15;
export const SESSION_BACKEND_ENV = { [BACKEND_ENV.accessTokenTtlSeconds.name]: String(ACCESS_TTL_SECONDS) };

export interface E2E {
  browser: Browser;
  executablePath: string;
  launchArgs: string[];
  base: string;
  /** A page of another site that still is on this machine (a browser keeps public pages from loopback). */
  crossSite: string;
  password: string;
  newContext(opts?: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' }): Promise<BrowserContext>;
  step(name: string, fn: () => Promise<void>): Promise<void>;
  until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeout?: number): Promise<T>;
  expect(cond: unknown, message: string): asserts cond;
  watch(page: Page): void;
  screenshot(page: Page, name: string): Promise<void>;
  log(msg: string): void;
  viewports: Record<'desktop' | 'phone', { width: number; height: number }>;
}

/** An access token of the page's session, from a refresh made inside the page (with its cookie). */
export function pageToken(page: Page): Promise<string> {
  return page.evaluate(
    async ([route, header, value]) => {
      const r = await fetch(route, { method: 'POST', headers: { [header]: value } });
      return ((await r.json()) as { token: string }).token;
    },
    [API_ROUTES.refresh, API_HEADERS.csrf, CSRF_HEADER_VALUE] as const,
  );
}

/** What the browser holds for the page's origin: its cookies and both Web Storages. */
async function stored(context: BrowserContext, page: Page) {
  const storage = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
  return { cookies: await context.cookies(), storage };
}

/** The session's API as another client would call it: with the refresh cookie, or the bearer token. */
async function cookieCall(base: string, route: string, cookie: string) {
  return fetch(base + route, { method: 'POST', headers: { cookie: `${SESSION_COOKIE.name}=${cookie}`, [API_HEADERS.csrf]: CSRF_HEADER_VALUE } });
}
const meStatus = async (base: string, token: string) => (await fetch(base + API_ROUTES.me, { headers: { authorization: `Bearer ${token}` } })).status;
const refreshCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === SESSION_COOKIE.name);

const heading = (page: Page, name: string) => page.getByRole('heading', { name, level: 1 });
const newTaskForm = (page: Page) => page.getByRole('form', { name: 'New task' });

async function signUp(page: Page, base: string, email: string, password: string) {
  await page.goto(`${base}/signup`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await heading(page, 'Tasks').waitFor();
}

async function logIn(page: Page, email: string, password: string) {
  await heading(page, 'Log in').waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await heading(page, 'Tasks').waitFor();
}

async function addTask(page: Page, title: string) {
  await newTaskForm(page).getByLabel('Title').fill(title);
  await newTaskForm(page).getByRole('button', { name: 'Add task' }).click();
  await page.locator('.task-list .task-title', { hasText: title }).waitFor();
}

/** Types the drafts: a new task with details in the add bar, and an unsaved edit of `task`. */
async function typeDrafts(page: Page, task: string) {
  const form = newTaskForm(page);
  await form.getByRole('button', { name: 'Details' }).click();
  await form.getByLabel(/^Description/).fill('Typed before the session ended');
  await form.getByLabel('Title').fill('Half-typed task');
  await page.getByRole('button', { name: `Edit “${task}”` }).click();
  const edit = page.getByRole('form', { name: `Edit “${task}”` });
  await edit.getByLabel('Title').fill(`${task}, edited`);
}

/** Records every address the page shows and every API answer it gets. */
function record(page: Page) {
  const paths: string[] = [];
  const answers: { path: string; status: number; at: number }[] = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && paths.push(new URL(f.url()).pathname));
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) answers.push({ path: u.pathname, status: r.status(), at: Date.now() });
  });
  return { paths, answers };
}

export async function sessionSteps(e: E2E): Promise<void> {
  const { base, password, until, step } = e;
  const expect: E2E['expect'] = e.expect;
  const email = `sessions-${Date.now()}@example.test`;

  await step('sessions: a common password at sign-up is refused (422) and named at the password field', async () => {
    const ctx = await e.newContext();
    const page = await ctx.newPage();
    e.watch(page);
    await page.goto(`${base}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('Password1');
    const answer = page.waitForResponse((r) => r.url().endsWith(API_ROUTES.signup));
    await page.getByRole('button', { name: 'Sign up' }).click();
    expect((await answer).status() === 422, 'a common password did not get 422');
    const field = page.getByLabel('Password');
    await until('the password field error', () => page.locator('.field-error').innerText(), (t) => /^Password is one of the most commonly used passwords/.test(t));
    expect((await field.getAttribute('aria-invalid')) === 'true', 'the password field is not marked invalid');
    const described = (await field.getAttribute('aria-describedby')) ?? '';
    const errorId = await page.locator('.field-error').getAttribute('id');
    expect(described.split(' ').includes(errorId!), `the error is not tied to the field (aria-describedby "${described}")`);
    expect(await field.evaluate((el) => el === document.activeElement), 'focus did not move to the password field');
    await e.screenshot(page, 'flow-sessions-signup-common-password');
    await field.fill('a harder passphrase');
    await until('the stale error to go', () => page.locator('.field-error').count(), (n) => n === 0);
    await ctx.close();
  });

  const ctx = await e.newContext();
  const first = await ctx.newPage();
  e.watch(first);
  const seen = record(first);

  await step('sessions: the refresh cookie is HttpOnly, Secure, SameSite=Strict, scoped to its routes; no token in Web Storage', async () => {
    const login = first.waitForResponse((r) => r.url().endsWith(API_ROUTES.signup));
    await signUp(first, base, email, password);
    const token = ((await (await login).json()) as Session).token;
    await addTask(first, 'Session task');
    const c = await refreshCookie(ctx);
    expect(c, `no ${SESSION_COOKIE.name} cookie (Secure on http://127.0.0.1 refused?): ${JSON.stringify(await ctx.cookies())}`);
    const days = (c.expires * 1000 - Date.now()) / 86400_000;
    e.log(`    cookie: ${c.name}; HttpOnly=${c.httpOnly}; Secure=${c.secure}; SameSite=${c.sameSite}; Path=${c.path}; expires in ${days.toFixed(2)} days`);
    expect(c.httpOnly && c.secure && c.sameSite === 'Strict' && c.path === SESSION_COOKIE.path, 'cookie attributes');
    expect(days > 6.9 && days <= 7, 'the cookie does not last the idle timeout (7 days)');
    expect(!(await first.evaluate(() => document.cookie)).includes(SESSION_COOKIE.name), 'a script can read the refresh cookie');
    const { storage } = await stored(ctx, first);
    expect(!storage.includes(token) && !storage.includes(c.value), `a token is in Web Storage: ${storage}`);
  });

  await step('sessions: a second tab is signed in, without a log-in page', async () => {
    const second = await ctx.newPage();
    e.watch(second);
    const s = record(second);
    await second.goto(`${base}/tasks`);
    await heading(second, 'Tasks').waitFor();
    await second.locator('.task-title', { hasText: 'Session task' }).waitFor();
    expect(!s.paths.includes('/login'), `the second tab went through ${s.paths.join(' → ')}`);
    await e.screenshot(second, 'flow-sessions-second-tab');
    await second.close();
  });

  await step(`sessions: renewal before expiry (access tokens of ${ACCESS_TTL_SECONDS} s), two tabs, ${3 * ACCESS_TTL_SECONDS} s of use: no 401, no log-in page`, async () => {
    const second = await ctx.newPage();
    e.watch(second);
    const s = record(second);
    await second.goto(`${base}/tasks`);
    await heading(second, 'Tasks').waitFor();
    const t0 = Date.now();
    const from = seen.answers.length;
    const fromSecond = s.answers.length;
    let searches = 0;
    // Use the app now and then, in both tabs, while the tokens come and go.
    while (Date.now() - t0 < 3 * ACCESS_TTL_SECONDS * 1000) {
      for (const p of [first, second]) {
        await p.bringToFront();
        await p.getByRole('search').getByLabel('Search').fill(`session ${++searches}`);
        await p.keyboard.press('Enter');
        await until('the search', () => p.locator('.empty, .task-list').count(), (n) => n > 0);
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    const answers = [...seen.answers.slice(from), ...s.answers.slice(fromSecond)];
    const refreshes = answers.filter((a) => a.path === API_ROUTES.refresh);
    const lists = answers.filter((a) => a.path === API_ROUTES.tasks);
    const refused = answers.filter((a) => a.status === 401);
    e.log(`    ${refreshes.length} refreshes (${refreshes.map((r) => r.status).join(', ')}) and ${lists.length} lists in ${((Date.now() - t0) / 1000).toFixed(0)} s; 401s: ${refused.length}`);
    expect(refreshes.length >= 3 && refreshes.every((r) => r.status === 200), 'the session was not renewed (3 times or more)');
    expect(refused.length === 0, `a call was refused: ${JSON.stringify(refused)}`);
    expect(lists.length > 0 && lists.every((l) => l.status === 200), 'a list failed');
    expect(![...seen.paths, ...s.paths].includes('/login'), 'the log-in page was shown');
    for (const p of [first, second]) {
      await p.getByRole('search').getByLabel('Search').fill('');
      await p.keyboard.press('Enter');
    }
    await second.close();
  });

  await step('sessions: a reopened browser (a persistent profile, closed and started again) is signed in', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'todo-e2e-profile-'));
    const launch = () => chromium.launchPersistentContext(dir, { executablePath: e.executablePath, headless: true, args: e.launchArgs, viewport: e.viewports.desktop, locale: 'en-GB', timezoneId: 'UTC' });
    try {
      let profile = await launch();
      let page = profile.pages()[0] ?? (await profile.newPage());
      e.watch(page);
      await page.goto(`${base}/login`);
      await logIn(page, email, password);
      await profile.close();
      profile = await launch();
      page = profile.pages()[0] ?? (await profile.newPage());
      e.watch(page);
      const s = record(page);
      await page.goto(`${base}/tasks`);
      await heading(page, 'Tasks').waitFor();
      await page.locator('.task-title', { hasText: 'Session task' }).waitFor();
      expect(!s.paths.includes('/login'), `the reopened browser went through ${s.paths.join(' → ')}`);
      expect(s.answers.some((a) => a.path === API_ROUTES.refresh && a.status === 200), 'no renewal with the kept cookie');
      await e.screenshot(page, 'flow-sessions-reopened-browser');
      // That session is another log-in: end it, leaving the first one alone.
      await page.getByRole('button', { name: 'Log out' }).click();
      await heading(page, 'Log in').waitFor();
      await profile.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  await step('sessions: a cross-site page cannot use the session cookie (SameSite, the custom header, Origin)', async () => {
    // A page of another site (http://localhost:<port> is not the site of http://127.0.0.1:<port>)
    // tries the cookie routes, as a page the user visits could.
    const attacker = await ctx.newPage();
    const cookieBefore = (await refreshCookie(ctx))!.value;
    const sent: string[] = [];
    attacker.on('response', async (r) => {
      if (!r.url().startsWith(base)) return;
      const headers = await r.request().allHeaders();
      sent.push(`${r.request().method()} ${new URL(r.url()).pathname} → ${r.status()}, cookie ${headers.cookie?.includes(SESSION_COOKIE.name) ? 'sent' : 'not sent'}`);
    });
    await attacker.goto(e.crossSite);
    // A string: tsx would wrap a function with named helpers in code that does not exist in the page.
    const attempt = (name: string, url: string, init: object) =>
      `fetch(${JSON.stringify(url)}, ${JSON.stringify({ method: 'POST', credentials: 'include', ...init })}).then((r) => [${JSON.stringify(name)}, r.type + ' ' + r.status], (err) => [${JSON.stringify(name)}, 'refused: ' + err.message])`;
    const outcomes = Object.fromEntries(
      (await attacker.evaluate(`Promise.all([
        ${attempt('no-cors POST refresh', base + API_ROUTES.refresh, { mode: 'no-cors' })},
        ${attempt('no-cors POST log-out', base + API_ROUTES.sessionLogout, { mode: 'no-cors' })},
        ${attempt('POST refresh with the header', base + API_ROUTES.refresh, { headers: { [API_HEADERS.csrf]: CSRF_HEADER_VALUE } })},
      ])`)) as [string, string][],
    );
    await new Promise((r) => setTimeout(r, 300));
    e.log(`    cross-site attempts: ${JSON.stringify(outcomes)}; reached the server: ${sent.length ? sent.join('; ') : 'none'}`);
    expect(/^refused/.test(outcomes['POST refresh with the header']!), 'a cross-site request with the custom header was not stopped by the CORS preflight');
    expect(!outcomes['POST refresh with the header']!.startsWith('cors'), 'a cross-site page read a refresh answer');
    expect(sent.length >= 2, 'the cross-site requests did not reach the server (nothing shown)');
    expect(sent.every((x) => x.endsWith('cookie not sent')), `the session cookie went with a cross-site request: ${sent.join('; ')}`);
    await attacker.close();
    // Nothing happened to the session: the cookie is the one from before, and it still works.
    expect((await refreshCookie(ctx))!.value === cookieBefore, 'a cross-site request rotated or cleared the cookie');
    await first.getByRole('search').getByLabel('Search').fill('Session');
    await first.keyboard.press('Enter');
    await first.locator('.task-title', { hasText: 'Session task' }).waitFor();
    await first.getByRole('search').getByLabel('Search').fill('');
    await first.keyboard.press('Enter');
  });

  await step('sessions: log-out in one tab logs out the other, and the server refuses every token of the session', async () => {
    const second = await ctx.newPage();
    e.watch(second);
    await second.goto(`${base}/tasks`);
    await heading(second, 'Tasks').waitFor();
    const token = await pageToken(second);
    const cookie = (await refreshCookie(ctx))!.value;
    expect((await meStatus(base, token)) === 200, 'the token does not work before log-out');
    await first.bringToFront();
    await first.getByRole('button', { name: 'Log out' }).click();
    await heading(first, 'Log in').waitFor();
    await heading(second, 'Log in').waitFor();
    await until('the notice in the other tab', () => second.getByRole('status').innerText(), (t) => /You have logged out/.test(t));
    await e.screenshot(second, 'flow-sessions-logged-out-in-other-tab');
    const status = [await meStatus(base, token), (await cookieCall(base, API_ROUTES.refresh, cookie)).status];
    expect(status.join() === '401,401', `after log-out: access token ${status[0]}, refresh cookie ${status[1]}`);
    expect(!(await refreshCookie(ctx)), 'the cookie was not cleared');
    await second.close();
  });

  await step('sessions: a draft (a new task, an edit) survives an expired session and the log-in after it', async () => {
    await logIn(first, email, password);
    await typeDrafts(first, 'Session task');
    // The session expires: the refresh cookie is gone (as after the idle timeout), and the
    // access token runs out. The app notices at its next renewal and sends the user to log in.
    await ctx.clearCookies();
    await heading(first, 'Log in').waitFor({ timeout: (ACCESS_TTL_SECONDS + 5) * 1000 });
    await until('the notice', () => first.getByRole('status').innerText(), (t) => /Your session has ended/.test(t));
    await logIn(first, email, password);
    const form = newTaskForm(first);
    await until('the add bar draft', () => form.getByLabel('Title').inputValue(), (v) => v === 'Half-typed task');
    expect((await form.getByLabel(/^Description/).inputValue()) === 'Typed before the session ended', 'the description did not come back');
    const edit = first.getByRole('form', { name: 'Edit “Session task”' });
    expect((await edit.getByLabel('Title').inputValue()) === 'Session task, edited', 'the edit did not come back');
    await e.screenshot(first, 'flow-sessions-drafts-restored');
    // Saved, the drafts go: a reload shows an empty add bar and no open edit.
    await edit.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('button', { name: 'Add task' }).click();
    await first.locator('.task-title', { hasText: 'Half-typed task' }).waitFor();
    await until('both saved', () => first.locator('.task.saving').count(), (n) => n === 0);
    await first.reload();
    await heading(first, 'Tasks').waitFor();
    await first.locator('.task-title', { hasText: 'Session task, edited' }).waitFor();
    expect((await newTaskForm(first).getByLabel('Title').inputValue()) === '', 'the saved draft came back');
    expect((await first.getByRole('form', { name: /^Edit/ }).count()) === 0, 'the saved edit reopened');
  });
  await ctx.close();

  for (const [size, viewport] of Object.entries(e.viewports)) {
    for (const scheme of ['light', 'dark'] as const) {
      await step(`sessions, ${size} ${scheme}: axe-core 0 violations in the new states (common password, session ended, drafts restored)`, async () => {
        const c = await e.newContext({ viewport, colorScheme: scheme });
        const page = await c.newPage();
        e.watch(page);
        const state = async (name: string) => {
          const violations = await axeViolations(page);
          await e.screenshot(page, `${size}-${scheme}-${name}`);
          if (violations.length) throw new Error(`axe-core, ${size}-${scheme} ${name}:\n${violations.join('\n')}`);
        };
        const who = `sessions-${size}-${scheme}-${Date.now()}@example.test`;
        await page.goto(`${base}/signup`);
        await page.getByLabel('Email').fill(who);
        await page.getByLabel('Password').fill('iloveyou');
        await page.getByRole('button', { name: 'Sign up' }).click();
        await page.locator('.field-error').waitFor();
        await state('20-signup-common-password');
        await signUp(page, base, who, password);
        await addTask(page, 'Water plants');
        await typeDrafts(page, 'Water plants');
        // The session ends on the server (as after a reuse, or a log-out elsewhere); the next load finds out.
        const cookie = (await refreshCookie(c))!.value;
        expect((await cookieCall(base, API_ROUTES.sessionLogout, cookie)).status === 204, 'ending the session failed');
        await page.reload();
        await until('the notice', () => page.getByRole('status').innerText(), (t) => /Your session has ended/.test(t));
        await state('21-session-ended');
        await logIn(page, who, password);
        await page.getByRole('form', { name: 'Edit “Water plants”' }).waitFor();
        await state('22-drafts-restored');
        await c.close();
      });
    }
  }
}
