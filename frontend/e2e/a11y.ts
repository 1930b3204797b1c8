/**
 * Accessibility checks for the browser test: axe-core's WCAG A/AA rules, and contrast ratios
 * computed from the rendered colours (WCAG 2 relative luminance), for the elements the test names.
 */
import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG A and AA rule sets of axe-core (2.0, 2.1, 2.2). */
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * Runs axe-core on the page and returns its violations, one line each. Evaluated through the
 * DevTools protocol, which the page's Content-Security-Policy does not govern (an injected
 * <script> would be refused by script-src 'self').
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(`${axeSource}\n;0`);
  const violations = (await page.evaluate(
    `window.axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_AA_TAGS)} }, resultTypes: ['violations'] }).then((r) => r.violations)`,
  )) as AxeViolation[];
  return violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`).join('; ')}`,
  );
}

/**
 * In-page helpers (a string: tsx would wrap functions passed to the page in helpers that do not
 * exist there). The background behind an element is found by walking up its ancestors and
 * compositing translucent backgrounds over the first opaque one.
 */
const contrastScript = `(() => {
  if (window.__contrast) return;
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c);
    if (!m) throw new Error('unsupported colour ' + c);
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0) layers.push(c);
      if (c.a >= 1) break;
    }
    let out = matchMedia('(prefers-color-scheme: dark)').matches ? { r: 0, g: 0, b: 0, a: 1 } : { r: 255, g: 255, b: 255, a: 1 };
    for (const l of layers.reverse()) out = over(l, out);
    return out;
  };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const measure = (fg, bg) => ({ ratio: Math.round(ratio(fg, bg) * 100) / 100, fg: hex(fg), bg: hex(bg) });
  window.__contrast = {
    // Text against the background it is drawn on.
    text: (el) => measure(over(parse(getComputedStyle(el).color), background(el)), background(el)),
    // What a field shows while empty, against the field.
    placeholder: (el) => measure(over(parse(getComputedStyle(el, '::placeholder').color), background(el)), background(el)),
    // A control's border against the background around the control.
    border: (el) => measure(over(parse(getComputedStyle(el).borderTopColor), background(el.parentElement)), background(el.parentElement)),
    // The focus outline (drawn outside the element, outline-offset) against the background around it.
    outline: (el) => {
      const s = getComputedStyle(el);
      if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) === 0) throw new Error('no focus outline on ' + el.outerHTML.slice(0, 80));
      return measure(parse(s.outlineColor), background(el.parentElement));
    },
  };
})()`;

export type ContrastKind = 'text' | 'placeholder' | 'border' | 'outline';

export interface ContrastResult {
  name: string;
  kind: ContrastKind;
  ratio: number;
  fg: string;
  bg: string;
  min: number;
}

/** WCAG 1.4.3 (text, 4.5:1) and 1.4.11 (control boundaries and focus indicators, 3:1). */
export const MIN_RATIO: Record<ContrastKind, number> = { text: 4.5, placeholder: 4.5, border: 3, outline: 3 };

/** The contrast of `kind` for the first element of `locator`. */
export async function contrast(page: Page, name: string, locator: Locator, kind: ContrastKind): Promise<ContrastResult> {
  await page.evaluate(contrastScript);
  const handle = await locator.first().elementHandle({ timeout: 5000 });
  if (!handle) throw new Error(`contrast: ${name} not found`);
  const result = (await handle.evaluate((el, k) => (window as unknown as { __contrast: Record<string, (e: Element) => { ratio: number; fg: string; bg: string }> }).__contrast[k]!(el), kind)) as {
    ratio: number;
    fg: string;
    bg: string;
  };
  await handle.dispose();
  return { name, kind, ...result, min: MIN_RATIO[kind] };
}

export const describeContrast = (r: ContrastResult) =>
  `${r.ratio >= r.min ? 'ok  ' : 'LOW '} ${r.ratio.toFixed(2).padStart(5)}:1 (≥ ${r.min}) ${r.kind.padEnd(11)} ${r.name} (${r.fg} on ${r.bg})`;
