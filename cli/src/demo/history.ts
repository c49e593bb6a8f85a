/**
 * The demo's month of history, as its agents would have published it: per machine the state
 * changes and run events of its shifts (weekdays 08:00–12:00 and 13:00–17:00, every second
 * machine also 18:00–21:00; weekends off), idle spells between runs, a few long jobs and — on
 * the first machine — one stoppage of several hours (running straight to off, which raises an
 * alarm); per bench the clutter scores at its slots on weekdays with a weekly pattern (tidy on
 * Monday, messy on Friday, noise), the last days' shots with the nearest sample photo; and the
 * moments someone acknowledges a node's alarms (never in the last days, so some stay open).
 * Production figures (docs/oee.md) come with it: the machining cycles of every run (history-
 * production.ts: a realistic cadence, Performance ≈ 75 % against the demo's ideal cycle), one
 * good/scrap entry per machine and working day (Quality ≈ 97–99 %), reasons for some past
 * stops (the stoppage, lunch breaks, a few waits; the latest days' stops stay unexplained)
 * and, for the last `energyDays`, the current readings energy is computed from.
 * Pure and seeded: the same input gives the same history. Times are local in `timeZone`.
 */
import { addDays, LocalTime, mulberry32, weekdayOf, type MachineState, type PayloadOf } from '@mieruka/protocol';
import { productionOf } from './history-production.js';

export type HistoryInput = {
  /** The history ends here (nothing after it). */
  now: number;
  timeZone: string;
  machines: readonly string[];
  station: string;
  /** The bench's slots, HH:MM local. */
  slots: readonly string[];
  /** Sample photos and the score each shows; a shot is illustrated by the nearest one. */
  photos: readonly { id: string; score: number }[];
  /** Local days before today (today, up to `now`, comes on top). Default 30. */
  days?: number;
  /** Shots of today and the days before it, this many in all, carry a photo; older ones none. Default 7. */
  imageDays?: number;
  /** Acknowledgements stop this many days before `now`: the latest alarms stay open. Default 3. */
  openDays?: number;
  seed?: number;
  /** Current readings (for energy) cover this many local days before today (more when they hold fewer than two working days), and today. Default 3. */
  energyDays?: number;
};

type StatePayload = PayloadOf<'state'>;
/** An event without its seq (the backfill takes it from the agent's counter). Omit<> would lose the named keys to the index signature. */
type EventPayload = { ts: number; type: string; [key: string]: unknown };
type ClutterPayload = Omit<PayloadOf<'clutter'>, 'seq'>;

/** What happens at `at` (the moment the agent published it, or the acknowledgement is made). */
export type HistoryItem =
  | { at: number; node: string; kind: 'status'; payload: PayloadOf<'status'> }
  | { at: number; node: string; kind: 'state'; payload: StatePayload }
  | { at: number; node: string; kind: 'event'; payload: EventPayload }
  | { at: number; node: string; kind: 'clutter'; payload: ClutterPayload; photo: string | null }
  | { at: number; node: string; kind: 'ack'; by: string }
  /** A current reading (the `current` topic; seq from the agent's counter). */
  | { at: number; node: string; kind: 'current'; payload: { ts: number; irms: number[] } }
  /** Good/scrap pieces a foreman enters on the dashboard for a day's shifts. */
  | { at: number; node: string; kind: 'quality'; entry: { start: number; end: number; good: number; scrap: number; startupScrap: number }; by: string }
  /** A supervisor gives the stop that covers `within` a reason. */
  | { at: number; node: string; kind: 'reason'; within: number; code: string; by: string };

export type History = {
  /** First instant of the first day (local midnight `days` days before today) and the end (`now`). */
  from: number;
  /** The first message, a minute before `from`: the first day is known from its first second. */
  start: number;
  to: number;
  firstDate: string;
  /** Local days before today. */
  days: number;
  /** The local date of `now`. */
  today: string;
  /** The machine that stopped for hours, and when (null when the range holds no weekday for it). */
  stoppage: { node: string; from: number; to: number } | null;
  /** By `at`, in publishing order. */
  items: HistoryItem[];
};

export const HISTORY_AGENT_VERSION = 'demo-history';
/** The agent commits a state this long after its first reading (the demo's minDwellS). */
const DWELL_MS = 2_000;
const MIN = 60_000;
/** The demo machines' standby draw when off (demo-machines.ts sensor.offLevelA) and idle level. */
const AMPS: Record<Exclude<MachineState, 'unknown'>, number> = { off: 0.12, idle: 1.5, running: 6.4 };
/** Clutter score at the first slot, by weekday (0 = Sunday): tidy after the weekend, messy by Friday. */
const WEEKDAY_SCORE = [0, 10, 18, 26, 34, 50, 0];
/** How much the bench fills up from the first to the last slot of a day. */
const DAY_RISE = 16;
const NOISE = 6;

const SHIFTS: ReadonlyArray<readonly [number, number, number, number]> = [
  [8, 0, 12, 0],
  [13, 0, 17, 0],
];
const EVENING: readonly [number, number, number, number] = [18, 0, 21, 0];

export const isWorkday = (date: string): boolean => {
  const w = weekdayOf(date);
  return w >= 1 && w <= 5;
};

/** Seeded, so the same seed gives the same month (protocol's mulberry32). */
export const prng = mulberry32;

const between = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const round1 = (x: number) => Math.round(x * 10) / 10;

export function generateHistory(input: HistoryInput): History {
  const clock = new LocalTime(input.timeZone);
  const days = input.days ?? 30;
  const seed = input.seed ?? 1;
  const today = clock.dateOf(input.now);
  const firstDate = addDays(today, -days);
  const from = clock.startOfDay(firstDate);
  const start = from - MIN;
  const dates = Array.from({ length: days + 1 }, (_v, i) => addDays(firstDate, i));
  const workdays = dates.filter(isWorkday);
  const ackUntil = input.now - (input.openDays ?? 3) * 86_400_000;
  // Readings (energy) for the last `energyDays`, reaching back further until two working days are in.
  let energyFrom = addDays(today, -(input.energyDays ?? 3));
  while (energyFrom > firstDate && dates.filter((d) => d >= energyFrom && d < today && isWorkday(d)).length < 2) energyFrom = addDays(energyFrom, -1);
  const items: HistoryItem[] = [];

  // The stoppage: the first machine, on the weekday nearest to 9 days ago (going back).
  const stoppageDate = [...workdays].reverse().find((d) => d <= addDays(today, -9)) ?? null;
  const stoppageNode = input.machines[0];
  const stoppage =
    stoppageDate !== null && stoppageNode !== undefined ? { node: stoppageNode, from: clock.instant(stoppageDate, 10, 20), to: clock.instant(stoppageDate, 14, 0) } : null;

  input.machines.forEach((node, index) => {
    const rand = prng(seed * 1009 + index * 7919 + 1);
    // Two long jobs per machine, on weekdays between a month and three days ago (not the stoppage).
    const candidates = workdays.filter((d) => d < addDays(today, -2) && d !== stoppageDate);
    const longDays = new Set<string>();
    while (longDays.size < Math.min(2, candidates.length)) longDays.add(candidates[between(rand, 0, candidates.length - 1)]!);
    const changes: Array<{ state: Exclude<MachineState, 'unknown'>; start: number }> = [{ state: 'off', start }];
    const add = (state: Exclude<MachineState, 'unknown'>, start: number) => {
      if (changes.at(-1)?.state !== state) changes.push({ state, start });
    };
    /** Idle and runs from `t` to `end` (the machine is on); `firstRunMin`: the length of the first run. */
    const work = (t: number, end: number, firstRunMin: number | null) => {
      add('idle', t);
      let first = true;
      for (;;) {
        const runStart = t + between(rand, 4, 25) * MIN + between(rand, 0, 59) * 1000;
        const runMs = (first && firstRunMin !== null ? firstRunMin : between(rand, 20, 80)) * MIN + between(rand, 0, 59) * 1000;
        // A run ends, then the machine idles a while before it is switched off: no run reaches the end.
        if (runStart + runMs > end - 3 * MIN) break;
        add('running', runStart);
        add('idle', runStart + runMs);
        t = runStart + runMs;
        first = false;
      }
      add('off', end + between(rand, 0, 5) * MIN);
    };
    for (const date of dates) {
      if (!isWorkday(date)) continue;
      const at = (h: number, m: number) => clock.instant(date, h, m);
      const shifts = index % 2 === 1 ? [...SHIFTS, EVENING] : SHIFTS;
      if (stoppage && node === stoppage.node && date === stoppageDate) {
        // Running since 08:30, then the power goes at 10:20; back at 14:00.
        add('idle', at(8, 4));
        add('running', at(8, 30));
        add('off', stoppage.from);
        work(stoppage.to, at(17, 0), null);
        items.push({ at: stoppage.from + 15 * MIN, node, kind: 'ack', by: 'demo-foreman' });
        continue;
      }
      if (longDays.has(date)) {
        // A long job runs through the lunch break.
        const [sh, sm] = shifts[0]!;
        const [, , eh, em] = shifts[1]!;
        work(at(sh, sm) + between(rand, 2, 12) * MIN, at(eh, em), between(rand, 240, 300));
        for (const [h1, m1, h2, m2] of shifts.slice(2)) work(at(h1, m1) + between(rand, 2, 12) * MIN, at(h2, m2), null);
      } else {
        for (const [h1, m1, h2, m2] of shifts) work(at(h1, m1) + between(rand, 2, 12) * MIN, at(h2, m2), null);
      }
      // Someone acknowledges the machine's open alarms at lunch, on about half of the days.
      if (rand() < 0.5) items.push({ at: at(12, 5), node, kind: 'ack', by: 'demo-foreman' });
    }

    items.push({ at: start, node, kind: 'status', payload: { online: true, ts: start, agent: 'bridge', version: HISTORY_AGENT_VERSION } });
    let runStart: number | null = null;
    for (const [i, c] of changes.entries()) {
      const at = c.start + DWELL_MS;
      if (at > input.now) break;
      const irms = c.state === 'running' ? round1(AMPS.running + rand() * 1.5) : AMPS[c.state];
      items.push({ at, node, kind: 'state', payload: { ts: at, state: c.state, since: c.start, irms: [irms] } });
      // As the current agent does: a run starts or finishes where the state changed.
      if (c.state === 'running') {
        runStart = c.start;
        items.push({ at, node, kind: 'event', payload: { ts: c.start, type: 'run_started' } });
      } else if (i > 0 && changes[i - 1]!.state === 'running' && runStart !== null) {
        items.push({ at, node, kind: 'event', payload: { ts: c.start, type: 'run_finished', durationS: Math.round((c.start - runStart) / 1000), startedAt: runStart } });
        runStart = null;
      }
    }
    items.push(
      ...productionOf({
        node,
        changes,
        now: input.now,
        clock,
        stoppage: stoppage && stoppage.node === node ? stoppage : null,
        readingsFrom: clock.startOfDay(energyFrom),
        reasonsUntil: ackUntil,
        rand: prng(seed * 1009 + index * 7919 + 77),
      }),
    );
  });

  const station = input.station;
  const rand = prng(seed * 1009 + 424_242);
  const firstImageDate = addDays(today, 1 - (input.imageDays ?? 7));
  const nearestPhoto = (score: number) =>
    input.photos.reduce<{ id: string; score: number } | null>((best, p) => (best === null || Math.abs(p.score - score) < Math.abs(best.score - score) ? p : best), null);
  items.push({ at: start, node: station, kind: 'status', payload: { online: true, ts: start, agent: 'clutter-station', version: HISTORY_AGENT_VERSION } });
  const slots = [...input.slots].sort();
  for (const date of dates) {
    if (!isWorkday(date)) continue;
    slots.forEach((slot, k) => {
      const [h, m] = slot.split(':').map(Number) as [number, number];
      const ts = clock.instant(date, h, m) + between(rand, 1, 20) * 1000;
      if (ts + 3_000 > input.now) return;
      const rise = slots.length > 1 ? (DAY_RISE * k) / (slots.length - 1) : 0;
      const score = round1(Math.min(100, Math.max(0, WEEKDAY_SCORE[weekdayOf(date)]! + rise + (rand() * 2 - 1) * NOISE)));
      const photo = date >= firstImageDate ? (nearestPhoto(score)?.id ?? null) : null;
      const imageId = photo === null ? null : `${date.replace(/-/g, '')}-${String(h).padStart(2, '0')}${String(m).padStart(2, '0')}00-${station}`;
      items.push({ at: ts + 3_000, node: station, kind: 'clutter', payload: { ts, score, coveredRatio: round1(score) / 100, slot, imageId }, photo });
    });
    // The evening round: someone acknowledges the bench's alarms on most days.
    const evening = clock.instant(date, 17, 30);
    if (rand() < 0.6 && evening <= ackUntil) items.push({ at: evening, node: station, kind: 'ack', by: 'demo-foreman' });
  }

  const sorted = items.filter((it) => it.at <= input.now && (it.kind !== 'ack' || it.at <= ackUntil || (stoppage !== null && it.at === stoppage.from + 15 * MIN)));
  // Stable: items of one node keep their publishing order at equal times.
  sorted.sort((a, b) => a.at - b.at);
  return { from, start, to: input.now, firstDate, days, today, stoppage, items: sorted };
}
