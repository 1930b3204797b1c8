/**
 * Load-time figures for the browser test: first contentful paint and the time until a list of
 * tasks is on screen and the main thread is free to take input. Printed, never asserted (the
 * machine is shared, so timings vary); the median of several loads is reported.
 */
import { API_ROUTES, type Session, type TaskCreate } from '@todo/contract';
import type { BrowserContext, Page } from 'playwright-core';

/** Rows the list must show before the page counts as interactive, per measured address. */
export interface PerfCase {
  name: string;
  path: string;
  rows: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Runs in the page before the app: records when the list first holds N rows (for each threshold
 * in window.__perfRows), then waits for the next frame and one more task, so the figure includes
 * the paint and a free main thread. A string, because tsx rewrites functions with helpers that do
 * not exist in the page.
 */
const observeList = (thresholds: number[]) => `(() => {
  const thresholds = ${JSON.stringify(thresholds)};
  const perf = (window.__perf = {});
  new MutationObserver(() => {
    const n = document.querySelectorAll('.task-list > li').length;
    for (const rows of thresholds) {
      if (perf[rows] !== undefined || n < rows) continue;
      perf[rows] = -1;
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => (perf[rows] = performance.now());
        ch.port2.postMessage(null);
      });
    }
  }).observe(document, { childList: true, subtree: true });
})();`;

/** Signs a user up through the API and gives them `count` tasks (8 requests at a time). */
export async function seedUser(base: string, email: string, password: string, count: number): Promise<void> {
  const call = async (method: string, route: string, body: unknown, token?: string) => {
    const res = await fetch(base + route, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  const session = (await call('POST', API_ROUTES.signup, { email, password })) as Session;
  const priorities = ['high', 'medium', 'low'] as const;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const task: TaskCreate = {
        title: `Perf task ${String(i + 1).padStart(3, '0')}`,
        description: i % 3 ? `Details for task ${i + 1}` : '',
        priority: priorities[i % 3],
        tags: i % 2 ? ['perf', `group-${i % 7}`] : ['perf'],
        dueDate: i % 4 ? null : `2030-01-${String((i % 28) + 1).padStart(2, '0')}`,
      };
      await call('POST', API_ROUTES.tasks, task, session.token);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

export interface PerfResult {
  name: string;
  cache: 'cold' | 'warm';
  latencyMs: number;
  fcp: number[];
  list: number[];
}

const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

/** One line per result: medians with the range of the runs. */
export function describe(r: PerfResult): string {
  return `${r.name}, ${r.cache} cache${r.latencyMs ? `, ${r.latencyMs} ms round trips` : ''}: first contentful paint ${fmt(r.fcp)}, list interactive ${fmt(r.list)}, median of ${r.fcp.length}`;
}

/**
 * Loads each case `runs` times with an empty browser cache (as on a first visit) and `runs` times
 * with a warm one (a return visit), in a new tab of `context` that `login` has signed in.
 * `prepare` may install routes on the tab first.
 */
export async function measure(
  context: BrowserContext,
  base: string,
  login: (page: Page) => Promise<void>,
  cases: PerfCase[],
  { runs = 7, prepare, latencyMs = 0, caches = ['cold', 'warm'] }: { runs?: number; prepare?: (page: Page) => Promise<void>; latencyMs?: number; caches?: ('cold' | 'warm')[] } = {},
): Promise<PerfResult[]> {
  const page = await context.newPage();
  await page.bringToFront();
  const cdp = await context.newCDPSession(page);
  if (latencyMs) {
    // Every request waits this long for its answer, as over a real network.
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: latencyMs, downloadThroughput: -1, uploadThroughput: -1 });
  }
  try {
    await prepare?.(page);
    await page.addInitScript(observeList([...new Set(cases.map((c) => c.rows))]));
    await login(page);
    const out: PerfResult[] = [];
    for (const c of cases) {
      for (const cache of caches) {
        const r: PerfResult = { name: c.name, cache, latencyMs, fcp: [], list: [] };
        // One load first, so that a warm run follows a load of the same address.
        for (let i = 0; i <= runs; i++) {
          if (cache === 'cold') await cdp.send('Network.clearBrowserCache');
          await page.goto(base + c.path);
          await page
            .waitForFunction(
              (rows) =>
                ((window as unknown as { __perf: Record<number, number> }).__perf[rows] ?? -1) > 0 &&
                performance.getEntriesByName('first-contentful-paint').length > 0,
              c.rows,
              { timeout: 20_000 },
            )
            .catch(async (err: Error) => {
              const seen = await page.evaluate(() => ({ rows: document.querySelectorAll('.task-list > li').length, url: location.href }));
              throw new Error(`${err.message}\n${JSON.stringify(seen)}`);
            });
          const m = await page.evaluate(
            (rows) => ({
              fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
              list: (window as unknown as { __perf: Record<number, number> }).__perf[rows]!,
            }),
            c.rows,
          );
          if (i === 0) continue;
          r.fcp.push(m.fcp);
          r.list.push(m.list);
        }
        out.push(r);
      }
    }
    return out;
  } finally {
    await cdp.detach().catch(() => {});
    await page.close();
  }
}

/**
 * Serves the app's HTML pages through a route on `page`, optionally with the runtime configuration
 * embedded as the web server embeds it. With `config` null the page passes through unchanged: the
 * control that shows what the interception itself costs.
 */
export async function routeHtml(page: Page, base: string, elementId: string, config: object | null): Promise<void> {
  await page.route(
    (url) => url.origin === base && !url.pathname.startsWith('/api') && !/\.[a-z0-9]+$/i.test(url.pathname),
    async (route) => {
      const headers = { ...route.request().headers() };
      delete headers['if-none-match'];
      const res = await route.fetch({ headers });
      let body = await res.text();
      if (config) body = body.replace('</head>', `<script id="${elementId}" type="application/json">${JSON.stringify(config)}</script></head>`);
      const out = { ...res.headers() };
      for (const h of ['etag', 'content-length', 'content-encoding']) delete out[h];
      await route.fulfill({ status: res.status(), headers: out, body });
    },
  );
}
