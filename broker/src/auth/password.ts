/**
 * Password hashing with node:crypto scrypt. Stored form:
 * `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>` — parameters travel with the hash so they
 * can be raised later without invalidating old ones. Comparison is constant-time.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export type ScryptParams = { N: number; r: number; p: number };

/** N = 2^15, r = 8, p = 1: OWASP's minimum for scrypt; ~50–100 ms on a Raspberry Pi 4. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Longer inputs are refused before hashing (cheap denial-of-service guard). */
export const MAX_PASSWORD_LENGTH = 1024;

/** Bounds for parameters read back from a stored string, so a tampered row cannot make us burn CPU or memory. */
const LIMITS = { maxN: 2 ** 20, maxR: 32, maxP: 16, minSalt: 8, maxSalt: 64, minKey: 16, maxKey: 128 };

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * params.p + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new RangeError(`password must be 1–${MAX_PASSWORD_LENGTH} characters`);
  }
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

type Parsed = { params: ScryptParams; salt: Buffer; key: Buffer };

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseInteger(text: string | undefined): number | null {
  return text !== undefined && /^[1-9]\d{0,9}$/.test(text) ? Number(text) : null;
}

/** Parses a stored hash; null when it is not a well-formed, in-bounds scrypt string. */
export function parsePasswordHash(stored: string): Parsed | null {
  if (typeof stored !== 'string' || stored.length > 512) return null;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const N = parseInteger(parts[1]);
  const r = parseInteger(parts[2]);
  const p = parseInteger(parts[3]);
  if (N === null || r === null || p === null) return null;
  // N must be a power of two above 1.
  if (N < 2 || N > LIMITS.maxN || (N & (N - 1)) !== 0 || r > LIMITS.maxR || p > LIMITS.maxP) return null;
  const [saltText, keyText] = [parts[4] ?? '', parts[5] ?? ''];
  if (!B64.test(saltText) || !B64.test(keyText)) return null;
  const salt = Buffer.from(saltText, 'base64');
  const key = Buffer.from(keyText, 'base64');
  if (salt.length < LIMITS.minSalt || salt.length > LIMITS.maxSalt || key.length < LIMITS.minKey || key.length > LIMITS.maxKey) return null;
  return { params: { N, r, p }, salt, key };
}

/** True when `password` matches `stored`. False (never a throw) for malformed or tampered hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return false;
  const parsed = parsePasswordHash(stored);
  if (!parsed) return false;
  try {
    const key = await scrypt(password, parsed.salt, parsed.key.length, parsed.params);
    return timingSafeEqual(key, parsed.key);
  } catch {
    return false;
  }
}

/** True when the stored hash uses weaker parameters than the current default (re-hash on next login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const parsed = parsePasswordHash(stored);
  return !parsed || parsed.params.N < params.N || parsed.params.r < params.r || parsed.params.p < params.p;
}
