import { describe, expect, it } from 'vitest';
import { SessionStore, sessionIdHash } from './session-store.js';
import { MemorySessionRecords } from './test-support/memory-session-records.js';

const user = { username: 'ops', role: 'viewer' as const, sites: null };

describe('SessionStore', () => {
  it('creates unguessable 32-byte ids and finds live sessions', () => {
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 1000 });
    const a = store.create(user);
    const b = store.create(user);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.id, 'base64url')).toHaveLength(32);
    expect(a.id).not.toBe(b.id);
    expect(store.get(a.id)?.user).toEqual(user);
  });

  it('expires sessions at a fixed time after login', () => {
    let now = 1_000_000;
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 500, now: () => now });
    const s = store.create(user);
    expect(s.expiresAt).toBe(1_000_500);
    now += 499;
    expect(store.get(s.id)).not.toBeNull();
    now += 1;
    expect(store.get(s.id)).toBeNull();
    expect(store.size).toBe(0);
  });

  it('sweeps expired sessions when creating and evicts the oldest when full', () => {
    let now = 0;
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 100, maxSessions: 2, now: () => now });
    const old = store.create(user);
    now = 200;
    store.create(user);
    expect(store.size).toBe(1);
    expect(store.get(old.id)).toBeNull();
    const second = store.create(user);
    const third = store.create(user);
    expect(store.size).toBe(2);
    expect(store.get(second.id)).not.toBeNull();
    expect(store.get(third.id)).not.toBeNull();
  });

  it('ignores malformed ids and deletes on logout', () => {
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 1000 });
    const s = store.create(user);
    for (const bad of [undefined, null, '', 'short', `${s.id}x`, '../../etc/passwd']) expect(store.get(bad)).toBeNull();
    expect(store.delete(s.id)).toBe(true);
    expect(store.get(s.id)).toBeNull();
    expect(() => new SessionStore({ records: new MemorySessionRecords(), ttlMs: 0 })).toThrow(RangeError);
  });

  it('gives each session its own CSRF token; kiosk sessions may live longer', () => {
    const now = 1_000;
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 500, now: () => now });
    const a = store.create(user);
    const b = store.create(user, { kiosk: true, ttlMs: 5_000 });
    expect(a.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(a.csrfToken).not.toBe(a.id);
    expect(store.get(a.id)?.csrfToken).toBe(a.csrfToken);
    expect([a.kiosk, b.kiosk]).toEqual([false, true]);
    expect([a.expiresAt, b.expiresAt]).toEqual([1_500, 6_000]);
    expect(() => store.create(user, { ttlMs: 0 })).toThrow(RangeError);
  });

  it('ends a session as soon as isCurrent says its user changed', () => {
    const stamps = new Map([['ops', 'viewer:1']]);
    const store = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 1000, isCurrent: (s) => s.stamp === undefined || stamps.get(s.user.username) === s.stamp });
    const s = store.create(user, { stamp: 'viewer:1' });
    const unstamped = store.create(user);
    expect(store.get(s.id)).not.toBeNull();
    stamps.set('ops', 'viewer:2');
    expect(store.get(s.id)).toBeNull();
    expect(store.size).toBe(1);
    // Put back, the old session stays gone.
    stamps.set('ops', 'viewer:1');
    expect(store.get(s.id)).toBeNull();
    expect(store.get(unstamped.id)).not.toBeNull();
  });

  it('hands the store only the SHA-256 of the id, and finds the session again from a new store over the same records', () => {
    const records = new MemorySessionRecords();
    const first = new SessionStore({ records, ttlMs: 1000 });
    const s = first.create(user, { stamp: 'viewer:1' });
    expect(records.get(s.id)).toBeNull();
    expect(records.get(sessionIdHash(s.id))?.user).toEqual(user);
    expect(sessionIdHash(s.id)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // What a restarted hub does: a new store over the same records; the CSRF token is the same.
    const second = new SessionStore({ records, ttlMs: 1000 });
    expect(second.get(s.id)).toEqual(s);
    expect(second.delete(s.id)).toBe(true);
    expect(first.get(s.id)).toBeNull();
  });

  it('finds no session, and says why, when the store cannot answer', () => {
    const records = new MemorySessionRecords();
    const errors: unknown[] = [];
    const store = new SessionStore({ records, ttlMs: 1000, onError: (err) => errors.push(err) });
    const s = store.create(user);
    // A store in trouble (the hub's database locked or gone) for the next lookups.
    records.get = () => {
      throw new Error('database is locked');
    };
    expect(store.get(s.id)).toBeNull();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('database is locked');
  });
});
