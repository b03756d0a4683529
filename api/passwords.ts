/**
 * Console passwords: scrypt (node:crypto) with a random 16-byte salt per password, stored as
 * `scrypt$N$r$p$<salt base64>$<hash base64>` so that the cost can be raised later without breaking
 * stored hashes. Plain passwords are never stored, logged or audited.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost: N=2^15, r=8, p=1 (32 MiB, ~50–100 ms on one core) — OWASP's minimum for scrypt. */
const COST = { N: 32_768, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** Shortest and longest password accepted (characters). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 128 * cost.N * cost.r * 2 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** The stored form of a password (a fresh salt each time). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** A hash of nothing anyone knows: verifying against it costs what a real check costs (unknown users answer as slowly). */
const DUMMY = hashPassword(randomBytes(18).toString('base64'));

/** True when `password` matches the stored hash; an unknown user (no hash) still spends one scrypt. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parts = (stored ?? (await DUMMY)).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20) return false;
  const expected = Buffer.from(parts[5], 'base64');
  const key = await derive(password, Buffer.from(parts[4], 'base64'), { N, r, p });
  return stored !== null && stored !== undefined && expected.length === key.length && timingSafeEqual(expected, key);
}

/** Why a new password is refused (Chinese), or undefined when it is acceptable. */
export function passwordProblem(password: string, username: string): string | undefined {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN) return `密码至少 ${PASSWORD_MIN} 个字符`;
  if (chars.length > PASSWORD_MAX) return `密码最多 ${PASSWORD_MAX} 个字符`;
  if (password.toLowerCase().includes(username.toLowerCase())) return '密码不能包含用户名';
  if (new Set(chars).size < 4) return '密码过于简单：至少使用 4 个不同的字符';
  return undefined;
}
