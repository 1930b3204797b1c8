/** Today's calendar date in the user's time zone, as YYYY-MM-DD. */
export function todayIso(now = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, '0');
  const d = String(now.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/**
 * The locale for dates and numbers on a page written in `pageLang` (the `lang` of <html>): the
 * user's first preferred locale of that language (en-GB, en-US), else the page language itself,
 * so a page in English never shows a Japanese date.
 */
export function pageLocale(pageLang: string, preferred: readonly string[]): string {
  const lang = pageLang.toLowerCase().split('-')[0] ?? 'en';
  for (const tag of preferred) {
    if (tag.toLowerCase().split('-')[0] !== lang) continue;
    try {
      return Intl.DateTimeFormat.supportedLocalesOf([tag]).length ? tag : pageLang;
    } catch {
      // A malformed tag in the browser's list: skip it.
    }
  }
  return pageLang || 'en';
}

/** The locale of this page (see pageLocale). */
export function currentLocale(): string {
  if (typeof document === 'undefined') return 'en';
  return pageLocale(document.documentElement.lang || 'en', typeof navigator === 'undefined' ? [] : navigator.languages ?? []);
}

const dayNumber = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number);
  return Date.UTC(y!, m! - 1, d!) / 86_400_000;
};

/** "5 Dec 2026" for a YYYY-MM-DD date (read as a calendar date, not shifted by the time zone). */
export function formatDate(iso: string, locale: string, { withYear = true } = {}): string {
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}), timeZone: 'UTC' }).format(
    new Date(dayNumber(iso) * 86_400_000),
  );
}

export type DueState = 'overdue' | 'today' | 'soon' | 'later' | 'done';

export interface DueLabel {
  state: DueState;
  /** What the list shows, all in the page's language: "Due today", "Overdue · due 2 days ago", "Due 5 Dec". */
  text: string;
}

/** Within this many days of today a due date reads as a relative day ("in 3 days"). */
const RELATIVE_DAYS = 6;

/**
 * How a task's due date reads in the list: relative (Intl.RelativeTimeFormat) within a week of
 * today, a short date otherwise (the year only when it is not this year's).
 */
export function dueLabel(dueDate: string, completed: boolean, today: string, locale: string): DueLabel {
  const days = dayNumber(dueDate) - dayNumber(today);
  const when =
    Math.abs(days) <= RELATIVE_DAYS
      ? new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(days, 'day')
      : formatDate(dueDate, locale, { withYear: dueDate.slice(0, 4) !== today.slice(0, 4) });
  const relative = Math.abs(days) <= RELATIVE_DAYS;
  if (completed) return { state: 'done', text: `Due ${when}` };
  if (days < 0) return { state: 'overdue', text: `Overdue · due ${when}` };
  if (days === 0) return { state: 'today', text: `Due ${when}` };
  return { state: relative ? 'soon' : 'later', text: `Due ${when}` };
}
