/**
 * The duplicate guard over a real SQLite store: keys above a node's highest are new without a
 * lookup; older ones are checked against memory and the table, so a replay after a restart,
 * a gap filled late and a node whose seq restarted are all judged right.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecodedMessage } from '@mieruka/protocol';
import { openDatabase } from '../store/database.js';
import { RowWriter } from '../store/rows.js';
import { makeTempDir } from '../test-support/helpers.js';
import { DuplicateGuard } from './duplicate-guard.js';

const reading = (node: string, seq: number): DecodedMessage => ({ site: 'factory', node, kind: 'current', payload: { ts: 1_000 + seq, seq, irms: [1] } });
const motion = (ts: number, active: boolean): DecodedMessage => ({ site: 'factory', node: 'bench-1', kind: 'motion', payload: { ts, active } });

describe('DuplicateGuard', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('takes keys above the stored and seen ones, and refuses what the table or this run already has', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const db = openDatabase(join(dir.path, 'm.db'));
    cleanups.push(() => db.close());
    // An earlier run stored seq 1…10 of mill-1 (10 is the highest) and motion at ts 50 (active).
    new RowWriter(db).write([
      ...Array.from({ length: 10 }, (_, i) => ({ kind: 'reading' as const, site: 'factory', node: 'mill-1', receivedAt: 0, ts: 1_001 + i, seq: i + 1, irms: [1] })),
      { kind: 'motion', site: 'factory', node: 'bench-1', receivedAt: 0, ts: 50, active: true },
    ]);
    const guard = new DuplicateGuard({ database: () => db });

    expect(guard.seen(reading('mill-1', 5))).toBe(true); // stored, below the highest
    expect(guard.seen(reading('mill-1', 10))).toBe(true); // the highest itself
    expect(guard.seen(reading('mill-1', 11))).toBe(false);
    expect(guard.seen(reading('mill-1', 11))).toBe(true); // seen in this run, not yet stored
    expect(guard.seen(reading('mill-1', 20))).toBe(false);
    // A gap filled late (store-and-forward) is new once, then a duplicate.
    expect(guard.seen(reading('mill-1', 15))).toBe(false);
    expect(guard.seen(reading('mill-1', 15))).toBe(true);
    // A node without rows; a reflashed node whose seq starts again at 0 is new.
    expect(guard.seen(reading('mill-2', 0))).toBe(false);
    expect(guard.seen(reading('mill-2', 0))).toBe(true);
    // Motion is keyed by (ts, active): the same ts with the other value is new.
    expect(guard.seen(motion(50, true))).toBe(true);
    expect(guard.seen(motion(50, false))).toBe(false);
    expect(guard.seen(motion(50, false))).toBe(true);
    // Kinds without a key are never duplicates.
    const status: DecodedMessage = { site: 'factory', node: 'mill-1', kind: 'status', payload: { online: true, ts: 1, agent: 'bridge', version: '1' } };
    expect(guard.seen(status)).toBe(false);
    expect(guard.seen(status)).toBe(false);
  });
});
