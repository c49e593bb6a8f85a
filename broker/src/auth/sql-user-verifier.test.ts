import { beforeEach, describe, expect, it } from 'vitest';
import { sqlBackends } from '../test-support/sql-backends.js';
import type { SqlStore } from '../store/sql/sql-store.js';
import { silentLogger } from '../test-support/helpers.js';
import { SqlUserVerifier } from './sql-user-verifier.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

const backends = sqlBackends();

describe.each(backends.each)('SqlUserVerifier on %s', (_name, open) => {
  let sql: SqlStore;
  let users: SqlUserVerifier;

  beforeEach(async () => {
    sql = (await open()).sql;
    users = new SqlUserVerifier({ sql, logger: silentLogger, scryptParams: FAST });
  });
  const hashOf = async (username: string) => (await sql.get<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = ?', [username]))!;

  it('creates the admin, leaves it alone when unchanged and updates a changed password', async () => {
    expect(await users.ensureAdmin('admin', 'first-password')).toBe('created');
    expect(await users.ensureAdmin('admin', 'first-password')).toBe('unchanged');
    expect(await users.verify('admin', 'first-password')).toEqual({ username: 'admin', role: 'admin', sites: null });
    expect(await users.ensureAdmin('admin', 'second-password')).toBe('updated');
    expect(await users.verify('admin', 'first-password')).toBeNull();
    expect(await users.verify('admin', 'second-password')).toEqual({ username: 'admin', role: 'admin', sites: null });
    const row = await hashOf('admin');
    expect(row.password_hash.startsWith('scrypt$')).toBe(true);
    expect(row.password_hash).not.toContain('second-password');
  });

  it('promotes an existing viewer named like the admin', async () => {
    await users.upsert('admin', 'viewer-password', 'viewer');
    expect(await users.verify('admin', 'viewer-password')).toEqual({ username: 'admin', role: 'viewer', sites: null });
    expect(await users.ensureAdmin('admin', 'viewer-password')).toBe('updated');
    expect((await users.verify('admin', 'viewer-password'))?.role).toBe('admin');
  });

  it('answers null, never throws, for unknown users and bad input', async () => {
    await users.upsert('alice', 'alice-password', 'viewer');
    expect(await users.verify('bob', 'alice-password')).toBeNull();
    expect(await users.verify('alice', 'wrong')).toBeNull();
    expect(await users.verify('', '')).toBeNull();
    expect(await users.verify('a'.repeat(10_000), 'x')).toBeNull();
    expect(await users.verify('alice', 'x'.repeat(100_000))).toBeNull();
    expect(await users.verify(undefined as unknown as string, null as unknown as string)).toBeNull();
    await sql.run("UPDATE users SET password_hash = 'scrypt$1$1$1$AA$AA' WHERE username = 'alice'");
    expect(await users.verify('alice', 'alice-password')).toBeNull();
  });

  it('re-hashes a password stored with weaker parameters on a successful login', async () => {
    const weak = new SqlUserVerifier({ sql, logger: silentLogger, scryptParams: { N: 2 ** 4, r: 8, p: 1 } });
    await weak.upsert('carol', 'carol-password', 'viewer');
    expect(await users.verify('carol', 'carol-password')).toEqual({ username: 'carol', role: 'viewer', sites: null });
    const row = await hashOf('carol');
    expect(row.password_hash.startsWith('scrypt$1024$')).toBe(true);
  });

  it('gives a credential stamp that changes with the password or role, and null once removed', async () => {
    await users.upsert('dave', 'dave-password', 'viewer');
    await users.upsert('erin', 'erin-password', 'admin');
    const first = await users.credentialStamp('dave');
    expect(first).toMatch(/^viewer:[A-Za-z0-9_-]{22}$/);
    expect(await users.credentialStamp('dave')).toBe(first);
    // A successful login with current parameters leaves the stamp alone (no re-hash).
    await users.verify('dave', 'dave-password');
    expect(await users.credentialStamp('dave')).toBe(first);
    // The same password again still gets a new salt: a new stamp.
    await users.changePassword('dave', 'dave-password');
    const second = await users.credentialStamp('dave');
    expect(second).not.toBe(first);
    expect(await users.setRole('dave', 'admin')).toBe(true);
    expect(await users.credentialStamp('dave')).toMatch(/^admin:/);
    expect(await users.remove('dave')).toBe(true);
    expect(await users.credentialStamp('dave')).toBeNull();
    expect(await users.credentialStamp('nobody')).toBeNull();
  });

  it('refuses to remove or demote the last admin; lists without hashes', async () => {
    await users.upsert('erin', 'erin-password', 'admin');
    await users.upsert('fred', 'fred-password', 'viewer');
    await expect(users.remove('erin')).rejects.toThrow(/last admin/);
    await expect(users.setRole('erin', 'viewer')).rejects.toThrow(/last admin/);
    expect(await users.remove('fred')).toBe(true);
    expect(await users.remove('fred')).toBe(false);
    await users.add('gina', 'gina-password', 'admin');
    await expect(users.add('gina', 'other-password', 'viewer')).rejects.toThrow(/already exists/);
    expect(await users.remove('erin')).toBe(true);
    const list = await users.list();
    expect(list.map((u) => [u.username, u.role])).toEqual([['gina', 'admin']]);
    expect(JSON.stringify(list)).not.toContain('scrypt');
  });

  it('two admins removed at once: one goes, the other is refused as the last admin', async () => {
    await users.upsert('erin', 'erin-password', 'admin');
    await users.upsert('gina', 'gina-password', 'admin');
    const outcomes = await Promise.allSettled([users.remove('erin'), users.remove('gina')]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await users.list()).filter((u) => u.role === 'admin')).toHaveLength(1);
  });

  it('limits a user to sites, ends its sessions (new stamp), and lists them', async () => {
    await users.add('sato', 'sato-password', 'viewer', ['hall-b', 'hall-a', 'hall-a']);
    expect(await users.sitesOf('sato')).toEqual(['hall-a', 'hall-b']);
    expect(await users.verify('sato', 'sato-password')).toEqual({ username: 'sato', role: 'viewer', sites: ['hall-a', 'hall-b'] });
    const before = await users.credentialStamp('sato');
    expect(await users.setSites('sato', ['hall-a', 'hall-b'])).toBe(false);
    expect(await users.setSites('sato', ['hall-c'])).toBe(true);
    expect(await users.credentialStamp('sato')).not.toBe(before);
    expect((await users.list()).map((u) => [u.username, u.sites])).toEqual([['sato', ['hall-c']]]);
    expect(await users.setSites('sato', null)).toBe(true);
    expect(await users.sitesOf('sato')).toBeNull();
    await expect(users.setSites('nobody', ['hall-a'])).rejects.toThrow(/no user "nobody"/);
    await expect(users.add('bad', 'bad-password-1', 'viewer', ['Hall A'])).rejects.toThrow(/not a valid site id/);
    expect(await users.has('bad')).toBe(false);
  });
});

