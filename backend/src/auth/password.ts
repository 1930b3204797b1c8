/**
 * Password hashing with scrypt (node:crypto; memory-hard, no native module): a random 16-byte salt
 * per password, the parameters stored with the hash so they can be raised later, and a
 * constant-time comparison.
 *
 * N = 2^14, r = 8 uses 16 MiB per hash (128·N·r bytes), allocated outside the JavaScript heap. At most
 * `concurrency` hashes run at once (PASSWORD_HASH_CONCURRENCY); the others wait in a queue, so
 * log-ins cannot take more than concurrency × 16 MiB however many arrive together.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/**
 * At most `n` tasks at once, the rest first come, first served. Kept hand-written (ten lines): the
 * well-known limiter (p-limit) is published as an ES module only, which the CommonJS test runner
 * cannot load without a transform exception.
 */
export function limiter(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

export interface PasswordHasher {
  /** `scrypt$N$r$p$<salt base64>$<hash base64>` */
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /**
   * Spends the time of one verification without a stored hash, so that a log-in with an unknown
   * email takes as long as one with a wrong password (no account enumeration by timing).
   */
  burn(password: string): Promise<void>;
}

export function createPasswordHasher(params: ScryptParams = DEFAULT_SCRYPT, concurrency = 2): PasswordHasher {
  const run = limiter(concurrency);
  const derive = (password: string, salt: Buffer, { N, r, p }: ScryptParams) =>
    run(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
        }),
    );

  async function hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    const key = await derive(password, salt, params);
    return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async function verify(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
    const salt = Buffer.from(parts[4]!, 'base64');
    const expected = Buffer.from(parts[5]!, 'base64');
    const key = await derive(password, salt, { N, r, p });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  let dummy: Promise<string> | undefined;
  return {
    hash,
    verify,
    async burn(password) {
      dummy ??= hash('not a real password');
      await verify(password, await dummy);
    },
  };
}
