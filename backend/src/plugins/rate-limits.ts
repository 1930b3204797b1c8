/**
 * Rate limits (@fastify/rate-limit, counted in memory per process, fixed one-minute windows):
 * - log-in and sign-up: per client address (LOGIN_RATE_LIMIT_PER_MINUTE; many users may share an
 *   address behind a NAT) and per account, whatever the address (LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE);
 * - task writes: per user (WRITE_RATE_LIMIT_PER_MINUTE).
 * Beyond a limit: 429 with Retry-After (seconds until the window ends) and a message saying which.
 * The client address is `request.ip`: X-Forwarded-For is believed only from TRUSTED_PROXY_CIDRS.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors';

export interface RateLimitOptions {
  loginPerAddress: number;
  loginPerAccount: number;
  writesPerUser: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    limits: {
      /** Counts one log-in or sign-up attempt for `email`; throws 429 beyond either limit. */
      login(request: FastifyRequest, email: string): Promise<void>;
      /** Counts one task write of the authenticated user; throws 429 beyond the limit. */
      write(request: FastifyRequest): Promise<void>;
    };
  }
}

const MINUTE = 60_000;
const tooMany = (seconds: number, message: string) => new HttpError(429, `${message} Please wait ${seconds} seconds and try again.`, { 'retry-after': String(seconds) });

export const rateLimits = fp<RateLimitOptions>(
  async (app, opts) => {
    // Keys of all three limits share one in-memory LRU table; prefixes keep them apart.
    await app.register(rateLimit, { global: false, cache: 50_000 });
    const byAddress = app.createRateLimit({ max: opts.loginPerAddress, timeWindow: MINUTE, keyGenerator: (r) => `address ${r.ip}` });
    const byAccount = app.createRateLimit({ max: opts.loginPerAccount, timeWindow: MINUTE, keyGenerator: (r) => `account ${(r as FastifyRequest & { loginEmail: string }).loginEmail}` });
    const byUser = app.createRateLimit({ max: opts.writesPerUser, timeWindow: MINUTE, keyGenerator: (r) => `writer ${r.claims!.sub}` });

    app.decorate('limits', {
      async login(request: FastifyRequest, email: string) {
        (request as FastifyRequest & { loginEmail: string }).loginEmail = email;
        const [address, account] = await Promise.all([byAddress(request), byAccount(request)]);
        if (!address.isAllowed && address.isExceeded) throw tooMany(address.ttlInSeconds, 'Too many log-in or sign-up attempts from your address.');
        if (!account.isAllowed && account.isExceeded) throw tooMany(account.ttlInSeconds, 'Too many log-in attempts for this account.');
      },
      async write(request: FastifyRequest) {
        const user = await byUser(request);
        if (!user.isAllowed && user.isExceeded) throw tooMany(user.ttlInSeconds, 'Too many changes in a short time.');
      },
    });
  },
  { name: 'rate-limits' },
);
