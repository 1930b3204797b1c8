/**
 * Authentication of API requests: access tokens are JWTs (HS256, @fastify/jwt over fast-jwt) with the
 * claims sub (user id), sid (the session, src/plugins/sessions.ts), jti (this token), iat and exp.
 * `app.accessTokens.issue(user, sessionId)` makes one; a route with `config.auth` needs
 * `Authorization: Bearer <token>`:
 * - 'session': the hook checks the token's signature and expiry, then the session in the database
 *   (the user exists, the session was not ended) and sets `request.user`;
 * - 'inline': the hook checks the token only; the handler's own statement checks the session (one
 *   round trip for the busiest routes).
 * Either sets `request.claims`; `claims.sid` is what the session checks look up in revoked_tokens
 * (a token of an earlier release has no sid: its jti stands in, which is what its log-out revoked).
 * Only HS256 is accepted (no `alg: none`, no algorithm confusion).
 */
import { randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { User } from '@todo/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError, sessionInvalid } from '../errors';

export interface TokenClaims {
  sub: string;
  /** The session the token belongs to: ending the session revokes it. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface AccessToken {
  token: string;
  /** Seconds since the epoch. */
  exp: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; sid: string; jti: string };
    user: User;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    claims?: TokenClaims;
  }
  interface FastifyInstance {
    accessTokens: { issue(userId: string, sessionId: string): AccessToken };
  }
  interface FastifyContextConfig {
    auth?: 'session' | 'inline';
  }
}

export interface AuthenticationOptions {
  secret: string;
  ttlSeconds: number;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export const authentication = fp<AuthenticationOptions>(
  async (app, opts) => {
    await app.register(fastifyJwt, {
      secret: opts.secret,
      sign: { algorithm: 'HS256', expiresIn: opts.ttlSeconds },
      // A verified token is remembered (by its hash) until it expires: no HMAC per request.
      verify: { algorithms: ['HS256'], requiredClaims: ['sub', 'jti', 'iat', 'exp'], cache: 10_000 },
    });

    app.decorate('accessTokens', {
      issue(userId: string, sessionId: string): AccessToken {
        const token = app.jwt.sign({ sub: userId, sid: sessionId, jti: randomUUID() });
        return { token, exp: app.jwt.decode<TokenClaims>(token)!.exp };
      },
    });

    async function authenticate(request: FastifyRequest, reply: FastifyReply, mode: 'session' | 'inline') {
      const match = request.headers.authorization ? BEARER.exec(request.headers.authorization) : null;
      reply.header('www-authenticate', 'Bearer');
      if (!match) throw new HttpError(401, 'Log in first: this request needs an Authorization: Bearer <token> header.');
      let claims: Omit<TokenClaims, 'sid'> & { sid?: unknown };
      try {
        claims = app.jwt.verify<typeof claims>(match[1]!);
      } catch (err) {
        if (String((err as { code?: string }).code).startsWith('FAST_JWT_')) throw sessionInvalid();
        throw err;
      }
      const sid = claims.sid === undefined ? claims.jti : claims.sid;
      if (typeof sid !== 'string') throw sessionInvalid();
      request.claims = { ...claims, sid };
      if (mode === 'inline') return;
      const user = await app.accounts.sessionUser(claims.sub, sid);
      if (!user) throw sessionInvalid();
      request.user = user;
    }

    app.addHook('onRequest', async (request, reply) => {
      const mode = request.routeOptions.config.auth;
      if (mode) await authenticate(request, reply, mode);
    });
  },
  { name: 'authentication', dependencies: ['task-store'] },
);
