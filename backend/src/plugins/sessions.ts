/**
 * Sessions: a log-in starts one (a row of `sessions`, src/db/session-store.ts) and answers with a
 * short-lived access token (src/plugins/authentication.ts) and the refresh cookie (contract
 * SESSION_COOKIE; the token format is src/auth/refresh-token.ts). The cookie routes renew and end
 * the session; the rules are src/auth/session-policy.ts. `app.sessions`:
 * - `start(user, request, reply)`: a new session, its cookie set on `reply`;
 * - `refresh(request, reply)`: the cookie rotated (CSRF-checked), a new access token;
 * - `endByCookie(request, reply)`: the cookie's session ended (CSRF-checked), the cookie cleared;
 * - `endByToken(claims)`: the access token's session ended.
 */
import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import { SESSION_COOKIE, type Session, type User } from '@todo/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type RefreshClaims, refreshTokens } from '../auth/refresh-token';
import { cookieSecure, csrfProblem, decideRefresh, REFUSED_MESSAGES } from '../auth/session-policy';
import { createSessionStore } from '../db/session-store';
import { HttpError } from '../errors';
import type { TokenClaims } from './authentication';

export interface SessionOptions {
  /** The JWT signing secret: the refresh tokens' key is derived from it. */
  secret: string;
  accessTtlSeconds: number;
  idleTimeoutSeconds: number;
  maxAgeSeconds: number;
  refreshGraceSeconds: number;
  cookieSecure: 'always' | 'auto';
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: {
      start(user: User, request: FastifyRequest, reply: FastifyReply): Promise<Session>;
      refresh(request: FastifyRequest, reply: FastifyReply): Promise<Session>;
      endByCookie(request: FastifyRequest, reply: FastifyReply): Promise<void>;
      endByToken(claims: TokenClaims): Promise<void>;
    };
  }
}

export const sessions = fp<SessionOptions>(
  async (app, opts) => {
    // Parsing only (no signed cookies: the token carries its own MAC).
    await app.register(fastifyCookie, { hook: 'onRequest' });
    const store = createSessionStore(app.db);
    const tokens = refreshTokens(opts.secret);

    /** The cookie's name for this request: only a Secure cookie may bear the __Secure- prefix. */
    const secureFor = (request: FastifyRequest) => cookieSecure(opts.cookieSecure, request.protocol, request.headers);

    function setCookie(request: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number) {
      const secure = secureFor(request);
      reply.setCookie(secure ? SESSION_COOKIE.name : SESSION_COOKIE.insecureName, value, {
        path: SESSION_COOKIE.path,
        httpOnly: true,
        secure,
        sameSite: 'strict',
        maxAge: Math.max(1, Math.floor(maxAgeSeconds)),
      });
    }

    /** Removes the session cookie(s) the request carried. */
    function clearCookies(request: FastifyRequest, reply: FastifyReply) {
      for (const name of [SESSION_COOKIE.name, SESSION_COOKIE.insecureName]) {
        if (request.cookies[name] === undefined) continue;
        reply.clearCookie(name, { path: SESSION_COOKIE.path, httpOnly: true, secure: name === SESSION_COOKIE.name, sameSite: 'strict' });
      }
    }

    /**
     * The refresh token the request carries, after the CSRF check; with SESSION_COOKIE_SECURE=always
     * only the __Secure- cookie counts (a plain-HTTP attacker could plant the other name).
     */
    function presented(request: FastifyRequest): { claims: RefreshClaims | null; value: string | undefined } {
      const problem = csrfProblem(request.headers);
      if (problem) throw new HttpError(403, problem);
      const value = request.cookies[SESSION_COOKIE.name] ?? (opts.cookieSecure === 'auto' ? request.cookies[SESSION_COOKIE.insecureName] : undefined);
      return { claims: value === undefined ? null : tokens.read(value), value };
    }

    const session = (user: User, access: { token: string; exp: number }): Session => ({
      token: access.token,
      expiresAt: new Date(access.exp * 1000).toISOString(),
      user,
    });

    app.decorate('sessions', {
      async start(user, request, reply) {
        const sessionId = randomUUID();
        await store.forgetExpired();
        const { expiresAt, now } = await store.start(sessionId, user.id, opts.maxAgeSeconds, opts.accessTtlSeconds);
        const access = app.accessTokens.issue(user.id, sessionId);
        setCookie(request, reply, tokens.make(sessionId, 1), Math.min(opts.idleTimeoutSeconds, (expiresAt - now) / 1000));
        return session(user, access);
      },

      async refresh(request, reply) {
        const { claims, value } = presented(request);
        if (!claims) {
          if (value !== undefined) clearCookies(request, reply);
          throw new HttpError(401, REFUSED_MESSAGES[value === undefined ? 'missing' : 'unknown']);
        }
        const outcome = await store.refresh(claims.sessionId, claims.generation, (row, gen) => decideRefresh(row, gen, opts), opts.accessTtlSeconds);
        if (outcome.kind === 'refused') {
          clearCookies(request, reply);
          if (outcome.reason === 'reuse') request.log.warn({ sessionId: claims.sessionId, generation: claims.generation }, 'refresh token reused: session ended');
          throw new HttpError(401, REFUSED_MESSAGES[outcome.reason]);
        }
        setCookie(request, reply, tokens.make(claims.sessionId, outcome.generation), (outcome.idleDeadline - outcome.now) / 1000);
        return session(outcome.user, app.accessTokens.issue(outcome.user.id, claims.sessionId));
      },

      async endByCookie(request, reply) {
        const { claims, value } = presented(request);
        if (value !== undefined) clearCookies(request, reply);
        if (!claims) throw new HttpError(401, REFUSED_MESSAGES[value === undefined ? 'missing' : 'unknown']);
        // Any generation may end its session: logging out is never a risk.
        await store.end(claims.sessionId, 'logout');
        await store.forgetExpired();
      },

      async endByToken(claims) {
        // A token of an earlier release has no session row: its jti is revoked instead.
        if (!(await store.end(claims.sid, 'logout'))) await app.accounts.revokeToken(claims.sid, new Date(claims.exp * 1000));
        await store.forgetExpired();
      },
    });
  },
  { name: 'sessions', dependencies: ['task-store', 'authentication'] },
);
