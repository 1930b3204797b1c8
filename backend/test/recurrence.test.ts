/**
 * The calendar arithmetic of recurring tasks (@todo/contract/recurrence): schedules, the next
 * occurrence, month ends, and reminders across daylight-saving changes in two zones.
 */
import type { Recurrence } from '@todo/contract';
import {
  canonicalTimeZone,
  carryReminder,
  firstDueDate,
  instantAt,
  localDateTime,
  nextOccurrence,
  normalizeInstant,
  normalizeRecurrence,
  scheduleDateAfter,
  todayIn,
} from '@todo/contract/recurrence';

const rule = (r: Partial<Recurrence> & Pick<Recurrence, 'frequency'>): Recurrence => ({ interval: 1, weekdays: [], until: null, count: null, ...r });

/** The first `n` dates of a schedule after its anchor. */
function dates(r: Recurrence, anchor: string, n: number): string[] {
  const out: string[] = [];
  let d = anchor;
  for (let i = 0; i < n; i++) {
    d = scheduleDateAfter(r, anchor, d)!;
    out.push(d);
  }
  return out;
}

describe('schedules', () => {
  it('daily, every day and every third day', () => {
    expect(dates(rule({ frequency: 'daily' }), '2026-02-27', 3)).toEqual(['2026-02-28', '2026-03-01', '2026-03-02']);
    expect(dates(rule({ frequency: 'daily', interval: 3 }), '2026-12-30', 3)).toEqual(['2027-01-02', '2027-01-05', '2027-01-08']);
  });

  it('weekly on chosen weekdays, every other week counted from the anchor’s week', () => {
    // 2026-03-02 is a Monday.
    expect(dates(rule({ frequency: 'weekly', weekdays: [1, 4] }), '2026-03-02', 4)).toEqual(['2026-03-05', '2026-03-09', '2026-03-12', '2026-03-16']);
    expect(dates(rule({ frequency: 'weekly', interval: 2, weekdays: [1, 4] }), '2026-03-02', 4)).toEqual(['2026-03-05', '2026-03-16', '2026-03-19', '2026-03-30']);
    // Sunday is 7 and ends the ISO week: an anchor on a Wednesday, every two weeks on Monday and Sunday.
    expect(dates(rule({ frequency: 'weekly', interval: 2, weekdays: [1, 7] }), '2026-03-04', 3)).toEqual(['2026-03-08', '2026-03-16', '2026-03-22']);
  });

  it('monthly on the 31st falls on the last day of shorter months and comes back to the 31st', () => {
    expect(dates(rule({ frequency: 'monthly' }), '2026-01-31', 6)).toEqual(['2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30', '2026-07-31']);
    // A leap year's February, and every two months from 31 December.
    expect(dates(rule({ frequency: 'monthly' }), '2028-01-31', 1)).toEqual(['2028-02-29']);
    expect(dates(rule({ frequency: 'monthly', interval: 2 }), '2026-12-31', 3)).toEqual(['2027-02-28', '2027-04-30', '2027-06-30']);
    // The 29th of February, yearly as every 12 months: the 28th in common years, the 29th again in leap years.
    expect(dates(rule({ frequency: 'monthly', interval: 12 }), '2028-02-29', 4)).toEqual(['2029-02-28', '2030-02-28', '2031-02-28', '2032-02-29']);
  });

  it('the anchor is the first date; nothing after 9999-12-31', () => {
    expect(scheduleDateAfter(rule({ frequency: 'weekly', weekdays: [1] }), '2026-03-04', '2026-03-01')).toBe('2026-03-04');
    expect(scheduleDateAfter(rule({ frequency: 'daily' }), '9999-12-30', '9999-12-30')).toBe('9999-12-31');
    expect(scheduleDateAfter(rule({ frequency: 'daily' }), '9999-12-30', '9999-12-31')).toBeNull();
  });

  it('normalises a rule: defaults, weekdays sorted, a weekly rule without weekdays on the due date’s weekday', () => {
    expect(normalizeRecurrence({ frequency: 'weekly' }, '2026-03-04')).toEqual(rule({ frequency: 'weekly', weekdays: [3] }));
    expect(normalizeRecurrence({ frequency: 'weekly', weekdays: [5, 1, 5] }, '2026-03-04').weekdays).toEqual([1, 5]);
    expect(normalizeRecurrence({ frequency: 'monthly', interval: 2, count: 3 }, '2026-03-04')).toEqual(rule({ frequency: 'monthly', interval: 2, count: 3 }));
  });
});

describe('the next occurrence', () => {
  const weekly = rule({ frequency: 'weekly', weekdays: [1] });
  const at = (occurrenceDate: string, occurrence = 1, anchor = '2026-03-02') => ({ anchor, occurrenceDate, occurrence });

  it('is the schedule’s next date, numbered one more', () => {
    expect(nextOccurrence(weekly, at('2026-03-02'), '2026-03-02')).toEqual({ dueDate: '2026-03-09', occurrence: 2 });
    // Completed a day early: still the next week's, not tomorrow's.
    expect(nextOccurrence(weekly, at('2026-03-09', 2), '2026-03-08')).toEqual({ dueDate: '2026-03-16', occurrence: 3 });
  });

  it('skips dates that passed while the task was overdue (the first from today)', () => {
    expect(nextOccurrence(weekly, at('2026-03-02'), '2026-03-25')).toEqual({ dueDate: '2026-03-30', occurrence: 2 });
    expect(nextOccurrence(weekly, at('2026-03-02'), '2026-03-30')).toEqual({ dueDate: '2026-03-30', occurrence: 2 });
    expect(nextOccurrence(rule({ frequency: 'monthly' }), at('2026-01-31', 1, '2026-01-31'), '2026-03-15')).toEqual({ dueDate: '2026-03-31', occurrence: 2 });
  });

  it('ends after `count` occurrences or past `until`, whichever comes first', () => {
    expect(nextOccurrence({ ...weekly, count: 3 }, at('2026-03-09', 2), '2026-03-09')).toEqual({ dueDate: '2026-03-16', occurrence: 3 });
    expect(nextOccurrence({ ...weekly, count: 3 }, at('2026-03-16', 3), '2026-03-16')).toBeNull();
    expect(nextOccurrence({ ...weekly, until: '2026-03-16' }, at('2026-03-09', 2), '2026-03-09')).toEqual({ dueDate: '2026-03-16', occurrence: 3 });
    expect(nextOccurrence({ ...weekly, until: '2026-03-15' }, at('2026-03-09', 2), '2026-03-09')).toBeNull();
    expect(nextOccurrence({ ...weekly, until: '2026-03-30', count: 2 }, at('2026-03-09', 2), '2026-03-09')).toBeNull();
  });

  it('a new recurring task without a due date starts today, or on the first of its weekdays', () => {
    expect(firstDueDate({ frequency: 'daily' }, '2026-03-04')).toBe('2026-03-04');
    expect(firstDueDate({ frequency: 'weekly', weekdays: [1, 5] }, '2026-03-04')).toBe('2026-03-06');
    expect(firstDueDate({ frequency: 'weekly', weekdays: [3] }, '2026-03-04')).toBe('2026-03-04');
  });
});

describe('time zones and daylight saving', () => {
  it('"every Monday 9:00" stays 9:00 in Europe/Berlin across both changes (CET +1, CEST +2)', () => {
    // Berlin moves to summer time on Sunday 29 March 2026 and back on Sunday 25 October 2026.
    const zone = 'Europe/Berlin';
    const before = instantAt('2026-03-23T09:00', zone);
    expect(before).toBe('2026-03-23T08:00:00.000Z');
    const after = carryReminder(before, '2026-03-23', '2026-03-30', zone)!;
    expect(after).toBe('2026-03-30T07:00:00.000Z');
    expect(localDateTime(after, zone)).toBe('2026-03-30T09:00');
    const october = carryReminder('2026-10-19T07:00:00.000Z', '2026-10-19', '2026-10-26', zone)!;
    expect(october).toBe('2026-10-26T08:00:00.000Z');
    expect(localDateTime(october, zone)).toBe('2026-10-26T09:00');
  });

  it('… and in America/New_York, whose changes fall on other dates (8 March, 1 November 2026)', () => {
    const zone = 'America/New_York';
    // Between the American and the European change: New York is on summer time, Berlin not yet.
    expect(carryReminder(instantAt('2026-03-02T09:00', zone), '2026-03-02', '2026-03-09', zone)).toBe('2026-03-09T13:00:00.000Z');
    expect(instantAt('2026-03-02T09:00', zone)).toBe('2026-03-02T14:00:00.000Z');
    expect(carryReminder('2026-10-26T13:00:00.000Z', '2026-10-26', '2026-11-02', zone)).toBe('2026-11-02T14:00:00.000Z');
    // The same instant is 9:00 in New York and 14:00 in Berlin in the week between the two changes.
    expect(localDateTime('2026-03-09T13:00:00.000Z', 'Europe/Berlin')).toBe('2026-03-09T14:00');
  });

  it('a reminder in the hour that does not exist moves forward; in the repeated hour it takes the earlier one', () => {
    // 2026-03-29 02:30 does not exist in Berlin (02:00 → 03:00): 03:30 CEST.
    expect(carryReminder(instantAt('2026-03-22T02:30', 'Europe/Berlin'), '2026-03-22', '2026-03-29', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    // 2026-11-01 01:30 happens twice in New York: the first (EDT, −4).
    expect(instantAt('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('keeps the reminder’s days before the due date (the evening before, at 18:00)', () => {
    const zone = 'Europe/Berlin';
    const r = carryReminder(instantAt('2026-03-22T18:00', zone), '2026-03-23', '2026-03-30', zone)!;
    expect(localDateTime(r, zone)).toBe('2026-03-29T18:00');
  });

  it('the next occurrence of a monthly task on the 31st with a reminder: February’s last day at the same local time', () => {
    const zone = 'America/New_York';
    const monthly = rule({ frequency: 'monthly' });
    const next = nextOccurrence(monthly, { anchor: '2027-01-31', occurrenceDate: '2027-01-31', occurrence: 1 }, '2027-01-31')!;
    expect(next.dueDate).toBe('2027-02-28');
    expect(localDateTime(carryReminder(instantAt('2027-01-31T08:15', zone), '2027-01-31', next.dueDate, zone)!, zone)).toBe('2027-02-28T08:15');
  });

  it('"today" is the date in the user’s zone', () => {
    const instant = '2026-03-01T23:30:00Z';
    const { Temporal } = jest.requireActual<typeof import('temporal-polyfill')>('temporal-polyfill');
    expect(todayIn('Europe/Berlin', Temporal.Instant.from(instant))).toBe('2026-03-02');
    expect(todayIn('America/New_York', Temporal.Instant.from(instant))).toBe('2026-03-01');
  });

  it('knows IANA zones and their aliases, case-insensitively; refuses others and bare offsets', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeNull();
    expect(canonicalTimeZone('+01:00')).toBeNull();
  });

  it('writes instants as the API does (UTC, milliseconds)', () => {
    expect(normalizeInstant('2026-03-30T09:00:00+02:00')).toBe('2026-03-30T07:00:00.000Z');
    expect(normalizeInstant('2026-03-30t07:00:00.123456789z')).toBe('2026-03-30T07:00:00.123Z');
    expect(() => normalizeInstant('2026-02-30T07:00:00Z')).toThrow(RangeError);
  });
});
