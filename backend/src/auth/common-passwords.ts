/**
 * The password policy's list: the most common passwords, from zxcvbn-ts's maintained list (about
 * 49,000 from public breach corpora; those long enough to pass the length rule are kept). Built on
 * first use, compared case-insensitively.
 */
import { LIMITS } from '@todo/contract';
import { dictionary } from '@zxcvbn-ts/language-common';

let common: Set<string> | undefined;

export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].filter((p) => p.length >= LIMITS.passwordMinLength).map((p) => p.toLowerCase()));
  return common.has(password.normalize('NFC').toLowerCase());
}
