import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineState } from '@mieruka/protocol';
import { makeTempDir } from '../test-support/helpers.js';
import { openDatabase } from '../store/database.js';
import { RowWriter, type StoreRow } from '../store/rows.js';
import { EnergyQuarters, QUARTER_MS, rebuildEnergyQuarters, type EnergyMachines } from './energy-quarters.js';

const SITE = 'factory';
const machines: EnergyMachines = (site, node) => (site === SITE && node === 'mill' ? { channel: 1, offlineAfterS: 15 } : null);

type Rows = Array<{ quarter_start: number; running_as: number; idle_as: number; off_as: number; unknown_as: number }>;

describe('energy quarters', () => {
  const open: Array<{ db: Database; dir: { remove(): Promise<void> } }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      o.db.close();
      await o.dir.remove();
    }
  });

  async function fresh(): Promise<{ db: Database; write: (rows: StoreRow[]) => void }> {
    const dir = await makeTempDir('energy-');
    const db = openDatabase(join(dir.path, 'm.db'));
    open.push({ db, dir });
    const writer = new RowWriter(db, [new EnergyQuarters(db, { machines })]);
    return { db, write: (rows) => void writer.write(rows) };
  }

  const quarters = (db: Database, node = 'mill'): Rows =>
    db.prepare('SELECT quarter_start, running_as, idle_as, off_as, unknown_as FROM energy_quarters WHERE site = ? AND node = ? ORDER BY quarter_start').all(SITE, node) as Rows;

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
    write(trace());
    const rows = quarters(db);
    // 60 s before the boundary (all running at 10 A), 30 s after (idle at 2 A).
    expect(rows).toEqual([
      { quarter_start: q, running_as: 600, idle_as: 0, off_as: 0, unknown_as: 0 },
      { quarter_start: q + QUARTER_MS, running_as: 0, idle_as: 60, off_as: 0, unknown_as: 0 },
    ]);
  });

  it('gives identical rows whatever order the data arrives in, one row at a time or all at once', async () => {
    const inOrder = await fresh();
    inOrder.write(trace());
    const expected = quarters(inOrder.db);

    const shuffled = await fresh();
    const rows = trace();
    // A fixed permutation (no randomness in tests): reverse halves, interleave.
    const mixed = [...rows.slice(45).reverse(), ...rows.slice(0, 45)].sort((a, b) => ((a as { ts: number }).ts % 7) - ((b as { ts: number }).ts % 7));
    for (const r of mixed) shuffled.write([r]);
    expect(quarters(shuffled.db)).toEqual(expected);

    const batch = await fresh();
    batch.write(mixed);
    expect(quarters(batch.db)).toEqual(expected);

    // And equal to a full rebuild from readings and states, from an empty table.
    inOrder.db.prepare('DELETE FROM energy_quarters').run();
    expect(rebuildEnergyQuarters(inOrder.db, machines, q - QUARTER_MS, q + 3 * QUARTER_MS)).toBe(2);
    expect(quarters(inOrder.db)).toEqual(expected);
  });

  it('carries on after a restart (a new writer on the same database) as if none happened', async () => {
    const first = await fresh();
    first.write(trace());
    const expected = quarters(first.db);

    const { db, write } = await fresh();
    const rows = trace();
    write(rows.slice(0, 50));
    // The hub restarts: a new writer with a cold cache of newest readings.
    const restarted = new RowWriter(db, [new EnergyQuarters(db, { machines })]);
    restarted.write(rows.slice(50));
    expect(quarters(db)).toEqual(expected);
  });

  it('never rebuilds quarters before the horizon (their readings may be pruned)', async () => {
    const dir = await makeTempDir('energy-');
    const db = openDatabase(join(dir.path, 'm.db'));
    open.push({ db, dir });
    const withHorizon = new RowWriter(db, [new EnergyQuarters(db, { machines, horizon: () => q + QUARTER_MS })]);
    const without = await fresh();
    const rest = trace().filter((r) => r.kind !== 'reading' || r.seq !== 10);
    // The reading at +9 s comes late, and with 50 A instead of 10 A.
    const late = reading(t0 + 9000, 10, 50);
    withHorizon.write(rest);
    without.write(rest);
    const before = quarters(db);
    withHorizon.write([late]);
    without.write([late]);
    // Without a horizon its first quarter is rebuilt: 1 s at 50 A instead of 1 s at 10 A.
    expect(quarters(without.db)[0]?.running_as).toBe(640);
    // It lies before horizon + offlineAfterS: that quarter is final, nothing moves.
    expect(quarters(db)).toEqual(before);
    expect(before[0]?.running_as).toBe(600);
  });

  it('counts a reading at most offlineAfterS: a longer gap adds nothing more', async () => {
    const { db, write } = await fresh();
    // 5 A at t0, silent for 10 minutes, then another reading: 15 s × 5 A, no state yet (unknown).
    write([reading(t0, 1, 5), reading(t0 + 600_000, 2, 5)]);
    expect(quarters(db)).toEqual([{ quarter_start: q, running_as: 0, idle_as: 0, off_as: 0, unknown_as: 75 }]);
    // A late reading inside the gap: its predecessor counts up to it, itself 15 s.
    write([reading(t0 + 5000, 3, 1)]);
    expect(quarters(db)).toEqual([{ quarter_start: q, running_as: 0, idle_as: 0, off_as: 0, unknown_as: 25 + 15 }]);
  });

  it('rebooks spans when a state arrives after the readings it applies to', async () => {
    const { db, write } = await fresh();
    write([reading(t0, 1, 4), reading(t0 + 1000, 2, 4), reading(t0 + 2000, 3, 4)]);
    expect(quarters(db)[0]?.unknown_as).toBe(8);
    write([state(t0 + 1000, 'running')]);
    expect(quarters(db)).toEqual([{ quarter_start: q, running_as: 4, idle_as: 0, off_as: 0, unknown_as: 4 }]);
  });

  it('skips nodes that are no configured machine and readings without the machine channel', async () => {
    const { db, write } = await fresh();
    write([reading(t0, 1, 3, 'press'), reading(t0 + 1000, 2, 3, 'press')]);
    write([
      { kind: 'reading', site: SITE, node: 'mill', receivedAt: t0, ts: t0, seq: 1, irms: [7] },
      reading(t0 + 1000, 2, 3),
      reading(t0 + 3000, 3, 3),
    ]);
    expect(quarters(db, 'press')).toEqual([]);
    expect(quarters(db)).toEqual([{ quarter_start: q, running_as: 0, idle_as: 0, off_as: 0, unknown_as: 6 }]);
  });
});
