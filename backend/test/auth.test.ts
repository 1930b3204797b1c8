import { createTokenSigner, TokenError } from '../src/auth/jwt';
import { DEFAULT_SCRYPT, hashPassword, verifyPassword } from '../src/auth/password';
import { createRateLimiter } from '../src/auth/rate-limit';

describe('password hashing (scrypt)', () => {
  it('hashes with a per-user salt and verifies only the right password', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(a).toMatch(new RegExp(`^scrypt\\$${DEFAULT_SCRYPT.N}\\$8\\$1\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}$`));
    expect(a).not.toBe(b);
    await expect(verifyPassword('correct horse', a)).resolves.toBe(true);
    await expect(verifyPassword('correct horse', b)).resolves.toBe(true);
    await expect(verifyPassword('correct hors', a)).resolves.toBe(false);
    await expect(verifyPassword('Correct horse', a)).resolves.toBe(false);
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    await expect(verifyPassword('x', 'plain-text-password')).resolves.toBe(false);
    await expect(verifyPassword('x', 'scrypt$abc$8$1$c2FsdA==$aGFzaA==')).resolves.toBe(false);
  });
});

describe('session tokens (HS256)', () => {
  const signer = createTokenSigner('s'.repeat(32), 600);

  it('round-trips the claims with exp = iat + TTL', () => {
    const { token, claims } = signer.sign('user-1', 1_700_000_000_000);
    expect(claims).toMatchObject({ sub: 'user-1', iat: 1_700_000_000, exp: 1_700_000_600 });
    expect(signer.verify(token, 1_700_000_000_000 + 599_000)).toEqual(claims);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('rejects expired, tampered and foreign tokens with the reason', () => {
    const { token } = signer.sign('user-1', 1_700_000_000_000);
    const reason = (t: string, now = 1_700_000_000_000) => {
      try {
        signer.verify(t, now);
        return 'valid';
      } catch (e) {
        return (e as TokenError).reason;
      }
    };
    expect(reason(token, 1_700_000_600_000)).toBe('expired');
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    expect(reason(`${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'user-2' })).toString('base64url')}.${s}`)).toBe('signature');
    expect(reason(createTokenSigner('t'.repeat(32), 600).sign('user-1', 1_700_000_000_000).token)).toBe('signature');
    expect(reason(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`)).toBe('malformed');
    expect(reason(`${Buffer.from('{"alg":"HS512","typ":"JWT"}').toString('base64url')}.${p}.${s}`)).toBe('malformed');
    expect(reason('a.b')).toBe('malformed');
    expect(reason(`${h}.${p}.${s}.x`)).toBe('malformed');
  });
});

describe('rate limiter', () => {
  it('allows `limit` hits per key per window, then says how long to wait', () => {
    const rl = createRateLimiter(2, 60_000);
    expect(rl.hit('a', 0)).toBe(0);
    expect(rl.hit('a', 1_000)).toBe(0);
    expect(rl.hit('a', 2_000)).toBe(58);
    expect(rl.hit('b', 2_000)).toBe(0);
    expect(rl.hit('a', 60_000)).toBe(0);
  });

  it('stays bounded under many distinct addresses', () => {
    const rl = createRateLimiter(1, 60_000, 100);
    for (let i = 0; i < 1000; i++) rl.hit(`10.0.${i >> 8}.${i & 255}`, 0);
    expect(rl.size()).toBeLessThanOrEqual(100);
  });
});
