import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.js';
import { makeTempDir, silentLogger } from '../test-support/helpers.js';
import { SqliteUserVerifier } from './sqlite-user-verifier.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('SqliteUserVerifier', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let store: Store;
  let users: SqliteUserVerifier;

  beforeEach(async () => {
    dir = await makeTempDir();
    store = new Store({ dataDir: dir.path, batchSize: 10, flushIntervalMs: 50, logger: silentLogger });
    await store.start();
    users = new SqliteUserVerifier({ db: store.database, logger: silentLogger, scryptParams: FAST });
  });

  afterEach(async () => {
    await store.stop();
    await dir.remove();
  });

  it('creates the admin, leaves it alone when unchanged and updates a changed password', async () => {
    expect(await users.ensureAdmin('admin', 'first-password')).toBe('created');
    expect(await users.ensureAdmin('admin', 'first-password')).toBe('unchanged');
    expect(await users.verify('admin', 'first-password')).toEqual({ username: 'admin', role: 'admin', sites: null });
    expect(await users.ensureAdmin('admin', 'second-password')).toBe('updated');
    expect(await users.verify('admin', 'first-password')).toBeNull();
    expect(await users.verify('admin', 'second-password')).toEqual({ username: 'admin', role: 'admin', sites: null });
    const row = store.database.prepare('SELECT password_hash FROM users WHERE username = ?').get('admin') as { password_hash: string };
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
    store.database.prepare("UPDATE users SET password_hash = 'scrypt$1$1$1$AA$AA' WHERE username = 'alice'").run();
    expect(await users.verify('alice', 'alice-password')).toBeNull();
  });

  it('re-hashes a password stored with weaker parameters on a successful login', async () => {
    const weak = new SqliteUserVerifier({ db: store.database, logger: silentLogger, scryptParams: { N: 2 ** 4, r: 8, p: 1 } });
    await weak.upsert('carol', 'carol-password', 'viewer');
    expect(await users.verify('carol', 'carol-password')).toEqual({ username: 'carol', role: 'viewer', sites: null });
    const row = store.database.prepare("SELECT password_hash FROM users WHERE username = 'carol'").get() as { password_hash: string };
    expect(row.password_hash.startsWith('scrypt$1024$')).toBe(true);
  });

  it('gives a credential stamp that changes with the password or role, and null once removed', async () => {
    await users.upsert('dave', 'dave-password', 'viewer');
    await users.upsert('erin', 'erin-password', 'admin');
    const first = users.credentialStamp('dave');
    expect(first).toMatch(/^viewer:[A-Za-z0-9_-]{22}$/);
    expect(users.credentialStamp('dave')).toBe(first);
    // A successful login with current parameters leaves the stamp alone (no re-hash).
    await users.verify('dave', 'dave-password');
    expect(users.credentialStamp('dave')).toBe(first);
    // The same password again still gets a new salt: a new stamp.
    await users.changePassword('dave', 'dave-password');
    const second = users.credentialStamp('dave');
    expect(second).not.toBe(first);
    expect(users.setRole('dave', 'admin')).toBe(true);
    expect(users.credentialStamp('dave')).toMatch(/^admin:/);
    expect(users.remove('dave')).toBe(true);
    expect(users.credentialStamp('dave')).toBeNull();
    expect(users.credentialStamp('nobody')).toBeNull();
  });

  it('refuses to remove or demote the last admin; lists without hashes', async () => {
    await users.upsert('erin', 'erin-password', 'admin');
    await users.upsert('fred', 'fred-password', 'viewer');
    expect(() => users.remove('erin')).toThrow(/last admin/);
    expect(() => users.setRole('erin', 'viewer')).toThrow(/last admin/);
    expect(users.remove('fred')).toBe(true);
    expect(users.remove('fred')).toBe(false);
    await users.add('gina', 'gina-password', 'admin');
    await expect(users.add('gina', 'other-password', 'viewer')).rejects.toThrow(/already exists/);
    expect(users.remove('erin')).toBe(true);
    const list = users.list();
    expect(list.map((u) => [u.username, u.role])).toEqual([['gina', 'admin']]);
    expect(JSON.stringify(list)).not.toContain('scrypt');
  });
});

