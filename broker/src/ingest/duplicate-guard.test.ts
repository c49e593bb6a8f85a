/**
 * The duplicate guard over both real stores (SQLite, PostgreSQL 15): keys above a node's highest are new without a
 * lookup; older ones are checked against memory and the table, so a replay after a restart,
 * a gap filled late and a node whose seq restarted are all judged right.
 */
import { describe, expect, it } from 'vitest';
import type { DecodedMessage } from '@mieruka/protocol';
import { sqlBackends } from '../test-support/sql-backends.js';
import { RowWriter } from '../store/rows.js';
import { DuplicateGuard } from './duplicate-guard.js';

const reading = (node: string, seq: number): DecodedMessage => ({ site: 'factory', node, kind: 'current', payload: { ts: 1_000 + seq, seq, irms: [1] } });
const motion = (ts: number, active: boolean): DecodedMessage => ({ site: 'factory', node: 'bench-1', kind: 'motion', payload: { ts, active } });

const backends = sqlBackends();

describe.each(backends.each)('DuplicateGuard on %s', (_name, open) => {
  it('takes keys above the stored and seen ones, and refuses what the table or this run already has', async () => {
    const { sql } = await open();
    // An earlier run stored seq 1…10 of mill-1 (10 is the highest) and motion at ts 50 (active).
    await new RowWriter(sql).write([
      ...Array.from({ length: 10 }, (_, i) => ({ kind: 'reading' as const, site: 'factory', node: 'mill-1', receivedAt: 0, ts: 1_001 + i, seq: i + 1, irms: [1] })),
      { kind: 'motion', site: 'factory', node: 'bench-1', receivedAt: 0, ts: 50, active: true },
    ]);
    const guard = new DuplicateGuard({ sql: () => sql });

    expect(await guard.seen(reading('mill-1', 5))).toBe(true); // stored, below the highest
    expect(await guard.seen(reading('mill-1', 10))).toBe(true); // the highest itself
    expect(await guard.seen(reading('mill-1', 11))).toBe(false);
    expect(await guard.seen(reading('mill-1', 11))).toBe(true); // seen in this run, not yet stored
    expect(await guard.seen(reading('mill-1', 20))).toBe(false);
    // A gap filled late (store-and-forward) is new once, then a duplicate.
    expect(await guard.seen(reading('mill-1', 15))).toBe(false);
    expect(await guard.seen(reading('mill-1', 15))).toBe(true);
    // A node without rows; a reflashed node whose seq starts again at 0 is new.
    expect(await guard.seen(reading('mill-2', 0))).toBe(false);
    expect(await guard.seen(reading('mill-2', 0))).toBe(true);
    // Motion is keyed by (ts, active): the same ts with the other value is new.
    expect(await guard.seen(motion(50, true))).toBe(true);
    expect(await guard.seen(motion(50, false))).toBe(false);
    expect(await guard.seen(motion(50, false))).toBe(true);
    // Kinds without a key are never duplicates.
    const status: DecodedMessage = { site: 'factory', node: 'mill-1', kind: 'status', payload: { online: true, ts: 1, agent: 'bridge', version: '1' } };
    expect(await guard.seen(status)).toBe(false);
    expect(await guard.seen(status)).toBe(false);
  });

  it('answers at once from memory for a live stream, and asks the database only for a node it has not met and for older keys', async () => {
    const { sql } = await open();
    const guard = new DuplicateGuard({ sql: () => sql });
    const first = guard.seen(reading('mill-3', 1));
    expect(first).toBeInstanceOf(Promise); // the node's highest stored key is not known yet
    expect(await first).toBe(false);
    expect(guard.seen(reading('mill-3', 2))).toBe(false); // above the highest: no lookup
    expect(guard.seen(reading('mill-3', 2))).toBe(true); // in memory
    const older = guard.seen(reading('mill-3', 0));
    expect(older).toBeInstanceOf(Promise); // below the highest and not in memory: the table answers
    expect(await older).toBe(false);
  });
});
