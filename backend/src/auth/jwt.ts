/**
 * Session tokens: compact JWS with HS256 (RFC 7515/7519), signed and checked with node:crypto.
 * Claims: sub (user id), jti (token id, for revocation at log-out), iat, exp.
 * Only HS256 is accepted; the signature is compared in constant time; expiry is enforced.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
}

export class TokenError extends Error {
  constructor(readonly reason: 'malformed' | 'signature' | 'expired') {
    super(`invalid token: ${reason}`);
    this.name = 'TokenError';
  }
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const B64URL = /^[A-Za-z0-9_-]+$/;

export interface TokenSigner {
  sign(userId: string, now?: number): { token: string; claims: TokenClaims };
  verify(token: string, now?: number): TokenClaims;
}

export function createTokenSigner(secret: string, ttlSeconds: number): TokenSigner {
  const key = Buffer.from(secret, 'utf8');
  const mac = (input: string) => createHmac('sha256', key).update(input).digest();

  return {
    sign(userId, now = Date.now()) {
      const iat = Math.floor(now / 1000);
      const claims: TokenClaims = { sub: userId, jti: randomUUID(), iat, exp: iat + ttlSeconds };
      const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return { token: `${body}.${mac(body).toString('base64url')}`, claims };
    },
    verify(token, now = Date.now()) {
      const parts = token.split('.');
      if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) throw new TokenError('malformed');
      const [header, payload, signature] = parts as [string, string, string];
      // Only our own header: no "alg": "none", no algorithm confusion.
      if (header !== HEADER) throw new TokenError('malformed');
      const expected = mac(`${header}.${payload}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenError('signature');
      let claims: Partial<TokenClaims>;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<TokenClaims>;
      } catch {
        throw new TokenError('malformed');
      }
      if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
        throw new TokenError('malformed');
      }
      if (claims.exp * 1000 <= now) throw new TokenError('expired');
      return claims as TokenClaims;
    },
  };
}
