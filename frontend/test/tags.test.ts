import { LIMITS } from '@todo/contract';
import { formatDate, isOverdue, todayIso } from '../src/dates';
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

  it('marks open tasks past their due date as overdue', () => {
    expect(isOverdue('2026-01-01', false, '2026-01-02')).toBe(true);
    expect(isOverdue('2026-01-02', false, '2026-01-02')).toBe(false);
    expect(isOverdue('2026-01-01', true, '2026-01-02')).toBe(false);
    expect(isOverdue(null, false, '2026-01-02')).toBe(false);
    expect(todayIso(new Date(2026, 0, 9))).toBe('2026-01-09');
  });
});
