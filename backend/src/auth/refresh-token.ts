/**
 * Refresh tokens: `v1.<session id>.<generation>.<MAC>`, the MAC an HMAC-SHA256 of the session id and
 * generation under a key derived (HKDF) from the JWT signing secret. The database keeps only each
 * session's current generation (src/db/session-store.ts), never a token: a copy of the database
 * yields none. Because the token of a generation can be computed again, a retry within the grace
 * period gets the very token the first answer carried, so two tabs renewing at once, or a retry after
 * a lost answer, stay on one chain. Hand-written: a dozen lines over node:crypto.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_GENERATION = 2 ** 31 - 1;

export interface RefreshClaims {
  sessionId: string;
  generation: number;
}

export interface RefreshTokens {
  make(sessionId: string, generation: number): string;
  /** The session and generation of a token this server made, or null for anything else. */
  read(token: string): RefreshClaims | null;
}

export function refreshTokens(jwtSecret: string): RefreshTokens {
  // A key of its own: a refresh MAC can never pass for a JWT signature, nor the reverse.
  const key = Buffer.from(hkdfSync('sha256', jwtSecret, 'todo refresh tokens', 'v1', 32));
  const mac = (sessionId: string, generation: number) => createHmac('sha256', key).update(`${VERSION}.${sessionId}.${generation}`).digest();

  return {
    make(sessionId, generation) {
      return `${VERSION}.${sessionId}.${generation}.${mac(sessionId, generation).toString('base64url')}`;
    },
    read(token) {
      const parts = token.split('.');
      if (parts.length !== 4 || parts[0] !== VERSION) return null;
      const [, sessionId, gen, sig] = parts as [string, string, string, string];
      if (!UUID.test(sessionId) || !/^[1-9][0-9]{0,9}$/.test(gen)) return null;
      const generation = Number(gen);
      if (generation > MAX_GENERATION) return null;
      // Compared as text: base64url decoding would also accept variants of the same bytes.
      const given = Buffer.from(sig);
      const expected = Buffer.from(mac(sessionId, generation).toString('base64url'));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return { sessionId, generation };
    },
  };
}
