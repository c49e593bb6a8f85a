/**
 * Group commit on a real SQLite outbox file: what is appended in one turn is written in one
 * transaction, each promise settles only once its row is readable by another connection
 * (on disk), order and bounds hold as for single appends, and a failed write rejects the
 * whole group without losing the next one.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { GroupAppend } from './group-append.js';
import { Outbox } from './outbox.js';

const logger = pino({ level: 'silent' });

describe('GroupAppend', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(maxMessages?: number) {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const file = join(dir.path, 'outbox.db');
    const outbox = new Outbox({ file, logger, maxMessages });
    outbox.open();
    cleanups.push(() => outbox.close());
    const groups: Array<{ count: number; dropped: number }> = [];
    const failed: number[] = [];
    const appender = new GroupAppend({ outbox, onWritten: (count, dropped) => groups.push({ count, dropped }), onFailed: (count) => failed.push(count) });
    const onDisk = () => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT payload FROM outbox ORDER BY id').all() as Array<{ payload: Buffer }>).map((r) => r.payload.toString());
      } finally {
        db.close();
      }
    };
    return { outbox, appender, groups, failed, onDisk };
  }

  it('writes what one turn appends as one group, in order, and resolves once it is on disk', async () => {
    const { appender, groups, onDisk } = await setup();
    const seenAtResolve: string[][] = [];
    const first = Array.from({ length: 5 }, (_, i) => appender.append('mieruka/v1/f/m/current', Buffer.from(`a${i}`), false).then(() => seenAtResolve.push(onDisk())));
    expect(onDisk()).toEqual([]); // nothing before the end of the turn
    expect(appender.waiting).toBe(5);
    await Promise.all(first);
    expect(groups).toEqual([{ count: 5, dropped: 0 }]);
    for (const rows of seenAtResolve) expect(rows).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);

    await appender.append('t', Buffer.from('b0'), false);
    await appender.append('t', Buffer.from('b1'), false);
    expect(groups.map((g) => g.count)).toEqual([5, 1, 1]);
    expect(onDisk()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1']);
  });

  it('keeps the bounds within a group and reports what it dropped', async () => {
    const { appender, groups, onDisk } = await setup(3);
    await Promise.all([0, 1, 2, 3, 4].map((i) => appender.append('t', Buffer.from(`m${i}`), false)));
    expect(groups).toEqual([{ count: 5, dropped: 2 }]);
    expect(onDisk()).toEqual(['m2', 'm3', 'm4']);
  });

  it('flush() writes at once, e.g. before the outbox closes', async () => {
    const { appender, groups, onDisk } = await setup();
    const p = appender.append('t', Buffer.from('now'), false);
    appender.flush();
    expect(onDisk()).toEqual(['now']);
    await p;
    expect(groups).toEqual([{ count: 1, dropped: 0 }]);
  });

  it('rejects the whole group when the write fails, and writes the next group', async () => {
    const { outbox, appender, failed, onDisk } = await setup();
    const lost = [appender.append('t', Buffer.from('x'), false), appender.append('t', Buffer.from('y'), false)];
    outbox.close();
    const results = await Promise.allSettled(lost);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.message).toMatch(/outbox is not open/);
    expect(failed).toEqual([2]);
    outbox.open();
    await appender.append('t', Buffer.from('z'), false);
    expect(onDisk()).toEqual(['z']);
  });
});

describe('GroupAppend durability', () => {
  it('resolves each message only after a sync to disk that started after its commit, one sync shared by many groups', async () => {
    const dir = await makeTempDir();
    const outbox = new Outbox({ file: join(dir.path, 'outbox.db'), logger });
    outbox.open();
    try {
      const committedAt: number[] = [];
      const appender = new GroupAppend({ outbox, onWritten: () => committedAt.push(outbox.diskSyncs), onFailed: () => undefined });
      const settled: Array<Promise<{ group: number; syncsAtResolve: number }>> = [];
      // Twenty groups in twenty turns, none awaited: the syncs of later groups overlap earlier ones.
      for (let g = 0; g < 20; g++) {
        for (let i = 0; i < 3; i++) settled.push(appender.append('t', Buffer.from(`${g}-${i}`), false).then(() => ({ group: g, syncsAtResolve: outbox.diskSyncs })));
        await new Promise((r) => setImmediate(r));
      }
      const results = await Promise.all(settled);
      expect(committedAt).toHaveLength(20);
      for (const r of results) expect(r.syncsAtResolve).toBeGreaterThan(committedAt[r.group]!);
      expect(outbox.diskSyncs).toBeGreaterThanOrEqual(1);
      expect(outbox.diskSyncs).toBeLessThanOrEqual(20);
    } finally {
      outbox.close();
      await dir.remove();
    }
  });

  it('settles what waits for a sync when the outbox closes, and the rows are in the file', async () => {
    const dir = await makeTempDir();
    const file = join(dir.path, 'outbox.db');
    const outbox = new Outbox({ file, logger });
    outbox.open();
    try {
      const appender = new GroupAppend({ outbox, onWritten: () => undefined, onFailed: () => undefined });
      const pending = [appender.append('t', Buffer.from('a'), false), appender.append('t', Buffer.from('b'), false)];
      appender.flush();
      outbox.close();
      await Promise.all(pending);
      const db = new Database(file, { readonly: true });
      try {
        expect((db.prepare('SELECT payload FROM outbox ORDER BY id').all() as Array<{ payload: Buffer }>).map((r) => r.payload.toString())).toEqual(['a', 'b']);
      } finally {
        db.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
