/** Passwords (scrypt, bounded concurrency), the common-password list, and the session tokens' shape. */
import { API_ROUTES, type Session } from '@todo/contract';
import { isCommonPassword } from '../src/auth/common-passwords';
import { createPasswordHasher, DEFAULT_SCRYPT, limiter } from '../src/auth/password';
import { call, testBackend, testDatabase, uniqueEmail } from './helpers';

describe('password hashing (scrypt)', () => {
  const passwords = createPasswordHasher();

  it('hashes with a per-user salt and verifies only the right password', async () => {
    const [a, b] = await Promise.all([passwords.hash('correct horse'), passwords.hash('correct horse')]);
    expect(a).toMatch(new RegExp(`^scrypt\\$${DEFAULT_SCRYPT.N}\\$8\\$1\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}$`));
    expect(a).not.toBe(b);
    await expect(passwords.verify('correct horse', a)).resolves.toBe(true);
    await expect(passwords.verify('correct horse', b)).resolves.toBe(true);
    await expect(passwords.verify('correct hors', a)).resolves.toBe(false);
    await expect(passwords.verify('Correct horse', a)).resolves.toBe(false);
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    await expect(passwords.verify('x', 'plain-text-password')).resolves.toBe(false);
    await expect(passwords.verify('x', 'scrypt$abc$8$1$c2FsdA==$aGFzaA==')).resolves.toBe(false);
  });
});

describe('the hash concurrency bound', () => {
  it('runs at most n tasks at once, in arrival order, whatever happens to them', async () => {
    const run = limiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 10));
      active--;
      order.push(i);
      if (i === 3) throw new Error('boom');
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => run(task(i))));
    expect(peak).toBe(2);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('bounds the real hashes: 8 log-ins at once with concurrency 2 never run more than 2 scrypts', async () => {
    // The module object src/auth/password.ts calls scrypt on (CommonJS under jest).
    const crypto = require('node:crypto') as typeof import('node:crypto');
    const original = crypto.scrypt;
    let active = 0;
    let peak = 0;
    const spy = jest.spyOn(crypto, 'scrypt').mockImplementation(((...args: unknown[]) => {
      active++;
      peak = Math.max(peak, active);
      const cb = args[args.length - 1] as (err: Error | null, key: Buffer) => void;
      (original as (...a: unknown[]) => void)(...args.slice(0, -1), (err: Error | null, key: Buffer) => {
        active--;
        cb(err, key);
      });
    }) as never);
    try {
      const hasher = createPasswordHasher({ N: 1024, r: 8, p: 1 }, 2);
      await Promise.all(Array.from({ length: 8 }, (_, i) => hasher.hash(`password ${i}`)));
      expect(peak).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the common-password list', () => {
  it('knows the most common passwords of the allowed length, whatever their case', () => {
    for (const p of ['password', '12345678', 'qwertyuiop', 'Password1', 'ILOVEYOU', 'baseball1']) expect({ p, common: isCommonPassword(p) }).toEqual({ p, common: true });
    for (const p of ['correct horse battery staple', 'k7#Qm2!vLp9z']) expect({ p, common: isCommonPassword(p) }).toEqual({ p, common: false });
  });

  it('refuses a common password at sign-up with a 422 naming the field', async () => {
    const db = await testDatabase();
    const backend = testBackend(db, { closeDatabase: true });
    try {
      const res = await call(backend, 'POST', API_ROUTES.signup, { body: { email: uniqueEmail(), password: 'Password123' } });
      expect(res.status).toBe(422);
      expect(res.body.message).toBe('body/password is one of the most commonly used passwords; choose one that is harder to guess');
    } finally {
      await backend.app.close();
    }
  }, 60_000);
});

describe('session tokens (HS256 JWT)', () => {
  it('carry sub, sid, jti, iat and exp = iat + ACCESS_TOKEN_TTL_SECONDS, under an HS256 header', async () => {
    const db = await testDatabase();
    const backend = testBackend(db, { accessTokenTtlSeconds: 600, closeDatabase: true });
    try {
      const s = (await call(backend, 'POST', API_ROUTES.signup, { body: { email: uniqueEmail(), password: 'a long enough passphrase' } })).body as Session;
      const [h, p] = s.token.split('.').slice(0, 2).map((x) => JSON.parse(Buffer.from(x, 'base64url').toString())) as [Record<string, unknown>, Record<string, number | string>];
      expect(h).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(p).toEqual({ sub: s.user.id, sid: expect.stringMatching(/^[0-9a-f-]{36}$/), jti: expect.stringMatching(/^[0-9a-f-]{36}$/), iat: expect.any(Number), exp: (p.iat as number) + 600 });
      expect(p.sid).not.toBe(p.jti);
      expect(Date.parse(s.expiresAt)).toBe((p.exp as number) * 1000);
    } finally {
      await backend.app.close();
    }
  }, 60_000);
});
