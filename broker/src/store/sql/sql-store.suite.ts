/**
 * The contract of SqlStore, run against SQLite (sqlite-sql-store.test.ts) and a real
 * PostgreSQL 15 (postgres-sql-store.test.ts), each on the hub's real schema: what one backend
 * does, the other must do the same, or a module written once would behave differently in a
 * fleet. Values round-trip with their types, placeholders, upserts, aggregates, constraint
 * errors, and transactions that commit whole or not at all.
 */
import { describe, expect, it } from 'vitest';
import { sqlErrorKind, type SqlStore } from './sql-store.js';

export type SqlStoreFixture = { store: SqlStore; cleanup(): Promise<void> };

export function describeSqlStore(name: string, open: () => Promise<SqlStoreFixture>): void {
  describe(`SqlStore contract: ${name}`, () => {
    const withStore = (fn: (store: SqlStore) => Promise<void>) => async () => {
      const f = await open();
      try {
        await fn(f.store);
      } finally {
        await f.cleanup();
      }
    };

    it('round-trips epoch milliseconds, fractions, Japanese text with quotes, NULL, booleans and bigints, by name', withStore(async (store) => {
      const ts = Date.now() + 0; // beyond 2^31: must stay a number
      await store.run('INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES (?, ?, ?, ?, ?, ?)', ['工場', "mill-'1'", ts, 3, '[1.25,"?"]', ts + 1]);
      const row = await store.get<{ site: string; node: string; ts: number; seq: number; irms: string; receivedAt: number }>(
        'SELECT site, node, ts, seq, irms, received_at AS "receivedAt" FROM readings WHERE site = ? AND node = ?',
        ['工場', "mill-'1'"],
      );
      expect(row).toEqual({ site: '工場', node: "mill-'1'", ts, seq: 3, irms: '[1.25,"?"]', receivedAt: ts + 1 });
      await store.run('INSERT INTO clutter (site, node, ts, seq, score, covered_ratio, slot, image_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', ['f', 'b', ts, 1, 12.5, 0.125, '08:00', null, ts]);
      expect(await store.get('SELECT score, covered_ratio AS "coveredRatio", image_id AS "imageId" FROM clutter WHERE seq = ?', [1])).toEqual({ score: 12.5, coveredRatio: 0.125, imageId: null });
      expect(await store.get('SELECT 1 AS one WHERE ? = 1', [true])).toEqual({ one: 1 });
      expect(await store.get('SELECT count(*) AS n FROM readings WHERE ts = ?', [BigInt(ts)])).toEqual({ n: 1 });
      expect(await store.get("SELECT '?' AS q, ? AS v -- ? is text here", ['x'])).toEqual({ q: '?', v: 'x' });
      expect(await store.get('SELECT site FROM readings WHERE site = ?', ['none'])).toBeUndefined();
    }));

    it('counts changed rows, upserts with ON CONFLICT, and sums to numbers', withStore(async (store) => {
      const upsert = 'INSERT INTO ingest_errors (site, node, reason, count, last_at, last_message) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (site, node, reason) DO UPDATE SET count = ingest_errors.count + 1, last_at = excluded.last_at, last_message = excluded.last_message';
      for (let i = 0; i < 3; i++) expect(await store.run(upsert, ['f', 'm', 'schema', 1000 + i, `bad ${i}`])).toEqual({ changes: 1 });
      await store.run(upsert, ['f', 'm2', 'schema', 5000, 'other']);
      expect(await store.all('SELECT node, count, last_at AS "lastAt", last_message AS "lastMessage" FROM ingest_errors ORDER BY node')).toEqual([
        { node: 'm', count: 3, lastAt: 1002, lastMessage: 'bad 2' },
        { node: 'm2', count: 1, lastAt: 5000, lastMessage: 'other' },
      ]);
      expect(await store.get('SELECT sum(count) AS total, count(*) AS n, max(last_at) AS latest FROM ingest_errors')).toEqual({ total: 4, n: 2, latest: 5000 });
      expect(await store.run('DELETE FROM ingest_errors WHERE site = ?', ['f'])).toEqual({ changes: 2 });
      expect(await store.run('DELETE FROM ingest_errors WHERE site = ?', ['f'])).toEqual({ changes: 0 });
    }));

    it('names the constraint a statement broke the same way on both databases', withStore(async (store) => {
      const insert = 'INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, 1, 1)';
      await store.run(insert, ['ana', 'h', 'viewer']);
      const kind = (p: Promise<unknown>) => p.then(() => 'none', (err: unknown) => sqlErrorKind(err));
      expect(await kind(store.run(insert, ['ana', 'h', 'viewer']))).toBe('unique');
      expect(await kind(store.run(insert, ['bo', 'h', 'boss']))).toBe('check');
      expect(await kind(store.run(insert, ['cy', null, 'viewer']))).toBe('not-null');
      expect(await kind(store.run('INSERT INTO alarm_events (alarm_id, ts, kind) VALUES (?, 1, ?)', ['no-such-alarm', 'raised']))).toBe('foreign-key');
    }));

    it('commits a transaction whole, rolls a failed one back whole, and never shows half of one', withStore(async (store) => {
      const count = async () => (await store.get<{ n: number }>('SELECT count(*) AS n FROM readings'))!.n;
      const insert = 'INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES (?, ?, ?, ?, ?, ?)';
      const seen: number[] = [];
      const committed = store.transaction(async (tx) => {
        for (let seq = 0; seq < 5; seq++) {
          await tx.run(insert, ['f', 'm', seq, seq, '[1]', seq]);
          // Another caller reads meanwhile: all of the transaction or none of it.
          if (seq === 2) seen.push(await Promise.race([count(), new Promise<number>((r) => setTimeout(() => r(-1), 50))]));
        }
        return (await tx.get<{ n: number }>('SELECT count(*) AS n FROM readings'))!.n;
      });
      expect(await committed).toBe(5);
      expect(await count()).toBe(5);
      expect(seen.every((n) => n === -1 || n === 0 || n === 5)).toBe(true);

      const failed = store.transaction(async (tx) => {
        await tx.run(insert, ['f', 'm', 10, 10, '[1]', 10]);
        await tx.run(insert, ['f', 'm', 11, 10, '[1]', 11]); // seq 10 again: unique (site, node, seq)
      });
      await expect(failed).rejects.toSatisfy((err: unknown) => sqlErrorKind(err) === 'unique');
      expect(await count()).toBe(5);
      await expect(store.transaction(async () => Promise.reject(new Error('changed my mind')))).rejects.toThrow('changed my mind');
      expect(await store.run(insert, ['f', 'm', 12, 12, '[1]', 12])).toEqual({ changes: 1 });
      expect(await count()).toBe(6);
    }));

    it('runs transactions started at once, each whole, and a statement asked meanwhile', withStore(async (store) => {
      const insert = 'INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES (?, ?, ?, ?, ?, ?)';
      const two = (seq: number) => store.transaction(async (tx) => {
        await tx.run(insert, ['f', 'm', seq, seq, '[1]', seq]);
        await tx.run(insert, ['f', 'm', seq + 1, seq + 1, '[1]', seq + 1]);
        return seq;
      });
      expect(await Promise.all([two(0), two(10), store.run(insert, ['f', 'o', 1, 1, '[1]', 1]), two(20)])).toEqual([0, 10, { changes: 1 }, 20]);
      expect((await store.all<{ seq: number }>("SELECT seq FROM readings WHERE node = 'm' ORDER BY seq")).map((r) => r.seq)).toEqual([0, 1, 10, 11, 20, 21]);
    }));

    it('offers synchronous twins inside a transaction only in-process (SQLite), and they commit or roll back with it', withStore(async (store) => {
      const insert = 'INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES (?, ?, ?, ?, ?, ?)';
      expect(store.immediate).toBeUndefined(); // outside a transaction it could land inside someone else's
      const inProcess = await store.transaction(async (tx) => {
        const now = tx.immediate;
        if (!now) return false;
        expect(now.run(insert, ['f', 'm', 1, 1, '[1]', 1])).toEqual({ changes: 1 });
        expect(now.get('SELECT seq FROM readings WHERE node = ?', ['m'])).toEqual({ seq: 1 });
        expect(now.all('SELECT seq FROM readings WHERE node = ?', ['m'])).toEqual([{ seq: 1 }]);
        return true;
      });
      expect(inProcess).toBe(store.dialect === 'sqlite');
      await expect(store.transaction(async (tx) => {
        (tx.immediate ?? { run: () => undefined }).run(insert, ['f', 'm', 2, 2, '[1]', 2]);
        await tx.run(insert, ['f', 'm', 3, 3, '[1]', 3]);
        throw new Error('changed my mind');
      })).rejects.toThrow('changed my mind');
      expect((await store.all<{ seq: number }>("SELECT seq FROM readings WHERE node = 'm' ORDER BY seq")).map((r) => r.seq)).toEqual(inProcess ? [1] : []);
    }));
  });
}
