/** The cookie routes as a browser of the site itself calls them (the refresh cookie and the CSRF header). */
import { API_HEADERS, API_ROUTES, CSRF_HEADER_VALUE, SESSION_COOKIE } from '@todo/contract';
import type { Backend } from '../src/app';
import { call } from './helpers';

/** The refresh cookie's value a response set, or undefined (none, or a cleared one). */
export function cookieFrom(res: { headers: Record<string, unknown> }): string | undefined {
  const headers = [res.headers['set-cookie'] ?? []].flat().map(String);
  for (const h of headers) {
    const m = new RegExp(`^(?:${SESSION_COOKIE.name}|${SESSION_COOKIE.insecureName})=([^;]*)`).exec(h);
    if (m && m[1]) return m[1];
  }
  return undefined;
}

const withCookie = (cookie: string | undefined) => ({
  [API_HEADERS.csrf]: CSRF_HEADER_VALUE,
  ...(cookie === undefined ? {} : { cookie: `${SESSION_COOKIE.name}=${cookie}` }),
});

export const refresh = (b: Backend, cookie: string | undefined) => call(b, 'POST', API_ROUTES.refresh, { headers: withCookie(cookie) });
export const sessionLogout = (b: Backend, cookie: string | undefined) => call(b, 'POST', API_ROUTES.sessionLogout, { headers: withCookie(cookie) });
