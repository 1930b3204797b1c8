/**
 * Recurrence rules and reminders in words, in the page's language, with times in the user's zone:
 * "Repeats every 2 weeks on Mon, Thu · 5 times", "Mon 30 Mar, 09:00".
 */
import type { Recurrence } from '@todo/contract';
import { formatDate } from '../dates';

/** 2024-01-01 was a Monday: ISO weekday n is 2024-01-0n. */
export function weekdayName(isoDay: number, locale: string, width: 'short' | 'long' = 'short'): string {
  return new Intl.DateTimeFormat(locale, { weekday: width, timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, isoDay)));
}

const UNITS = { daily: ['day', 'days'], weekly: ['week', 'weeks'], monthly: ['month', 'months'] } as const;
const EVERY_ONE = { daily: 'daily', weekly: 'weekly', monthly: 'monthly' } as const;

/** "Repeats weekly on Mon", "Repeats every 3 days until 30 Jun 2027", "… · 5 times"; the zone when it is not the user's. */
export function describeRecurrence(r: Recurrence & { timeZone?: string }, locale: string, userZone: string): string {
  let text = r.interval === 1 ? `Repeats ${EVERY_ONE[r.frequency]}` : `Repeats every ${r.interval} ${UNITS[r.frequency][1]}`;
  if (r.frequency === 'weekly' && r.weekdays.length) text += ` on ${r.weekdays.map((d) => weekdayName(d, locale)).join(', ')}`;
  if (r.until) text += ` until ${formatDate(r.until, locale)}`;
  if (r.count) text += ` · ${r.count} ${r.count === 1 ? 'time' : 'times'}`;
  if (r.timeZone && r.timeZone !== userZone) text += ` (${r.timeZone} time)`;
  return text;
}

/** A reminder's moment in the user's zone: "Mon 30 Mar, 09:00". */
export function formatReminder(instant: string, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(instant));
}
