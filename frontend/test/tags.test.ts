import { LIMITS } from '@todo/contract';
import { dueLabel, formatDate, pageLocale, todayIso } from '../src/dates';
import { parseTags } from '../src/tags';

describe('parseTags', () => {
  it('splits on commas and spaces, drops #, folds case and duplicates', () => {
    expect(parseTags(' Home, #errands  work,home,, ')).toEqual({ ok: true, tags: ['home', 'errands', 'work'] });
    expect(parseTags('')).toEqual({ ok: true, tags: [] });
  });

  it('names the first bad tag', () => {
    const r = parseTags('ok, bad!tag, other');
    expect(r).toEqual({ ok: false, error: expect.stringContaining('“bad!tag”') });
    expect(parseTags('-leading')).toMatchObject({ ok: false });
  });

  it('enforces the contract limits', () => {
    expect(parseTags('x'.repeat(LIMITS.tagMaxLength))).toMatchObject({ ok: true });
    expect(parseTags('x'.repeat(LIMITS.tagMaxLength + 1))).toMatchObject({ ok: false, error: expect.stringContaining(`${LIMITS.tagMaxLength} characters`) });
    const many = Array.from({ length: LIMITS.tagsMaxCount + 1 }, (_, i) => `t${i}`).join(',');
    expect(parseTags(many)).toMatchObject({ ok: false, error: expect.stringContaining(`At most ${LIMITS.tagsMaxCount}`) });
  });
});

describe('dates', () => {
  it('formats a calendar date without shifting it by the time zone', () => {
    expect(formatDate('2026-12-05', 'en-GB')).toBe('5 Dec 2026');
    expect(formatDate('2026-01-01', 'en-GB')).toBe('1 Jan 2026');
  });

  it('labels due dates in words near today, as a date further away, all in one locale', () => {
    const today = '2026-11-28';
    expect(dueLabel('2026-11-28', false, today, 'en-GB')).toEqual({ state: 'today', text: 'Due today' });
    expect(dueLabel('2026-11-29', false, today, 'en-GB')).toEqual({ state: 'soon', text: 'Due tomorrow' });
    expect(dueLabel('2026-12-01', false, today, 'en-GB')).toEqual({ state: 'soon', text: 'Due in 3 days' });
    expect(dueLabel('2026-11-26', false, today, 'en-GB')).toEqual({ state: 'overdue', text: 'Overdue · due 2 days ago' });
    expect(dueLabel('2026-11-27', false, today, 'en-GB')).toEqual({ state: 'overdue', text: 'Overdue · due yesterday' });
    expect(dueLabel('2026-12-25', false, today, 'en-GB')).toEqual({ state: 'later', text: 'Due 25 Dec' });
    expect(dueLabel('2027-01-05', false, today, 'en-US')).toEqual({ state: 'later', text: 'Due Jan 5, 2027' });
    expect(dueLabel('2026-11-01', false, today, 'en-GB')).toEqual({ state: 'overdue', text: 'Overdue · due 1 Nov' });
    // A completed task is never overdue or "due today".
    expect(dueLabel('2026-11-26', true, today, 'en-GB')).toEqual({ state: 'done', text: 'Due 2 days ago' });
    expect(dueLabel('2026-11-28', true, today, 'en-GB').state).toBe('done');
    expect(todayIso(new Date(2026, 0, 9))).toBe('2026-01-09');
  });

  it('formats dates in the page’s language whatever the browser prefers', () => {
    expect(pageLocale('en', ['ja-JP', 'ja'])).toBe('en');
    expect(pageLocale('en', ['ja-JP', 'en-GB', 'en'])).toBe('en-GB');
    expect(pageLocale('en', ['en-US'])).toBe('en-US');
    expect(pageLocale('en', [])).toBe('en');
    expect(pageLocale('en', ['not a tag!', 'en-AU'])).toBe('en-AU');
    // The Japanese browser on the English page: no Japanese in the label.
    expect(dueLabel('2026-11-26', false, '2026-11-28', pageLocale('en', ['ja-JP'])).text).toBe('Overdue · due 2 days ago');
    expect(dueLabel('2026-12-25', false, '2026-11-28', pageLocale('en', ['ja-JP'])).text).not.toMatch(/[\u3000-\u9fff]/);
  });
});
