/** Current series on SQLite and on PostgreSQL, checked against a plain-JS computation. */
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32, type CurrentSeries, type TimeRange } from '@mieruka/protocol';
import { machineRows } from '../test-support/machine-rows.js';
import { sqlBackends, type OpenSqlBackend } from '../test-support/sql-backends.js';
import { silentLogger } from '../test-support/helpers.js';
import { bucketWidth, CurrentSeriesQuery } from './current-series.js';
import { ReportsService } from './reports-service.js';

const SITE = 'factory';
const T0 = Date.UTC(2025, 10, 24, 0, 0);
const MIN = 60_000;

const backends = sqlBackends();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openStore(open: OpenSqlBackend) {
  const { sql, sqlite } = await open();
  const rows = machineRows(sql, SITE);
  let seq = 0;
  const reading = (node: string, ts: number, irms: number[]) => rows.reading(node, ts, ++seq, irms);
  return { sql, sqlite, rows, reading };
}

/** Deterministic, so failures can be replayed. */
const random = mulberry32;

type Reading = { ts: number; irms: number[] };

/** What the series must be, computed the obvious way. */
function bruteForce(readings: Reading[], channel: number, range: TimeRange, maxPoints: number): CurrentSeries {
  const inRange = readings.filter((r) => r.ts >= range.from && r.ts < range.to);
  const width = bucketWidth(range, inRange.length, maxPoints);
  const values = inRange.filter((r) => r.irms[channel] !== undefined).map((r) => ({ ts: r.ts, v: r.irms[channel]! }));
  if (width === 0) return { channel, bucketMs: 0, points: values.map(({ ts, v }) => ({ ts, avg: v, min: v, max: v })) };
  const buckets = new Map<number, number[]>();
  for (const { ts, v } of values) {
    const start = range.from + Math.floor((ts - range.from) / width) * width;
    buckets.set(start, [...(buckets.get(start) ?? []), v]);
  }
  const points = [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, vs]) => ({ ts, avg: vs.reduce((s, v) => s + v, 0) / vs.length, min: Math.min(...vs), max: Math.max(...vs) }));
  return { channel, bucketMs: width, points };
}

function expectClose(actual: CurrentSeries, expected: CurrentSeries): void {
  expect(actual.bucketMs).toBe(expected.bucketMs);
  expect(actual.points.map((p) => p.ts)).toEqual(expected.points.map((p) => p.ts));
  actual.points.forEach((p, i) => {
    const e = expected.points[i]!;
    expect(p.avg).toBeCloseTo(e.avg, 9);
    expect(p.min).toBe(e.min);
    expect(p.max).toBe(e.max);
  });
}

describe.each(backends.each)('CurrentSeriesQuery on %s', (_name, open) => {
  it('matches a brute-force computation on random readings, raw and bucketed, for every channel', async () => {
    const { sql, reading } = await openStore(open);
    const rnd = random(20251124);
    const readings: Reading[] = [];
    let ts = T0;
    for (let i = 0; i < 3000; i++) {
      ts += 1 + Math.floor(rnd() * 2000); // irregular gaps, sometimes several per second
      // Now and then a one-channel reading: the second channel is missing there.
      const irms = rnd() < 0.1 ? [Math.round(rnd() * 2000) / 100] : [Math.round(rnd() * 2000) / 100, Math.round(rnd() * 500) / 100];
      readings.push({ ts, irms });
      await reading('mill-1', ts, irms);
    }
    await reading('mill-2', T0 + 5000, [99]); // another machine: never mixed in
    const query = new CurrentSeriesQuery(sql);
    const end = ts + 1;
    const ranges: TimeRange[] = [
      { from: T0, to: end },
      { from: T0 + 7 * MIN + 333, to: T0 + 41 * MIN + 17 },
      { from: T0 + 10 * MIN, to: T0 + 12 * MIN },
    ];
    let bucketed = 0;
    let raw = 0;
    for (const range of ranges) {
      for (const maxPoints of [50, 600, 5000]) {
        for (const channel of [0, 1]) {
          const expected = bruteForce(readings, channel, range, maxPoints);
          const actual = await query.series(SITE, 'mill-1', channel, range, maxPoints);
          expectClose(actual, expected);
          expect(actual.points.length).toBeLessThanOrEqual(maxPoints);
          expect(actual.points.length).toBeGreaterThan(0);
          if (actual.bucketMs > 0) bucketed++;
          else raw++;
        }
      }
    }
    // Both paths were exercised.
    expect(bucketed).toBeGreaterThan(0);
    expect(raw).toBeGreaterThan(0);
  });

  it('answers an empty series for a range without readings, and for a channel nobody sends', async () => {
    const { sql, sqlite, reading } = await openStore(open);
    await reading('mill-1', T0, [1.5]);
    await reading('mill-1', T0 + 1000, [2.5]);
    const query = new CurrentSeriesQuery(sql);
    expect(await query.series(SITE, 'mill-1', 0, { from: T0 + 2000, to: T0 + 60 * MIN }, 600)).toEqual({ channel: 0, bucketMs: 0, points: [] });
    expect(await query.series(SITE, 'mill-1', 3, { from: T0, to: T0 + MIN }, 600)).toEqual({ channel: 3, bucketMs: 0, points: [] });
    // Both queries search the (site, node, ts) index instead of scanning the table (SQLite's
    // plan; PostgreSQL chooses by table statistics, which a test table does not have).
    if (sqlite) {
      const plan = sqlite
        .prepare("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM readings WHERE site = 'factory' AND node = 'mill-1' AND ts >= 1 AND ts < 2")
        .all() as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX readings_ts/);
    }
    // `to` is exclusive.
    expect((await query.series(SITE, 'mill-1', 0, { from: T0, to: T0 + 1000 }, 600)).points).toEqual([{ ts: T0, avg: 1.5, min: 1.5, max: 1.5 }]);
  });

  it('keeps buckets whole seconds and never more than maxPoints of them', () => {
    expect(bucketWidth({ from: 0, to: 1_800_000 }, 1800, 600)).toBe(3000);
    expect(bucketWidth({ from: 0, to: 1_800_000 }, 600, 600)).toBe(0);
    expect(bucketWidth({ from: 0, to: 1000 }, 50, 10)).toBe(1000);
    const range = { from: 0, to: 86_400_000 + 7 };
    expect(Math.ceil((range.to - range.from) / bucketWidth(range, 1e6, 5000))).toBeLessThanOrEqual(5000);
  });
});

describe.each(backends.each)('ReportsService.current on %s', (_name, open) => {
  it('reads the configured channel of a machine and answers null for an unknown one', async () => {
    const { sql, rows, reading } = await openStore(open);
    const reports = new ReportsService({
      sql: () => sql,
      timeZone: 'Asia/Tokyo',
      shifts: [],
      site: SITE,
      machines: { 'lathe-1': { name: 'Lathe', channel: 1 } },
      logger: silentLogger,
      now: () => T0 + 10 * MIN,
      rollupIntervalMs: 0,
      aliveIntervalMs: 0,
    });
    await reports.start();
    cleanups.push(() => reports.stop());
    await reading('lathe-1', T0, [0.1, 4.2]);
    // A node that only sends readings, never a state, and is not configured: not a machine.
    await reading('sensor-9', T0, [1]);
    await rows.state('mill-1', T0, 'idle', T0, { irms: [0.3] });
    await reading('mill-1', T0 + 500, [0.3, 7]);
    const range = { from: T0 - MIN, to: T0 + MIN };
    expect(await reports.current(SITE, 'lathe-1', range, 600)).toEqual({ channel: 1, bucketMs: 0, points: [{ ts: T0, avg: 4.2, min: 4.2, max: 4.2 }] });
    expect(await reports.current(SITE, 'mill-1', range, 600)).toEqual({ channel: 0, bucketMs: 0, points: [{ ts: T0 + 500, avg: 0.3, min: 0.3, max: 0.3 }] });
    expect(await reports.current(SITE, 'sensor-9', range, 600)).toBeNull();
    expect(await reports.current('elsewhere', 'lathe-1', range, 600)).toBeNull();
  });
});
