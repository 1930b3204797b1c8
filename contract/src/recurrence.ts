/**
 * `@todo/contract/recurrence`: the calendar arithmetic of recurring tasks and reminders, shared by the
 * backend (which creates the next occurrence) and the frontend (which turns a reminder's local time
 * into an instant and back). Zone arithmetic is Temporal's (temporal-polyfill, which defers to a native
 * Temporal where the runtime has one): a local time is kept across daylight-saving changes, a time that
 * does not exist (the hour skipped in spring) moves forward, an ambiguous one (the hour repeated in
 * autumn) takes the earlier instant. Dates are ISO strings (`YYYY-MM-DD`), instants ISO 8601 with `Z`.
 *
 * Kept apart from the contract's main entry, which stays free of runtime dependencies (the manifests
 * import it).
 */
import { Temporal } from 'temporal-polyfill';
import type { Recurrence, RecurrenceInput } from './api';

type PlainDate = Temporal.PlainDate;
const date = (iso: string) => Temporal.PlainDate.from(iso);
const cmp = Temporal.PlainDate.compare;
/** The API writes four-digit years: a schedule that would go past 9999-12-31 ends there. */
const LAST_DATE = date('9999-12-31');

/** What decides the dates of a schedule (the end is applied by nextOccurrence). */
export type Schedule = Pick<Recurrence, 'frequency' | 'interval' | 'weekdays'>;

/** True when `name` is a time zone this runtime knows (IANA names and their aliases). */
export function isTimeZone(name: string): boolean {
  return canonicalTimeZone(name) !== null;
}

/** The runtime's spelling of a time zone name (`europe/berlin` → `Europe/Berlin`), or null when unknown. */
export function canonicalTimeZone(name: string): string | null {
  // Offsets ("+01:00") are no IANA names; Intl accepts them in newer runtimes.
  if (!/^[A-Za-z]/.test(name)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The calendar date in `zone` at `now` (default: this moment). */
export function todayIn(zone: string, now: Temporal.Instant = Temporal.Now.instant()): string {
  return now.toZonedDateTimeISO(zone).toPlainDate().toString();
}

/** An instant as the API writes it: UTC, milliseconds (`2026-03-30T07:00:00.000Z`); throws RangeError when unreadable. */
export function normalizeInstant(iso: string): string {
  return Temporal.Instant.from(iso).round({ smallestUnit: 'millisecond', roundingMode: 'trunc' }).toString({ smallestUnit: 'millisecond' });
}

/** The wall-clock time of `instant` in `zone`, as an `<input type="datetime-local">` holds it (`2026-03-30T09:00`). */
export function localDateTime(instant: string, zone: string): string {
  return Temporal.Instant.from(instant).toZonedDateTimeISO(zone).toPlainDateTime().toString({ smallestUnit: 'minute' });
}

/** The instant of a wall-clock time in `zone` (a skipped time moves forward, a repeated one is the earlier). */
export function instantAt(local: string, zone: string): string {
  const zoned = Temporal.PlainDateTime.from(local).toZonedDateTime(zone, { disambiguation: 'compatible' });
  return zoned.toInstant().toString({ smallestUnit: 'millisecond' });
}

/** A rule with its defaults, weekdays sorted; a weekly rule without weekdays repeats on `dueDate`'s weekday. */
export function normalizeRecurrence(input: RecurrenceInput, dueDate: string): Recurrence {
  let weekdays = input.frequency === 'weekly' ? [...new Set(input.weekdays ?? [])].sort((a, b) => a - b) : [];
  if (input.frequency === 'weekly' && weekdays.length === 0) weekdays = [date(dueDate).dayOfWeek];
  return { frequency: input.frequency, interval: input.interval ?? 1, weekdays, until: input.until ?? null, count: input.count ?? null };
}

export function sameRecurrence(a: Recurrence, b: Recurrence): boolean {
  return a.frequency === b.frequency && a.interval === b.interval && a.weekdays.join() === b.weekdays.join() && a.until === b.until && a.count === b.count;
}

/** Monday of `d`'s ISO week. */
const weekStart = (d: PlainDate) => d.subtract({ days: d.dayOfWeek - 1 });

/**
 * The first date of the schedule that starts at `anchor` strictly after `after` (the anchor itself is
 * the schedule's first date, whatever its weekday), or null past 9999-12-31.
 */
export function scheduleDateAfter(rule: Schedule, anchor: string, after: string): string | null {
  const a = date(anchor);
  const af = date(after);
  if (cmp(af, a) < 0) return anchor;
  const n = rule.interval;
  let next: PlainDate;
  switch (rule.frequency) {
    case 'daily': {
      const k = Math.floor(a.until(af).days / n) + 1;
      next = a.add({ days: k * n });
      break;
    }
    case 'weekly': {
      const days = new Set(rule.weekdays.length ? rule.weekdays : [a.dayOfWeek]);
      const first = weekStart(a);
      let d = af.add({ days: 1 });
      // Weeks count from the anchor's week: every n-th week is one of the schedule's.
      for (;;) {
        const ws = weekStart(d);
        const off = (first.until(ws).days / 7) % n;
        if (off !== 0) {
          d = ws.add({ weeks: n - off });
          continue;
        }
        const dow = [...days].sort((x, y) => x - y).find((x) => x >= d.dayOfWeek);
        if (dow !== undefined) {
          next = ws.add({ days: dow - 1 });
          break;
        }
        d = ws.add({ weeks: n });
      }
      break;
    }
    case 'monthly': {
      // From the anchor each time, so that the 31st comes back after a short month.
      let m = Math.floor(((af.year - a.year) * 12 + af.month - a.month) / n) * n;
      next = a.add({ months: m });
      while (cmp(next, af) <= 0) {
        m += n;
        next = a.add({ months: m });
      }
      break;
    }
  }
  return cmp(next, LAST_DATE) > 0 ? null : next.toString();
}

/** The first date of the schedule on or after `day`, or null past 9999-12-31. */
export function scheduleDateFrom(rule: Schedule, anchor: string, day: string): string | null {
  return scheduleDateAfter(rule, anchor, date(day).subtract({ days: 1 }).toString());
}

/** Where a series stands: its schedule's start, and the occurrence just completed or skipped. */
export interface SeriesPosition {
  anchor: string;
  /** The schedule date this occurrence stands for (its due date may have been moved since). */
  occurrenceDate: string;
  occurrence: number;
}

/**
 * The occurrence after `at`: the schedule's next date, or, when that is already past, the first
 * date of the schedule from `today` on (dates missed while the task was overdue are skipped, not
 * piled up). Null when the series has ended: `count` occurrences made, or the date after `until`.
 */
export function nextOccurrence(rule: Recurrence, at: SeriesPosition, today: string): { dueDate: string; occurrence: number } | null {
  if (rule.count !== null && at.occurrence >= rule.count) return null;
  let due = scheduleDateAfter(rule, at.anchor, at.occurrenceDate);
  if (due !== null && due < today) due = scheduleDateFrom(rule, at.anchor, today);
  if (due === null || (rule.until !== null && due > rule.until)) return null;
  return { dueDate: due, occurrence: at.occurrence + 1 };
}

/** The due date of a new recurring task that has none: today, or for a weekly rule the first of its weekdays from today. */
export function firstDueDate(rule: RecurrenceInput, today: string): string {
  const t = date(today);
  if (rule.frequency !== 'weekly' || !rule.weekdays?.length) return today;
  const ahead = Math.min(...rule.weekdays.map((w) => (w - t.dayOfWeek + 7) % 7));
  return t.add({ days: ahead }).toString();
}

/**
 * The next occurrence's reminder: the same local time in `zone`, the same number of days before or
 * after its due date as `remindAt` was before or after `fromDue`. Null past the year 9999.
 */
export function carryReminder(remindAt: string, fromDue: string, toDue: string, zone: string): string | null {
  const local = Temporal.Instant.from(remindAt).toZonedDateTimeISO(zone).toPlainDateTime();
  const moved = local.add({ days: date(fromDue).until(date(toDue)).days });
  if (moved.year > 9999) return null;
  return instantAt(moved.toString(), zone);
}
