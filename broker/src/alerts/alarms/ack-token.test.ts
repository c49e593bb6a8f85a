import { stat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, silentLogger } from '../../test-support/helpers.js';
import { ACK_SECRET_FILE, loadAckSecret } from './ack-secret.js';
import { signAckToken, verifyAckToken } from './ack-token.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const ID = '3f1c2a4e-9b7d-4c1e-8f00-123456789abc';
const NOW = 1_764_000_000_000;

describe('ack tokens', () => {
  const token = signAckToken(SECRET, ID, NOW + 3_600_000);

  it('verifies a genuine token until it expires', () => {
    expect(verifyAckToken(SECRET, token, NOW)).toEqual({ ok: true, alarmId: ID, expiresAt: NOW + 3_600_000 });
    expect(verifyAckToken(SECRET, token, NOW + 3_600_000 - 1).ok).toBe(true);
    expect(verifyAckToken(SECRET, token, NOW + 3_600_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('is URL-safe', () => {
    expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
  });

  const [id = '', expiry = '', sig = ''] = token.split('.');
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  it.each([
    ['another alarm id', `${ID.replace('3f1c', '3f1d')}.${expiry}.${sig}`],
    ['a later expiry', `${id}.${(NOW + 999_999_999).toString(36)}.${sig}`],
    ['a changed signature', `${id}.${expiry}.${flip(sig, 5)}`],
    // The last character's low bits are unused by base64: a non-canonical spelling of the
    // same bytes must not verify either.
    ['a changed last character', `${id}.${expiry}.${flip(sig, sig.length - 1)}`],
    ['a short signature', `${id}.${expiry}.${sig.slice(1)}`],
    ['no signature', `${id}.${expiry}`],
    ['extra parts', `${token}.x`],
    ['garbage', 'hello'],
    ['empty', ''],
  ])('refuses %s as invalid', (_label, tampered) => {
    expect(verifyAckToken(SECRET, tampered, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a token signed with another secret, even an expired one, as invalid (not expired)', () => {
    const other = Buffer.from('another-secret-another-secret-xx');
    expect(verifyAckToken(other, token, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyAckToken(other, token, NOW + 10 * 3_600_000)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses to sign nonsense', () => {
    expect(() => signAckToken(SECRET, 'a.b', NOW)).toThrow(RangeError);
    expect(() => signAckToken(SECRET, ID, Number.NaN)).toThrow(RangeError);
  });
});

describe('ack secret', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('generates one secret, keeps it private in the data dir and reuses it', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const first = await loadAckSecret({ dataDir: dir.path, logger: silentLogger });
    expect(first).toHaveLength(32);
    const file = join(dir.path, ACK_SECRET_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadAckSecret({ dataDir: dir.path, logger: silentLogger })).toEqual(first);
  });

  it('prefers the configured secret, and replaces a damaged file', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const configured = 'a-configured-secret-of-32-characters!';
    expect((await loadAckSecret({ configured, dataDir: dir.path, logger: silentLogger })).toString()).toBe(configured);
    const file = join(dir.path, ACK_SECRET_FILE);
    await writeFile(file, 'not hex');
    const fresh = await loadAckSecret({ dataDir: dir.path, logger: silentLogger });
    expect((await readFile(file, 'utf8')).trim()).toBe(fresh.toString('hex'));
  });
});
