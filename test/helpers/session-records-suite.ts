/**
 * The behaviour every SessionRecords store must have: run against the dashboard's in-memory
 * twin (dashboard/src/test-support) and the hub's SQLite table (broker/src/auth), so the
 * dashboard's unit tests speak for the hub as well.
 */
import { describe, expect, it } from 'vitest';
import type { SessionRecord, SessionRecords } from '@mieruka/protocol';

/** A fresh, empty store; `reopen` (persistent stores) opens the same data again. */
export type SessionRecordsFixture = { records: SessionRecords; reopen?: () => SessionRecords; close(): void | Promise<void> };

const T0 = 1_800_000_000_000;

function record(n: number, patch: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash: `hash-${n}`.padEnd(43, 'x'),
    user: { username: `user-${n}`, role: 'viewer', sites: null },
    kiosk: false,
    stamp: `viewer:${n}`,
    createdAt: T0 + n,
    expiresAt: T0 + 1_000 + n,
    ...patch,
  };
}

export function describeSessionRecords(
  name: string,
  open: () => SessionRecordsFixture | Promise<SessionRecordsFixture>,
  { persistent }: { persistent: boolean },
): void {
  describe(`SessionRecords contract: ${name}`, () => {
    async function withStore(test: (fixture: SessionRecordsFixture) => void | Promise<void>): Promise<void> {
      const fixture = await open();
      try {
        await test(fixture);
      } finally {
        await fixture.close();
      }
    }

    it('gives back what was added, field for field, and null for an unknown hash', () =>
      withStore(({ records }) => {
        const admin = record(1, { user: { username: '管理者', role: 'admin', sites: null }, stamp: null });
        const kiosk = record(2, { kiosk: true, expiresAt: T0 + 30 * 86_400_000 });
        const scoped = record(4, { user: { username: 'hall-a viewer', role: 'viewer', sites: ['hall-a', 'hall-b'] } });
        records.add(admin, 10);
        records.add(kiosk, 10);
        records.add(scoped, 10);
        expect(records.get(admin.idHash)).toEqual(admin);
        expect(records.get(kiosk.idHash)).toEqual(kiosk);
        expect(records.get(scoped.idHash)).toEqual(scoped);
        expect(records.get(record(3).idHash)).toBeNull();
        expect(records.count()).toBe(3);
      }));

    it('deletes one session, once', () =>
      withStore(({ records }) => {
        records.add(record(1), 10);
        records.add(record(2), 10);
        expect(records.delete(record(1).idHash)).toBe(true);
        expect(records.delete(record(1).idHash)).toBe(false);
        expect(records.get(record(1).idHash)).toBeNull();
        expect(records.get(record(2).idHash)).not.toBeNull();
      }));

    it('sweeps exactly the sessions whose expiry is at or before now', () =>
      withStore(({ records }) => {
        for (const n of [1, 2, 3]) records.add(record(n, { expiresAt: T0 + n * 100 }), 10);
        expect(records.deleteExpired(T0 + 200)).toBe(2);
        expect(records.get(record(2).idHash)).toBeNull();
        expect(records.get(record(3).idHash)).not.toBeNull();
        expect(records.deleteExpired(T0 + 200)).toBe(0);
        expect(records.count()).toBe(1);
      }));

    it('evicts the oldest logins first to stay within maxSessions', () =>
      withStore(({ records }) => {
        for (const n of [1, 2, 3]) records.add(record(n), 3);
        records.add(record(4), 3);
        expect(records.count()).toBe(3);
        expect(records.get(record(1).idHash)).toBeNull();
        // A lower bound than before (a changed setting) trims down to it in one go.
        records.add(record(5), 2);
        expect(records.count()).toBe(2);
        expect([4, 5].map((n) => records.get(record(n).idHash)?.user.username)).toEqual(['user-4', 'user-5']);
      }));

    // Only for stores that outlive their process (the in-memory twin does not claim to).
    if (persistent) {
      it('keeps sessions when the store is opened again', () =>
        withStore(({ records, reopen }) => {
          records.add(record(1, { kiosk: true }), 10);
          expect(reopen?.().get(record(1).idHash)).toEqual(record(1, { kiosk: true }));
        }));
    }
  });
}
