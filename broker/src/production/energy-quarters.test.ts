import { describe, expect, it } from 'vitest';
import type { MachineState } from '@mieruka/protocol';
import { sqlBackends } from '../test-support/sql-backends.js';
import { RowWriter, type StoreRow } from '../store/rows.js';
import type { SqlStore } from '../store/sql/sql-store.js';
import { EnergyQuarters, QUARTER_MS, rebuildEnergyQuarters, type EnergyMachines } from './energy-quarters.js';

const SITE = 'factory';
const machines: EnergyMachines = (site, node) => (site === SITE && node === 'mill' ? { channel: 1, offlineAfterS: 15 } : null);

type Rows = Array<{ quarter_start: number; running_as: number; idle_as: number; off_as: number; unknown_as: number }>;

const backends = sqlBackends();

describe.each(backends.each)('energy quarters on %s', (_name, open) => {
  async function fresh(): Promise<{ db: SqlStore; write: (rows: StoreRow[]) => Promise<unknown> }> {
    const { sql: db } = await open();
    const writer = new RowWriter(db, [new EnergyQuarters({ machines })]);
    return { db, write: (rows) => writer.write(rows) };
  }

  const quarters = (db: SqlStore, node = 'mill'): Promise<Rows> =>
    db.all<Rows[number]>('SELECT quarter_start, running_as, idle_as, off_as, unknown_as FROM energy_quarters WHERE site = ? AND node = ? ORDER BY quarter_start', [SITE, node]);

  // A quarter start a few days back from the real clock, plus 14 minutes: the trace crosses a boundary.
  const q = Math.floor((Date.now() - 3 * 86_400_000) / QUARTER_MS) * QUARTER_MS;
  const t0 = q + 14 * 60_000;
  const reading = (ts: number, seq: number, amps: number, node = 'mill'): StoreRow => ({ kind: 'reading', site: SITE, node, receivedAt: ts, ts, seq, irms: [99, amps] });
  const state = (ts: number, s: MachineState): StoreRow => ({ kind: 'state', site: SITE, node: 'mill', receivedAt: ts, ts, state: s, since: ts, irms: [0, 0] });

  /** 10 A running for 60 s, 2 A idle for 30 s, one reading a second, then a last 0 A reading (off). */
  function trace(): StoreRow[] {
    const rows: StoreRow[] = [state(t0, 'running')];
    let seq = 1;
    for (let s = 0; s < 60; s++) rows.push(reading(t0 + s * 1000, seq++, 10));
    rows.push(state(t0 + 60_000, 'idle'));
    for (let s = 60; s < 90; s++) rows.push(reading(t0 + s * 1000, seq++, 2));
    rows.push(state(t0 + 90_000, 'off'), reading(t0 + 90_000, seq++, 0));
    return rows;
  }

  it('books each reading until the next one to the state in force, split at the quarter boundary', async () => {
    const { db, write } = await fresh();
    await write(trace());
    const rows = await quarters(db);
    // 60 s before the boundary (all running at 10 A), 30 s after (idle at 2 A).
    expect(rows).toEqual([
      { quarter_start: q, running_as: 600, idle_as: 0, off_as: 0, unknown_as: 0 },
      { quarter_start: q + QUARTER_MS, running_as: 0, idle_as: 60, off_as: 0, unknown_as: 0 },
    ]);
  });

  it('gives identical rows whatever order the data arrives in, one row at a time or all at once', async () => {
    const inOrder = await fresh();
    await inOrder.write(trace());
    const expected = await quarters(inOrder.db);

    const shuffled = await fresh();
    const rows = trace();
    // A fixed permutation (no randomness in tests): reverse halves, interleave.
    const mixed = [...rows.slice(45).reverse(), ...rows.slice(0, 45)].sort((a, b) => ((a as { ts: number }).ts % 7) - ((b as { ts: number }).ts % 7));
    for (const r of mixed) await shuffled.write([r]);
    expect(await quarters(shuffled.db)).toEqual(expected);

    const batch = await fresh();
    await batch.write(mixed);
    expect(await quarters(batch.db)).toEqual(expected);

    // And equal to a full rebuild from readings and states, from an empty table.
    await inOrder.db.run('DELETE FROM energy_quarters');
    expect(await rebuildEnergyQuarters(inOrder.db, machines, q - QUARTER_MS, q + 3 * QUARTER_MS)).toBe(2);
    expect(await quarters(inOrder.db)).toEqual(expected);
  });

  it('carries on after a restart (a new writer on the same database) as if none happened', async () => {
    const first = await fresh();
    await first.write(trace());
    const expected = await quarters(first.db);

    const { db, write } = await fresh();
    const rows = trace();
    await write(rows.slice(0, 50));
    // The hub restarts: a new writer with a cold cache of newest readings.
    const restarted = new RowWriter(db, [new EnergyQuarters({ machines })]);
    await restarted.write(rows.slice(50));
    expect(await quarters(db)).toEqual(expected);
  });

  it('never rebuilds quarters before the horizon (their readings may be pruned)', async () => {
    const { sql: db } = await open();
    const withHorizon = new RowWriter(db, [new EnergyQuarters({ machines, horizon: () => q + QUARTER_MS })]);
    const without = await fresh();
    const rest = trace().filter((r) => r.kind !== 'reading' || r.seq !== 10);
    // The reading at +9 s comes late, and with 50 A instead of 10 A.
    const late = reading(t0 + 9000, 10, 50);
    await withHorizon.write(rest);
    await without.write(rest);
    const before = await quarters(db);
    await withHorizon.write([late]);
    await without.write([late]);
    // Without a horizon its first quarter is rebuilt: 1 s at 50 A instead of 1 s at 10 A.
    expect((await quarters(without.db))[0]?.running_as).toBe(640);
    // It lies before horizon + offlineAfterS: that quarter is final, nothing moves.
    expect(await quarters(db)).toEqual(before);
    expect(before[0]?.running_as).toBe(600);
  });

  it('counts a reading at most offlineAfterS: a longer gap adds nothing more', async () => {
    const { db, write } = await fresh();
    // 5 A at t0, silent for 10 minutes, then another reading: 15 s × 5 A, no state yet (unknown).
    await write([reading(t0, 1, 5), reading(t0 + 600_000, 2, 5)]);
    expect(await quarters(db)).toEqual([{ quarter_start: q, running_as: 0, idle_as: 0, off_as: 0, unknown_as: 75 }]);
    // A late reading inside the gap: its predecessor counts up to it, itself 15 s.
    await write([reading(t0 + 5000, 3, 1)]);
    expect(await quarters(db)).toEqual([{ quarter_start: q, running_as: 0, idle_as: 0, off_as: 0, unknown_as: 25 + 15 }]);
  });

  it('rebooks spans when a state arrives after the readings it applies to', async () => {
    const { db, write } = await fresh();
    await write([reading(t0, 1, 4), reading(t0 + 1000, 2, 4), reading(t0 + 2000, 3, 4)]);
    expect((await quarters(db))[0]?.unknown_as).toBe(8);
    await write([state(t0 + 1000, 'running')]);
    expect(await quarters(db)).toEqual([{ quarter_start: q, running_as: 4, idle_as: 0, off_as: 0, unknown_as: 4 }]);
  });

  it('skips nodes that are no configured machine and readings without the machine channel', async () => {
    const { db, write } = await fresh();
    await write([reading(t0, 1, 3, 'press'), reading(t0 + 1000, 2, 3, 'press')]);
    await write([
      { kind: 'reading', site: SITE, node: 'mill', receivedAt: t0, ts: t0, seq: 1, irms: [7] },
      reading(t0 + 1000, 2, 3),
      reading(t0 + 3000, 3, 3),
    ]);
    expect(await quarters(db, 'press')).toEqual([]);
    expect(await quarters(db)).toEqual([{ quarter_start: q, running_as: 0, idle_as: 0, off_as: 0, unknown_as: 6 }]);
  });
});
