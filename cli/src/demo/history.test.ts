/**
 * The demo's history generator, judged from the data it makes: shifts on weekdays only (one
 * machine also in the evening), a long job or two, one stoppage of hours, bench shots at
 * 09:00, 12:00 and 17:00 on weekdays with a tidy Monday and a messy Friday, acknowledgements
 * that stop before the last days, and production data that fits the states: cycles inside runs
 * (Performance 60–95 % against the demo's ideal cycle), a good/scrap entry per working day,
 * reasons for past stops only, readings at each state's level for the last days. Dates come from the clock each test gives the generator,
 * including the first of a month and both daylight-saving switches.
 */
import { describe, expect, it } from 'vitest';
import { addDays, ConfigSchema, CycleEvent, LocalTime, weekdayOf } from '@mieruka/protocol';
import { DEMO_IDEAL_CYCLE_S } from './demo-machines.js';
import { stoppedClock, testSiteZone } from '../../../test/helpers/test-clock.js';
import { generateHistory, isWorkday, type History, type HistoryInput, type HistoryItem } from './history.js';

const MACHINES = ['mill-1', 'lathe-1'];
const STATION = 'bench-1';
const SLOTS = ['09:00', '12:00', '17:00'];
const PHOTOS = [3, 10, 20, 32, 45, 60].map((score) => ({ id: `mat-${score}.jpg`, score }));
const HOUR = 3_600_000;
/** The config's default downtime reasons (oee.reasons). */
const OeeConfigDefaults = ConfigSchema.parse({}).oee;

function input(now: number, timeZone: string): HistoryInput {
  return { now, timeZone, machines: MACHINES, station: STATION, slots: SLOTS, photos: PHOTOS };
}

type Of<K extends HistoryItem['kind']> = Extract<HistoryItem, { kind: K }>;
const ofKind = <K extends HistoryItem['kind']>(h: History, kind: K, node?: string) =>
  h.items.filter((i): i is Of<K> => i.kind === kind && (node === undefined || i.node === node));

/** Local [hour + minute / 60) of an instant. */
const hourOf = (clock: LocalTime, t: number) => {
  const p = clock.parts(t);
  return p.hour + p.minute / 60;
};

/** What must hold at any date and in any zone. */
function checkInvariants(h: History, now: number, timeZone: string): void {
  const clock = new LocalTime(timeZone);
  expect(h.today).toBe(clock.dateOf(now));
  expect(h.firstDate).toBe(addDays(h.today, -30));
  expect(h.from).toBe(clock.startOfDay(h.firstDate));
  // In publishing order, within the range.
  for (let i = 1; i < h.items.length; i++) expect(h.items[i]!.at).toBeGreaterThanOrEqual(h.items[i - 1]!.at);
  expect(h.start).toBeLessThan(h.from);
  expect(h.items.every((i) => i.at >= h.start && i.at <= now)).toBe(true);

  for (const [index, node] of MACHINES.entries()) {
    const states = ofKind(h, 'state', node);
    expect(states[0]?.payload).toMatchObject({ state: 'off', since: h.start });
    // Weekends off: nothing switches on on a Saturday or Sunday.
    const onAt = states.filter((s) => s.payload.state !== 'off');
    expect(onAt.filter((s) => !isWorkday(clock.dateOf(s.payload.since)))).toEqual([]);
    // Runs start within the shifts: 08:00–17:00, and 18:00–21:00 for the second machine only.
    const runs = states.filter((s) => s.payload.state === 'running');
    expect(runs.length).toBeGreaterThan(20);
    for (const r of runs) {
      const h0 = hourOf(clock, r.payload.since);
      expect(h0 >= 8 && h0 < 17 ? true : index === 1 && h0 >= 18 && h0 < 21).toBe(true);
    }
    const evening = runs.filter((r) => hourOf(clock, r.payload.since) >= 18);
    if (index === 1) expect(evening.length).toBeGreaterThan(5);
    else expect(evening).toEqual([]);
    // Every finished weekday before today has runs.
    const runDays = new Set(runs.map((r) => clock.dateOf(r.payload.since)));
    for (let d = h.firstDate; d < h.today; d = addDays(d, 1)) if (isWorkday(d)) expect(runDays.has(d), `${node} ran on ${d}`).toBe(true);
    // Each run has its events: started where it started, finished where the next state began.
    const events = ofKind(h, 'event', node);
    expect(events.filter((e) => e.payload.type === 'run_started').map((e) => e.payload.ts)).toEqual(runs.map((r) => r.payload.since));
    const finished = events.filter((e) => e.payload.type === 'run_finished');
    expect(finished.length).toBeGreaterThanOrEqual(runs.length - 1);
    // A long job or two (four hours and more).
    expect(finished.filter((e) => Number(e.payload.durationS) >= 4 * 3600).length).toBeGreaterThanOrEqual(1);
  }

  // One stoppage of hours: the first machine goes from running straight to off, and is acknowledged.
  expect(h.stoppage).not.toBeNull();
  const stop = h.stoppage!;
  expect(stop.node).toBe(MACHINES[0]);
  expect(stop.to - stop.from).toBeGreaterThanOrEqual(3 * HOUR);
  const states = ofKind(h, 'state', stop.node);
  const k = states.findIndex((s) => s.payload.since === stop.from);
  expect(states[k - 1]?.payload.state).toBe('running');
  expect(states[k]?.payload.state).toBe('off');
  expect(states[k + 1]?.payload).toMatchObject({ state: 'idle', since: stop.to });
  const acks = ofKind(h, 'ack');
  expect(acks.some((a) => a.node === stop.node && a.at > stop.from && a.at < stop.to)).toBe(true);
  // Acknowledgements happen, but not in the last three days: the newest alarms stay open.
  expect(acks.filter((a) => a.node === STATION).length).toBeGreaterThan(3);
  expect(acks.filter((a) => a.at > now - 3 * 24 * HOUR)).toEqual([]);

  // The bench: three shots per weekday at its slots, none at weekends.
  const shots = ofKind(h, 'clutter', STATION);
  const byDate = new Map<string, typeof shots>();
  for (const s of shots) byDate.set(clock.dateOf(s.payload.ts), [...(byDate.get(clock.dateOf(s.payload.ts)) ?? []), s]);
  for (let d = h.firstDate; d < h.today; d = addDays(d, 1)) {
    const day = byDate.get(d) ?? [];
    if (!isWorkday(d)) {
      expect(day, `no shots on ${d}`).toEqual([]);
      continue;
    }
    expect(day.map((s) => s.payload.slot)).toEqual(SLOTS);
    for (const s of day) {
      const [hh, mm] = s.payload.slot.split(':').map(Number) as [number, number];
      const at = clock.instant(d, hh, mm);
      expect(s.payload.ts - at).toBeGreaterThanOrEqual(0);
      expect(s.payload.ts - at).toBeLessThan(60_000);
    }
  }
  // The last week's shots carry the nearest sample photo; older ones none.
  for (const s of shots) {
    const recent = clock.dateOf(s.payload.ts) > addDays(h.today, -7);
    expect(s.photo !== null, `photo of ${clock.iso(s.payload.ts)}`).toBe(recent);
    if (s.photo !== null) expect(s.payload.imageId).toMatch(new RegExp(`^\\d{8}-\\d{6}-${STATION}$`));
  }
  // The weekly pattern: Monday tidy, Friday messy.
  const mean = (weekday: number) => {
    const xs = shots.filter((s) => weekdayOf(clock.dateOf(s.payload.ts)) === weekday).map((s) => s.payload.score);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  expect(mean(1)).toBeLessThan(25);
  expect(mean(5)).toBeGreaterThan(45);
  for (let w = 1; w < 5; w++) expect(mean(w)).toBeLessThan(mean(w + 1));
  checkProduction(h, now, timeZone);
}

/** The machine's state at `t` from its state items (the state whose `since` is the latest at or before t). */
function stateAt(states: Of<'state'>[], t: number): string {
  let state = 'off';
  for (const s of states) if (s.payload.since <= t) state = s.payload.state;
  return state;
}

/** Cycles, quality entries, reasons and readings (docs/oee.md) fit the states they come with. */
function checkProduction(h: History, now: number, timeZone: string): void {
  const clock = new LocalTime(timeZone);
  const reasonCodes = new Set(OeeConfigDefaults.reasons.map((r) => r.code));
  for (const node of MACHINES) {
    const states = ofKind(h, 'state', node);
    const runs = states.filter((s) => s.payload.state === 'running').map((s) => {
      const next = states.find((n) => n.payload.since > s.payload.since);
      return { from: s.payload.since, to: next?.payload.since ?? now };
    });
    // Cycles: the contract's shape (seq comes from the agent's counter), inside a run, one after another.
    const cycles = ofKind(h, 'event', node).filter((e) => e.payload.type === 'cycle');
    expect(cycles.length).toBeGreaterThan(runs.length);
    let lastEnd = -Infinity;
    for (const e of cycles) {
      const c = CycleEvent.parse({ ...e.payload, seq: 1 });
      expect(e.at).toBe(c.ts);
      expect(c.ts - c.startTs).toBe(Math.round(c.durationS * 1000));
      expect(c.durationS).toBeGreaterThanOrEqual(40);
      expect(c.durationS).toBeLessThanOrEqual(56);
      // Above the demo machines' cycle threshold (cycles.aboveA 4.6 A).
      expect(c.peakA).toBeGreaterThan(4.6);
      expect(c.meanA).toBeLessThan(c.peakA);
      expect(c.startTs).toBeGreaterThan(lastEnd);
      expect(runs.some((r) => r.from <= c.startTs && c.ts <= r.to), `cycle at ${clock.iso(c.startTs)} inside a run`).toBe(true);
      lastEnd = c.ts;
    }
    // Performance against the demo's ideal cycle over the month: between 60 and 95 %.
    const runS = runs.reduce((sum, r) => sum + (r.to - r.from) / 1000, 0);
    const performance = (DEMO_IDEAL_CYCLE_S * cycles.length) / runS;
    expect(performance).toBeGreaterThan(0.6);
    expect(performance).toBeLessThan(0.95);

    // Quality: one entry per working day with cycles (entered after the day), one piece per cycle, 95–100 % good.
    const entries = ofKind(h, 'quality', node);
    expect(entries.length).toBeGreaterThan(10);
    const datesOf = entries.map((q) => clock.dateOf(q.entry.start));
    expect(new Set(datesOf).size).toBe(entries.length);
    for (const q of entries) {
      const { start, end, good, scrap, startupScrap } = q.entry;
      expect(isWorkday(clock.dateOf(start))).toBe(true);
      expect(q.at).toBeGreaterThan(end);
      const pieces = cycles.filter((c) => clock.dateOf(Number(c.payload.startTs)) === clock.dateOf(start)).length;
      expect(good + scrap + startupScrap).toBe(pieces);
      expect(good / pieces).toBeGreaterThan(0.95);
      expect(good).toBeLessThan(pieces); // some scrap on every day
    }

    // Reasons: known codes, given after the stop, never in the latest days.
    const reasons = ofKind(h, 'reason', node);
    expect(reasons.length).toBeGreaterThan(3);
    for (const r of reasons) {
      expect(reasonCodes.has(r.code), r.code).toBe(true);
      expect(stateAt(states, r.within)).not.toBe('running');
      expect(r.at).toBeGreaterThan(r.within);
      expect(r.at).toBeLessThanOrEqual(now - 3 * 24 * HOUR);
    }
    expect(new Set(reasons.map((r) => r.code)).size).toBeGreaterThan(1);

    // Readings: from the start of a day back at least three days (and two working days) to now, at most a minute apart, at the state's level.
    const readings = ofKind(h, 'current', node);
    const first = readings[0]!;
    expect(clock.parts(first.at)).toMatchObject({ hour: 0, minute: 0 });
    const firstDate = clock.dateOf(first.at);
    expect(firstDate <= addDays(h.today, -3)).toBe(true);
    let workdays = 0;
    for (let d = firstDate; d < h.today; d = addDays(d, 1)) if (isWorkday(d)) workdays += 1;
    expect(workdays).toBeGreaterThanOrEqual(2);
    expect(now - readings.at(-1)!.at).toBeLessThanOrEqual(60_000);
    let peaks = 0;
    for (const [i, r] of readings.entries()) {
      expect(r.payload.ts).toBe(r.at);
      if (i > 0) expect(r.at - readings[i - 1]!.at).toBeLessThanOrEqual(60_000);
      const amps = r.payload.irms[0]!;
      const state = stateAt(states, r.at);
      if (state === 'off') expect(amps).toBeLessThan(0.3); // below offBelowA, at the standby draw
      else if (state === 'idle') expect(amps > 1.3 && amps < 1.8).toBe(true);
      else {
        expect(amps).toBeGreaterThan(2.5);
        if (amps > 4.6) peaks += 1;
      }
    }
    expect(peaks).toBeGreaterThan(10);
  }
  // The stoppage was a breakdown.
  const stop = h.stoppage!;
  expect(ofKind(h, 'reason', stop.node).filter((r) => r.within >= stop.from && r.within < stop.to).map((r) => r.code)).toEqual(['breakdown']);
}

describe('demo history generator', () => {
  it('makes a plausible month up to the clock it is given (site zone of the run)', () => {
    const clock = stoppedClock();
    const zone = testSiteZone();
    const h = generateHistory(input(clock.at, zone));
    checkInvariants(h, clock.at, zone);
    // Seeded: the same input gives the same history; another seed another one.
    expect(generateHistory(input(clock.at, zone))).toEqual(h);
    expect(generateHistory({ ...input(clock.at, zone), seed: 2 }).items).not.toEqual(h.items);
  });

  it('holds on the first of a month: the month before carries the history', () => {
    const zone = 'Asia/Tokyo';
    const now = new LocalTime(zone).instant('2027-03-01', 0, 30);
    const h = generateHistory(input(now, zone));
    checkInvariants(h, now, zone);
    const clock = new LocalTime(zone);
    // Nothing yet today (00:30), February's weekdays all have their shots.
    expect(ofKind(h, 'clutter').filter((s) => clock.dateOf(s.payload.ts) === '2027-03-01')).toEqual([]);
    expect(ofKind(h, 'clutter').filter((s) => clock.dateOf(s.payload.ts).startsWith('2027-02-')).length).toBe(20 * 3);
  });

  it.each([
    ['spring forward', '2027-03-15'],
    ['fall back', '2027-11-08'],
  ])('holds across a daylight-saving switch (%s, New York)', (_name, date) => {
    const zone = 'America/New_York';
    const clock = new LocalTime(zone);
    const now = clock.instant(date, 18, 30);
    const h = generateHistory(input(now, zone));
    checkInvariants(h, now, zone);
    // Shifts keep local time: the 09:00 shot is at 09:00 on both sides of the switch, an hour apart in UTC.
    const nine = ofKind(h, 'clutter').filter((s) => s.payload.slot === '09:00');
    const utcHours = new Set(nine.map((s) => new Date(s.payload.ts).getUTCHours()));
    expect([...utcHours].sort()).toEqual([13, 14]);
  });
});
