import { LIMITS } from '@todo/contract';
import {
  activeFilterCount,
  DEFAULT_QUERY,
  dueRangeProblem,
  hasFilters,
  isIsoDate,
  listQueryToSearch,
  pageCount,
  parseListQuery,
  taskQueryToSearchParams,
  toTaskQuery,
} from '../src/query';

describe('list state in the page address', () => {
  it('has an empty address for the defaults', () => {
    expect(parseListQuery('')).toEqual(DEFAULT_QUERY);
    expect(listQueryToSearch(DEFAULT_QUERY)).toBe('');
  });

  it('round-trips every field', () => {
    const q = {
      q: 'milk & eggs',
      status: 'open' as const,
      priority: 'high' as const,
      tag: 'home',
      dueFrom: '2026-01-01',
      dueTo: '2026-12-31',
      sort: 'dueDate' as const,
      order: 'asc' as const,
      page: 3,
      pageSize: 50,
    };
    const search = listQueryToSearch(q);
    expect(search).toBe('?q=milk+%26+eggs&status=open&priority=high&tag=home&dueFrom=2026-01-01&dueTo=2026-12-31&sort=dueDate&order=asc&page=3&pageSize=50');
    expect(parseListQuery(search)).toEqual(q);
  });

  it('drops malformed values instead of sending them to the API', () => {
    const q = parseListQuery('?status=done&priority=urgent&tag=Not%20a%20tag&dueFrom=2026-02-30&dueTo=tomorrow&sort=color&order=up&page=0&pageSize=1000');
    expect(q).toEqual(DEFAULT_QUERY);
    expect(parseListQuery('?page=-2&pageSize=abc')).toMatchObject({ page: 1, pageSize: LIMITS.pageSizeDefault });
    expect(parseListQuery(`?q=${'x'.repeat(500)}`).q).toHaveLength(LIMITS.searchMaxLength);
  });

  it('gives a newly chosen sort field its natural order when none is given', () => {
    expect(parseListQuery('?sort=title')).toMatchObject({ sort: 'title', order: 'asc' });
    expect(parseListQuery('?sort=createdAt')).toMatchObject({ sort: 'createdAt', order: 'desc' });
    expect(parseListQuery('?sort=title&order=desc')).toMatchObject({ sort: 'title', order: 'desc' });
  });

  it('lower-cases the tag filter', () => {
    expect(parseListQuery('?tag=Work').tag).toBe('work');
  });
});

describe('API query', () => {
  it('always states sort, order, status and paging, and leaves out empty filters', () => {
    expect(toTaskQuery({ ...DEFAULT_QUERY, q: '   ' })).toEqual({ status: 'all', sort: 'createdAt', order: 'desc', page: 1, pageSize: 20 });
    const params = taskQueryToSearchParams(toTaskQuery({ ...DEFAULT_QUERY, q: ' milk ', priority: 'low', tag: 'home', dueTo: '2026-05-01', page: 2 }));
    expect(params.toString()).toBe('status=all&sort=createdAt&order=desc&page=2&pageSize=20&q=milk&priority=low&tag=home&dueTo=2026-05-01');
  });
});

describe('helpers', () => {
  it('checks real calendar dates', () => {
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('2026-1-01')).toBe(false);
  });

  it('knows when filters are active and when the due range is empty', () => {
    expect(hasFilters(DEFAULT_QUERY)).toBe(false);
    expect(hasFilters({ ...DEFAULT_QUERY, sort: 'title', page: 4 })).toBe(false);
    expect(hasFilters({ ...DEFAULT_QUERY, status: 'completed' })).toBe(true);
    expect(dueRangeProblem({ dueFrom: '2026-05-02', dueTo: '2026-05-01' })).toMatch(/after/);
    expect(dueRangeProblem({ dueFrom: '2026-05-01', dueTo: '2026-05-01' })).toBeNull();
  });

  it('counts pages', () => {
    expect(pageCount(0, 20)).toBe(1);
    expect(pageCount(20, 20)).toBe(1);
    expect(pageCount(21, 20)).toBe(2);
  });
});

describe('the Filters control', () => {
  it('counts the filters set behind it, not the search box or the sorting', () => {
    expect(activeFilterCount(DEFAULT_QUERY)).toBe(0);
    expect(activeFilterCount({ ...DEFAULT_QUERY, q: 'milk', sort: 'title', order: 'asc', pageSize: 50, page: 3 })).toBe(0);
    expect(activeFilterCount({ ...DEFAULT_QUERY, status: 'open', tag: 'home' })).toBe(2);
    expect(activeFilterCount({ ...DEFAULT_QUERY, status: 'completed', priority: 'low', tag: 'x', dueFrom: '2026-01-01', dueTo: '2026-02-01' })).toBe(5);
  });
});
