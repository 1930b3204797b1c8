/**
 * Authentication: session tokens are JWTs (HS256, @fastify/jwt over fast-jwt) with the claims sub
 * (user id), jti (token id, revoked at log-out), iat and exp. `app.sessions.issue(user)` makes one;
 * a route with `config.auth` needs `Authorization: Bearer <token>`:
 * - 'session': the hook checks the token's signature and expiry, then the session in the database
 *   (the user exists, the token is not revoked) and sets `request.user`;
 * - 'inline': the hook checks the token only; the handler's own statement checks the session (one
 *   round trip for the busiest routes).
 * Either sets `request.claims`. Only HS256 is accepted (no `alg: none`, no algorithm confusion).
 */
import { randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { Session, User } from '@todo/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError, sessionInvalid } from '../errors';

export interface TokenClaims {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; jti: string };
    user: User;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    claims?: TokenClaims;
  }
  interface FastifyInstance {
    sessions: { issue(user: User): Session };
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

    app.decorate('sessions', {
      issue(user: User): Session {
        const token = app.jwt.sign({ sub: user.id, jti: randomUUID() });
        const { exp } = app.jwt.decode<TokenClaims>(token)!;
        return { token, expiresAt: new Date(exp * 1000).toISOString(), user };
      },
    });

    async function authenticate(request: FastifyRequest, reply: FastifyReply, mode: 'session' | 'inline') {
      const match = request.headers.authorization ? BEARER.exec(request.headers.authorization) : null;
      reply.header('www-authenticate', 'Bearer');
      if (!match) throw new HttpError(401, 'Log in first: this request needs an Authorization: Bearer <token> header.');
      let claims: TokenClaims;
      try {
        claims = app.jwt.verify<TokenClaims>(match[1]!);
      } catch (err) {
        if (String((err as { code?: string }).code).startsWith('FAST_JWT_')) throw sessionInvalid();
        throw err;
      }
      request.claims = claims;
      if (mode === 'inline') return;
      const user = await app.accounts.sessionUser(claims.sub, claims.jti);
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
