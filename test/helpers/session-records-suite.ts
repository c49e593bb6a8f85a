/**
 * The behaviour every SessionRecords store must have: run against the dashboard's in-memory
 * twin (dashboard/src/test-support) and the hub's table on SQLite and PostgreSQL (broker/src/auth), so the
 * dashboard's unit tests speak for the hub as well.
 */
import { describe, expect, it } from 'vitest';
import type { SessionRecord, SessionRecords } from '@mieruka/protocol';

/** A fresh, empty store; `reopen` (persistent stores) opens the same data again. */
export type SessionRecordsFixture = { records: SessionRecords; reopen?: () => SessionRecords | Promise<SessionRecords>; close(): void | Promise<void> };

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
      withStore(async ({ records }) => {
        const admin = record(1, { user: { username: '管理者', role: 'admin', sites: null }, stamp: null });
        const kiosk = record(2, { kiosk: true, expiresAt: T0 + 30 * 86_400_000 });
        const scoped = record(4, { user: { username: 'hall-a viewer', role: 'viewer', sites: ['hall-a', 'hall-b'] } });
        await records.add(admin, 10);
        await records.add(kiosk, 10);
        await records.add(scoped, 10);
        expect(await records.get(admin.idHash)).toEqual(admin);
        expect(await records.get(kiosk.idHash)).toEqual(kiosk);
        expect(await records.get(scoped.idHash)).toEqual(scoped);
        expect(await records.get(record(3).idHash)).toBeNull();
        expect(await records.count()).toBe(3);
      }));

    it('deletes one session, once', () =>
      withStore(async ({ records }) => {
        await records.add(record(1), 10);
        await records.add(record(2), 10);
        expect(await records.delete(record(1).idHash)).toBe(true);
        expect(await records.delete(record(1).idHash)).toBe(false);
        expect(await records.get(record(1).idHash)).toBeNull();
        expect(await records.get(record(2).idHash)).not.toBeNull();
      }));

    it('sweeps exactly the sessions whose expiry is at or before now', () =>
      withStore(async ({ records }) => {
        for (const n of [1, 2, 3]) await records.add(record(n, { expiresAt: T0 + n * 100 }), 10);
        expect(await records.deleteExpired(T0 + 200)).toBe(2);
        expect(await records.get(record(2).idHash)).toBeNull();
        expect(await records.get(record(3).idHash)).not.toBeNull();
        expect(await records.deleteExpired(T0 + 200)).toBe(0);
        expect(await records.count()).toBe(1);
      }));

    it('evicts the oldest logins first to stay within maxSessions', () =>
      withStore(async ({ records }) => {
        for (const n of [1, 2, 3]) await records.add(record(n), 3);
        await records.add(record(4), 3);
        expect(await records.count()).toBe(3);
        expect(await records.get(record(1).idHash)).toBeNull();
        // A lower bound than before (a changed setting) trims down to it in one go.
        await records.add(record(5), 2);
        expect(await records.count()).toBe(2);
        expect(await Promise.all([4, 5].map(async (n) => (await records.get(record(n).idHash))?.user.username))).toEqual(['user-4', 'user-5']);
      }));

    // Only for stores that outlive their process (the in-memory twin does not claim to).
    if (persistent) {
      it('keeps sessions when the store is opened again', () =>
        withStore(async ({ records, reopen }) => {
          await records.add(record(1, { kiosk: true }), 10);
          expect(await (await reopen?.())?.get(record(1).idHash)).toEqual(record(1, { kiosk: true }));
        }));
    }
  });
}
