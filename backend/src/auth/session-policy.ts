/**
 * The rules of sessions, as pure functions: what a refresh does with a session (rotate, replay within
 * the grace period, or refuse and end it), whether a request may use the session cookie (CSRF), and
 * whether the cookie gets `Secure`.
 */
import { API_HEADERS, CSRF_HEADER_VALUE } from '@todo/contract';
import type { RefreshOutcome, SessionRow } from '../db/session-store';

export interface SessionTimings {
  idleTimeoutSeconds: number;
  refreshGraceSeconds: number;
}

/**
 * - the current generation: rotated to the next one (unless the session sat idle past its timeout);
 * - the one before it, within the grace period after that rotation: the same current generation
 *   again (a concurrent refresh, or a retry after a lost answer), nothing changes;
 * - anything older, or the previous one after the grace period: a reuse, which ends the session.
 */
export function decideRefresh(row: SessionRow, presented: number, t: SessionTimings): RefreshOutcome {
  if (row.endedAt !== null) return { kind: 'refused', reason: 'ended' };
  if (row.now >= row.expiresAt) return { kind: 'refused', reason: 'expired' };
  const user = { id: row.userId, email: row.email, createdAt: row.userCreatedAt };
  const idle = t.idleTimeoutSeconds * 1000;
  if (presented === row.generation) {
    if (row.now >= row.rotatedAt + idle) return { kind: 'refused', reason: 'idle' };
    return { kind: 'rotated', user, generation: row.generation + 1, now: row.now, idleDeadline: Math.min(row.now + idle, row.expiresAt) };
  }
  // a grace of 0 is none: a second refresh in the same millisecond as the rotation is a reuse too
  const grace = t.refreshGraceSeconds * 1000;
  if (presented === row.generation - 1 && grace > 0 && row.now - row.rotatedAt <= grace) {
    return { kind: 'replayed', user, generation: row.generation, now: row.now, idleDeadline: Math.min(row.rotatedAt + idle, row.expiresAt) };
  }
  return { kind: 'refused', reason: 'reuse' };
}

/** The 401 message of each refusal. */
export const REFUSED_MESSAGES: Record<Extract<RefreshOutcome, { kind: 'refused' }>['reason'] | 'missing', string> = {
  missing: 'There is no session to renew: log in first.',
  unknown: 'Your session has ended or is not valid. Please log in again.',
  ended: 'Your session has ended. Please log in again.',
  idle: 'Your session ended after a long time without use. Please log in again.',
  expired: 'Your session reached its longest allowed duration. Please log in again.',
  reuse: 'Your session was ended because its refresh cookie was used twice, as a copied cookie would be. Please log in again.',
};

type Headers = Record<string, string | string[] | undefined>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim().toLowerCase();

/** Host and port of a Host-style value ("example.com", "example.com:8080", "[::1]:3000"), or null. */
function hostPort(value: string): { hostname: string; port: string } | null {
  try {
    const u = new URL(`http://${value}`);
    return { hostname: u.hostname, port: u.port };
  } catch {
    return null;
  }
}

/** Whether `origin` names the host the request was sent to (its Host, or X-Forwarded-Host behind a proxy). */
function sameHost(origin: string, headers: Headers): boolean {
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
  const oPort = o.port || (o.protocol === 'https:' ? '443' : '80');
  const candidates = [headers.host, headers['x-forwarded-host']].flatMap((v) => (Array.isArray(v) ? v : v ? v.split(',') : [])).map((v) => v.trim());
  return candidates.some((c) => {
    const h = hostPort(c);
    // A Host without a port was sent to the scheme's default port.
    return h !== null && h.hostname === o.hostname && (h.port === '' ? oPort === '80' || oPort === '443' : h.port === oPort);
  });
}

/**
 * Why a request may not use the session cookie, or null when it may. The cookie is SameSite=Strict
 * (a browser leaves it off cross-site requests); on top of that the request must carry the custom
 * header (which a cross-site page cannot send without a CORS preflight that this API never grants),
 * and when the browser says where it comes from (Sec-Fetch-Site, Origin), that must be this site.
 * X-Forwarded-Host counts as the request's host: a browser cannot send it cross-site either.
 */
export function csrfProblem(headers: Headers): string | null {
  const name = API_HEADERS.csrf;
  if (headers[name.toLowerCase()] !== CSRF_HEADER_VALUE) {
    return `This request needs the header ${name}: ${CSRF_HEADER_VALUE}; it keeps other sites from using the session cookie.`;
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `Requests from another site (Sec-Fetch-Site: ${String(site)}) may not use the session cookie.`;
  const origin = headers.origin;
  if (origin !== undefined && !sameHost(String(origin), headers)) return `Requests from ${String(origin)} may not use the session cookie: that is not this site.`;
  return null;
}

/**
 * Whether the refresh cookie gets `Secure`. 'always': yes. 'auto': when the browser's connection is
 * HTTPS (the connection, or the first X-Forwarded-Proto: a forged "https" only makes the cookie
 * stricter); over plain HTTP a browser may drop a Secure cookie (Chromium keeps one from
 * http://localhost, not every browser does).
 */
export function cookieSecure(mode: 'always' | 'auto', protocol: string, headers: Headers): boolean {
  return mode === 'always' || protocol === 'https' || first(headers['x-forwarded-proto']) === 'https';
}
