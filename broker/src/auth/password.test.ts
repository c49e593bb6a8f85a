import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, parsePasswordHash, verifyPassword } from './password.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing (scrypt)', () => {
  it('stores scrypt$N$r$p$salt$hash and verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery', FAST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('uses the default OWASP parameters and a random salt per hash', async () => {
    const a = await hashPassword('same password');
    const b = await hashPassword('same password');
    expect(a.startsWith('scrypt$32768$8$1$')).toBe(true);
    expect(a).not.toBe(b);
    expect(parsePasswordHash(a)?.salt.length).toBe(16);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('rejects tampered or malformed hash strings without throwing', async () => {
    const stored = await hashPassword('secret-password', FAST);
    const parts = stored.split('$');
    const flipped = Buffer.from(parts[5] as string, 'base64');
    flipped[0] = (flipped[0] as number) ^ 0xff;
    const tampered = [
      [...parts.slice(0, 5), flipped.toString('base64')].join('$'), // hash bytes changed
      [parts[0], '2048', ...parts.slice(2)].join('$'), // N changed
      [parts[0], '1000', ...parts.slice(2)].join('$'), // N not a power of two
      [parts[0], String(2 ** 30), ...parts.slice(2)].join('$'), // N absurdly large (CPU/memory bomb)
      [parts[0], parts[1], '999', ...parts.slice(3)].join('$'), // r out of bounds
      [...parts.slice(0, 4), '!!notbase64!!', parts[5]].join('$'),
      [...parts.slice(0, 4), 'AAAA', parts[5]].join('$'), // salt too short
      [...parts.slice(0, 5), 'AAAA'].join('$'), // key too short
      stored.replace(/^scrypt/, 'bcrypt'),
      parts.slice(0, 5).join('$'),
      '',
      'scrypt$$$$$',
      `${stored}$extra`,
      'x'.repeat(10_000),
    ];
    for (const bad of tampered) {
      await expect(verifyPassword('secret-password', bad), bad.slice(0, 60)).resolves.toBe(false);
    }
    // Non-string input from a careless caller is a "no", not a crash.
    await expect(verifyPassword(undefined as unknown as string, stored)).resolves.toBe(false);
    await expect(verifyPassword('secret-password', null as unknown as string)).resolves.toBe(false);
  });

  it('refuses to hash empty or huge passwords and flags weak parameters for re-hashing', async () => {
    await expect(hashPassword('')).rejects.toThrow(RangeError);
    await expect(hashPassword('x'.repeat(2000))).rejects.toThrow(RangeError);
    const weak = await hashPassword('pw-12345678', FAST);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(weak, FAST)).toBe(false);
    expect(needsRehash('garbage')).toBe(true);
  });
});
