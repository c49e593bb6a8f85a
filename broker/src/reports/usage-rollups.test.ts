/**
 * Roll-ups against a brute-force recomputation: random state streams (late arrivals,
 * re-published and duplicate states, offline marks, hub restarts) are written like ingest writes
 * them, in random batches (one transaction each), with roll-up updates in between; then every
 * stored hour, every reported hour/day and the timeline must equal a minute-by-minute evaluation
 * of the rules. On SQLite and on PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { addDays, LocalTime, mulberry32 } from '@mieruka/protocol';
import { MACHINE_STATES, type MachineState } from '@mieruka/protocol';
import { machineRows } from '../test-support/machine-rows.js';
import { sqlBackends, type OpenSqlBackend } from '../test-support/sql-backends.js';
import type { SqlQueries } from '../store/sql/sql-store.js';
import { silentLogger } from '../test-support/helpers.js';
import { ReportsService } from './reports-service.js';

const MIN = 60_000;
const SITE = 'factory';
const NODE = 'mill-1';

const random = mulberry32;

type Model = { states: Map<number, { ts: number; since: number; state: MachineState }>; offline: number[]; restarts: number[] };

/** The rules, evaluated naively: the state at instant t. */
function bruteForce(model: Model, marks: readonly number[]): (t: number) => MachineState {
  if (model.states.size === 0) return () => 'unknown';
  const first = Math.min(...model.states.keys());
  const all = [
    ...[...model.states.values()].map((s) => ({ ...s, rank: 0, id: 0 })),
    ...model.offline.filter((t) => t >= first).map((t, id) => ({ ts: t, since: t, state: 'unknown' as const, rank: 1, id })),
    ...marks.filter((t) => t >= first).map((t, id) => ({ ts: t, since: t, state: 'unknown' as const, rank: 2, id })),
  ].sort((a, b) => a.ts - b.ts || a.rank - b.rank || a.id - b.id);
  const starts = all.map((o, i) => (i === 0 ? o.ts : Math.min(o.ts, Math.max(o.since, all[i - 1]!.ts))));
  return (t) => {
    let state: MachineState = 'unknown';
    for (let i = 0; i < all.length && starts[i]! <= t; i++) state = all[i]!.state;
    return state;
  };
}

/** Independent labels from Intl: local hour (with offset) and local date. */
function labeller(timeZone: string) {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', timeZoneName: 'longOffset' });
  return {
    hour: (t: number) => f.format(new Date(t)),
    day: (t: number) => f.format(new Date(t)).slice(0, 10),
  };
}

const backends = sqlBackends();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function simulate(open: OpenSqlBackend, seed: number, timeZone: string, startIso: string) {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  let now = Date.parse(startIso);
  const { sql } = await open({ now: () => now });
  // Rows wait for the next flush, like the hub's batch writer; a flush writes them in one transaction.
  const queued: Array<(rows: ReturnType<typeof machineRows>) => Promise<unknown>> = [];
  const store = {
    enqueue: (write: (typeof queued)[number]) => queued.push(write),
    flush: () => sql.transaction(async (tx: SqlQueries) => {
      const rows = machineRows(tx, SITE);
      for (const write of queued.splice(0)) await write(rows);
    }),
  };
  const reports = new ReportsService({
    sql: () => sql,
    timeZone,
    shifts: [],
    site: SITE,
    logger: silentLogger,
    now: () => now,
    rollupIntervalMs: 0,
    aliveIntervalMs: 0,
  });
  cleanups.push(() => reports.stop());
  await reports.start();
  const model: Model = { states: new Map(), offline: [], restarts: [] };
  const sent: Array<{ ts: number; since: number; state: MachineState }> = [];
  const sendState = (s: { ts: number; since: number; state: MachineState }) => {
    const at = now;
    store.enqueue((rows) => rows.state(NODE, s.ts, s.state, s.since, { receivedAt: at }));
    // The store keeps the first row of a (node, ts): so does the model.
    if (!model.states.has(s.ts)) model.states.set(s.ts, s);
    sent.push(s);
  };
  const t0 = now;
  for (let step = 0; step < 160; step++) {
    now += (1 + Math.floor(rnd() * 30)) * MIN;
    const action = rnd();
    if (action < 0.55) {
      const late = rnd() < 0.15;
      const ts = late ? now - (1 + Math.floor(rnd() * 180)) * MIN : now;
      const since = rnd() < 0.1 ? ts - Math.floor(rnd() * 600) * MIN : ts - Math.floor(rnd() * 10) * MIN;
      sendState({ ts, since, state: pick(MACHINE_STATES) });
    } else if (action < 0.65 && sent.length > 0) {
      // A retained state re-published after a reconnect: same state and since, new ts.
      const last = sent.at(-1)!;
      sendState({ ts: now, since: last.since, state: last.state });
    } else if (action < 0.7 && sent.length > 0) {
      sendState(pick(sent)); // an exact resend
    } else if (action < 0.8) {
      const at = now;
      store.enqueue((rows) => rows.status(NODE, at, false, at - 3_600_000));
      model.offline.push(now);
    } else if (action < 0.85) {
      const at = now;
      store.enqueue((rows) => rows.status(NODE, at, true, at));
    } else if (action < 0.9) {
      await store.flush();
      await reports.stop();
      model.restarts.push(now);
      now += (5 + Math.floor(rnd() * 120)) * MIN;
      await reports.start();
    }
    if (rnd() < 0.3) await store.flush();
    if (rnd() < 0.15) {
      await store.flush();
      await reports.updateRollups();
    }
  }
  await store.flush();
  now += 3 * 3_600_000 + 7 * MIN;
  const marks = (await sql.all<{ down_at: number }>('SELECT down_at FROM hub_runs WHERE down_at IS NOT NULL ORDER BY down_at')).map((r) => r.down_at);
  return { sql, reports, model, marks, t0, now: () => now, clock: new LocalTime(timeZone), labels: labeller(timeZone) };
}

const SCENARIOS: Array<[string, string]> = [
  ['Europe/Berlin', '2025-03-29T19:00:00Z'],
  ['Europe/Berlin', '2025-10-25T19:00:00Z'],
  ['Asia/Tokyo', '2025-11-23T11:00:00Z'],
  // A 23-hour and a 25-hour day in New York, a year end and a leap day in Tokyo (each stream runs ~2 days).
  ['America/New_York', '2027-03-13T20:00:00Z'],
  ['America/New_York', '2027-11-06T20:00:00Z'],
  ['Asia/Tokyo', '2027-12-30T15:00:00Z'],
  ['Asia/Tokyo', '2028-02-28T00:00:00Z'],
];

describe.each(backends.each)('hourly roll-ups = brute force on %s', (_name, open) => {
  for (const [timeZone, startIso] of SCENARIOS) {
    it(`holds for random streams in ${timeZone} from ${startIso}`, async () => {
      let storedDays = 0;
      for (let seed = 1; seed <= 8; seed++) {
        const sim = await simulate(open, seed * 7919 + startIso.length, timeZone, startIso);
        const { reports, model, marks, clock, labels } = sim;
        const now = sim.now();
        // Hub outages start where the hub stopped.
        expect(marks).toEqual(model.restarts);
        const stateAt = bruteForce(model, marks);
        const expectMs = (start: number, end: number, what: string) => {
          const ms = { off: 0, idle: 0, running: 0, unknown: 0 };
          for (let t = start; t < end; t += MIN) ms[stateAt(t)] += Math.min(MIN, end - t);
          return ms;
        };

        // 1. Queried before any update, then after: hours and days (also not on hour boundaries).
        for (const [from, to] of [
          [sim.t0 - 2 * 3_600_000, now + 86_400_000],
          [sim.t0 + 7 * MIN, now - 13 * MIN],
        ] as const) {
          for (const by of ['hour', 'day'] as const) {
            const report = await reports.usage(SITE, NODE, { from, to }, by);
            expect(report).not.toBeNull();
            const rows = report!.rows;
            expect(rows[0]!.start).toBe(from);
            expect(rows.at(-1)!.end).toBe(Math.min(to, now));
            rows.forEach((r, i) => {
              if (i > 0) expect(r.start, `contiguous ${by} rows`).toBe(rows[i - 1]!.end);
              const label = by === 'hour' ? labels.hour : labels.day;
              // Each row is one local hour/day: same label inside, a new one at its start.
              expect(label(r.end - MIN), `${by} ${r.label}`).toBe(label(r.start));
              if (i > 0) expect(label(r.start - MIN)).not.toBe(label(r.start));
              const want = expectMs(r.start, r.end, r.label);
              expect({ off: r.seconds.off * 1000, idle: r.seconds.idle * 1000, running: r.seconds.running * 1000, unknown: r.seconds.unknown * 1000 }, `seed ${seed} ${by} ${r.label}`).toEqual(want);
            });
            if (by === 'day') expect(rows.map((r) => r.label)).toEqual(rows.map((r) => clock.dateOf(r.start)));
          }
        }

        // 2. Every stored hour equals the brute force, and the stored hours tile the valid range.
        await reports.updateRollups();
        const cursor = (await sim.sql.get<{ valid_from: number; valid_until: number; dirty_ts: number | null }>('SELECT valid_from, valid_until, dirty_ts FROM rollup_cursors'))!;
        expect(cursor.dirty_ts).toBeNull();
        const stored = await sim.sql.all<Record<string, number>>('SELECT hour_start, hour_end, off_ms, idle_ms, running_ms, unknown_ms FROM usage_hourly ORDER BY hour_start');
        expect(stored.length).toBeGreaterThan(0);
        expect(stored[0]!.hour_start).toBe(cursor.valid_from);
        expect(stored.at(-1)!.hour_end).toBe(cursor.valid_until);
        stored.forEach((r, i) => {
          if (i > 0) expect(r.hour_start).toBe(stored[i - 1]!.hour_end);
          expect({ off: r.off_ms, idle: r.idle_ms, running: r.running_ms, unknown: r.unknown_ms }, `stored hour ${clock.iso(r.hour_start!)}`).toEqual(expectMs(r.hour_start!, r.hour_end!, 'stored'));
        });

        // 2b. Stored days are exactly the whole local days inside the valid range, each equal to the brute force.
        const days = await sim.sql.all<Record<string, number>>('SELECT day_start, day_end, off_ms, idle_ms, running_ms, unknown_ms FROM usage_daily ORDER BY day_start');
        const wholeDays: Array<[number, number]> = [];
        for (let d = clock.dateOf(cursor.valid_from); clock.startOfDay(d) < cursor.valid_until; d = addDays(d, 1)) {
          const [start, end] = [clock.startOfDay(d), clock.startOfDay(addDays(d, 1))];
          if (start >= cursor.valid_from && end <= cursor.valid_until) wholeDays.push([start, end]);
        }
        expect(days.map((r) => [r.day_start, r.day_end])).toEqual(wholeDays);
        storedDays += days.length;
        days.forEach((r) => {
          expect(labels.day(r.day_end! - MIN), 'one local date').toBe(labels.day(r.day_start!));
          expect({ off: r.off_ms, idle: r.idle_ms, running: r.running_ms, unknown: r.unknown_ms }, `stored day ${clock.dateOf(r.day_start!)}`).toEqual(expectMs(r.day_start!, r.day_end!, 'stored day'));
        });

        // 3. The timeline, merged, equals the brute force sampled per minute.
        const from = sim.t0 - 3_600_000;
        const timeline = (await reports.timeline(SITE, NODE, { from, to: now + 3_600_000 }))!;
        const expected: Array<{ state: MachineState; start: number; end: number | null }> = [];
        for (let t = from; t < now; t += MIN) {
          const state = stateAt(t);
          const last = expected.at(-1);
          if (last && last.state === state) last.end = t + MIN;
          else expected.push({ state, start: t, end: t + MIN });
        }
        expected.at(-1)!.end = null;
        expect(timeline.intervals).toEqual(expected);

        // 4. The machine list: the state now, and since when (walking back minute by minute).
        const first = Math.min(...model.states.keys());
        const nowState = stateAt(now);
        let since = now;
        while (since > first && stateAt(since - MIN) === nowState) since -= MIN;
        expect((await reports.listMachines([])).map((m) => [m.node, m.state, m.since])).toEqual([[NODE, nowState, since]]);
      }
      // The streams are long enough that whole days were stored and checked.
      expect(storedDays).toBeGreaterThan(0);
    });
  }
});
