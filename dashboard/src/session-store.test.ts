import { describe, expect, it } from 'vitest';
import { SessionStore, sessionIdHash } from './session-store.js';
import { MemorySessionRecords } from './test-support/memory-session-records.js';

const user = { username: 'ops', role: 'viewer' as const, sites: null };

describe('SessionStore', async () => {
  it('creates unguessable 32-byte ids and finds live sessions', async () => {
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 1000 });
    const a = await store.create(user);
    const b = await store.create(user);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.id, 'base64url')).toHaveLength(32);
    expect(a.id).not.toBe(b.id);
    expect((await store.get(a.id))?.user).toEqual(user);
  });

  it('expires sessions at a fixed time after login', async () => {
    let now = 1_000_000;
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 500, now: () => now });
    const s = await store.create(user);
    expect(s.expiresAt).toBe(1_000_500);
    now += 499;
    expect(await store.get(s.id)).not.toBeNull();
    now += 1;
    expect(await store.get(s.id)).toBeNull();
    expect((await store.size())).toBe(0);
  });

  it('sweeps expired sessions when creating and evicts the oldest when full', async () => {
    let now = 0;
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 100, maxSessions: 2, now: () => now });
    const old = await store.create(user);
    now = 200;
    await store.create(user);
    expect((await store.size())).toBe(1);
    expect(await store.get(old.id)).toBeNull();
    const second = await store.create(user);
    const third = await store.create(user);
    expect((await store.size())).toBe(2);
    expect(await store.get(second.id)).not.toBeNull();
    expect(await store.get(third.id)).not.toBeNull();
  });

  it('ignores malformed ids and deletes on logout', async () => {
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 1000 });
    const s = await store.create(user);
    for (const bad of [undefined, null, '', 'short', `${s.id}x`, '../../etc/passwd']) expect(await store.get(bad)).toBeNull();
    expect(await store.delete(s.id)).toBe(true);
    expect(await store.get(s.id)).toBeNull();
    expect(() => new SessionStore({ records: new MemorySessionRecords(), ttlMs: 0 })).toThrow(RangeError);
  });

  it('gives each session its own CSRF token; kiosk sessions may live longer', async () => {
    const now = 1_000;
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 500, now: () => now });
    const a = await store.create(user);
    const b = await store.create(user, { kiosk: true, ttlMs: 5_000 });
    expect(a.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(a.csrfToken).not.toBe(a.id);
    expect((await store.get(a.id))?.csrfToken).toBe(a.csrfToken);
    expect([a.kiosk, b.kiosk]).toEqual([false, true]);
    expect([a.expiresAt, b.expiresAt]).toEqual([1_500, 6_000]);
    await expect(store.create(user, { ttlMs: 0 })).rejects.toThrow(RangeError);
  });

  it('ends a session as soon as isCurrent says its user changed', async () => {
    const stamps = new Map([['ops', 'viewer:1']]);
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 1000, isCurrent: (s) => s.stamp === undefined || stamps.get(s.user.username) === s.stamp });
    const s = await store.create(user, { stamp: 'viewer:1' });
    const unstamped = await store.create(user);
    expect(await store.get(s.id)).not.toBeNull();
    stamps.set('ops', 'viewer:2');
    expect(await store.get(s.id)).toBeNull();
    expect((await store.size())).toBe(1);
    // Put back, the old session stays gone.
    stamps.set('ops', 'viewer:1');
    expect(await store.get(s.id)).toBeNull();
    expect(await store.get(unstamped.id)).not.toBeNull();
  });

  it('hands the store only the SHA-256 of the id, and finds the session again from a new store over the same records', async () => {
    const records = new MemorySessionRecords();
    const first = new SessionStore({ records, ttlMs: 1000 });
    const s = await first.create(user, { stamp: 'viewer:1' });
    expect(await records.get(s.id)).toBeNull();
    expect((await records.get(sessionIdHash(s.id)))?.user).toEqual(user);
    expect(sessionIdHash(s.id)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // What a restarted hub does: a new store over the same records; the CSRF token is the same.
    const second = new SessionStore({ records, ttlMs: 1000 });
    expect(await second.get(s.id)).toEqual(s);
    expect(await second.delete(s.id)).toBe(true);
    expect(await first.get(s.id)).toBeNull();
  });

  it('remembers which sessions it ended (logout, expiry, a changed user) for synchronous callers', async () => {
    let now = 0;
    const stamps = new Map([['ops', 'viewer:1']]);
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 100, now: () => now, isCurrent: (s) => stamps.get(s.user.username) === s.stamp });
    const [out, old, changed, live] = [await store.create(user, { stamp: 'viewer:1' }), await store.create(user, { stamp: 'viewer:1', ttlMs: 50 }), await store.create(user, { stamp: 'viewer:1' }), await store.create(user, { stamp: 'viewer:1' })];
    expect(await store.delete(out.id)).toBe(true);
    now = 60;
    expect(await store.get(old.id)).toBeNull();
    stamps.set('ops', 'viewer:2');
    expect(await store.get(changed.id)).toBeNull();
    expect([out, old, changed, live].map((s) => store.hasEnded(s.id))).toEqual([true, true, true, false]);
  });

  it('finds no session, and says why, when the store cannot answer', async () => {
    const records = new MemorySessionRecords();
    const errors: unknown[] = [];
    const store = new SessionStore({ records, ttlMs: 1000, onError: (err) => errors.push(err) });
    const s = await store.create(user);
    // A store in trouble (the hub's database locked or gone) for the next lookups.
    records.get = async () => {
      throw new Error('database is locked');
    };
    expect(await store.get(s.id)).toBeNull();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('database is locked');
  });
});
