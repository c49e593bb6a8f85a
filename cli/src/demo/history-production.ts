/**
 * The production side of the demo's history (docs/oee.md), from one machine's state changes:
 * - `cycle` events through every run, the way the current agent reports load peaks: 40–56 s
 *   cycles 3–9 s apart, now and then a pause of a few minutes at the running base. Against the
 *   demo's ideal cycle (DEMO_IDEAL_CYCLE_S) that is a Performance of about 75 %.
 * - one good/scrap entry per working day with cycles, entered after the shift on the dashboard
 *   (one piece per cycle; 0.5–3 % scrap, start-up scrap on some days): Quality ≈ 97–99 %.
 * - reasons a supervisor gives to some stops: the stoppage (breakdown), most lunch breaks
 *   (planned), some waits between runs; stops after `reasonsUntil` and the rest stay unexplained.
 * - current readings from `readingsFrom` on: every 20 s while running (the cycles' peaks at
 *   about twice the base of 3–3.6 A), every minute otherwise (idle ≈ 1.5 A, off at the 0.12 A
 *   standby) — a bridge reporting that often, not the live 1 Hz, keeps the backfill quick.
 *   The demo machines' offlineAfterS is that minute, so each reading's energy counts until the next.
 */
import type { LocalTime, MachineState } from '@mieruka/protocol';
import type { HistoryItem } from './history.js';

export type StateChange = { state: Exclude<MachineState, 'unknown'>; start: number };

export type ProductionInput = {
  node: string;
  /** The machine's state changes in order (the first one: off at the history's start). */
  changes: readonly StateChange[];
  now: number;
  clock: LocalTime;
  /** The machine's stoppage (running straight to off), if it had one. */
  stoppage: { from: number; to: number } | null;
  readingsFrom: number;
  /** Reasons are given only to stops that end (plus the supervisor's delay) before this. */
  reasonsUntil: number;
  rand: () => number;
};

const S = 1000;
const MIN = 60 * S;
const RUNNING_STEP_MS = 20 * S;
/** The longest gap between two readings (demo-machines.ts makes it the machines' offlineAfterS). */
export const HISTORY_READING_GAP_S = 60;
const OTHER_STEP_MS = HISTORY_READING_GAP_S * S;
/** Codes of the config's default reasons (config-schema.ts oee.reasons) a wait between runs gets. */
const WAIT_REASONS = ['material', 'setup', 'tooling', 'operator', 'quality'] as const;

type Cycle = { start: number; end: number; peakA: number; meanA: number };

const uniform = (rand: () => number, lo: number, hi: number) => lo + rand() * (hi - lo);
const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

export function productionOf(input: ProductionInput): HistoryItem[] {
  const { node, changes, now, clock, rand } = input;
  const items: HistoryItem[] = [];
  // The machine's running base and how far its peaks rise above it (as the simulator's profile).
  const baseA = uniform(rand, 3, 3.6);
  const peakFactor = uniform(rand, 2, 2.4);

  const endOf = (i: number) => Math.min(changes[i + 1]?.start ?? now, now);
  const cycles: Cycle[] = [];
  for (const [i, c] of changes.entries()) {
    if (c.state !== 'running') continue;
    const runEnd = endOf(i);
    let t = c.start + Math.round(uniform(rand, 10, 60) * S);
    for (;;) {
      const durationMs = Math.round(uniform(rand, 40, 56) * S);
      if (t + durationMs > runEnd - 5 * S) break;
      const peakA = round2(baseA * peakFactor * uniform(rand, 0.95, 1.08));
      cycles.push({ start: t, end: t + durationMs, peakA, meanA: round2(peakA * uniform(rand, 0.86, 0.93)) });
      t += durationMs + Math.round(uniform(rand, 3, 9) * S);
      // Now and then the operator is away a while (a long gap at the running base).
      if (rand() < 0.05) t += Math.round(uniform(rand, 60, 150) * S);
    }
  }
  for (const c of cycles) {
    items.push({
      at: c.end,
      node,
      kind: 'event',
      payload: { ts: c.end, type: 'cycle', startTs: c.start, durationS: (c.end - c.start) / 1000, peakA: c.peakA, meanA: c.meanA },
    });
  }

  // One entry per local day with cycles, over its working hours, entered 10 minutes after the last state change of the day.
  const byDate = new Map<string, { count: number; first: number; last: number }>();
  for (const c of cycles) {
    const date = clock.dateOf(c.start);
    const d = byDate.get(date) ?? { count: 0, first: c.start, last: c.end };
    d.count += 1;
    d.last = c.end;
    byDate.set(date, d);
  }
  for (const [date, d] of byDate) {
    const start = clock.instant(date, 8, 0);
    const end = Math.max(d.last, clock.instant(date, 17, 0));
    const at = end + 10 * MIN;
    if (at > now) continue;
    const startupScrap = rand() < 0.3 ? 1 + Math.floor(rand() * 3) : 0;
    const scrap = Math.round(d.count * uniform(rand, 0.005, 0.03));
    const good = Math.max(0, d.count - scrap - startupScrap);
    items.push({ at, node, kind: 'quality', entry: { start: Math.min(start, d.first), end, good, scrap, startupScrap }, by: 'demo-foreman' });
  }

  // Reasons for stops: stretches without running, given after they end.
  for (let i = 0; i < changes.length; i++) {
    if (changes[i]!.state === 'running') continue;
    let j = i;
    while (j + 1 < changes.length && changes[j + 1]!.state !== 'running') j++;
    const from = changes[i]!.start;
    const to = changes[j + 1]?.start ?? now;
    const hasOff = changes.slice(i, j + 1).some((c) => c.state === 'off');
    i = j;
    if (to >= now || to + 5 * MIN > input.reasonsUntil) continue;
    const date = clock.dateOf(from);
    const lunch = clock.instant(date, 12, 30);
    let code: string | null = null;
    let within = from + Math.round((to - from) / 2);
    if (input.stoppage && from <= input.stoppage.from && to >= input.stoppage.to) {
      code = 'breakdown';
      within = input.stoppage.from + MIN;
    } else if (from < lunch && to > lunch && to - from < 3 * 3_600_000) {
      if (rand() < 0.7) code = 'break';
      within = lunch;
    } else if (!hasOff && to - from >= 6 * MIN && rand() < 0.25) {
      code = WAIT_REASONS[Math.floor(rand() * WAIT_REASONS.length)]!;
    }
    if (code !== null) items.push({ at: to + 5 * MIN, node, kind: 'reason', within, code, by: 'demo-supervisor' });
  }

  // Current readings: the state's level, the cycles' peaks while running.
  let k = 0;
  let ci = 0;
  for (let t = Math.max(input.readingsFrom, changes[0]?.start ?? now); t <= now; ) {
    while (k + 1 < changes.length && changes[k + 1]!.start <= t) k++;
    const state = changes[k]?.state ?? 'off';
    while (ci < cycles.length && cycles[ci]!.end < t) ci++;
    const cycle = cycles[ci];
    let amps: number;
    if (state === 'running') amps = cycle && cycle.start <= t ? cycle.peakA * uniform(rand, 0.85, 1) : baseA * uniform(rand, 0.93, 1.07);
    else if (state === 'idle') amps = uniform(rand, 1.4, 1.6);
    else amps = uniform(rand, 0.11, 0.13);
    items.push({ at: t, node, kind: 'current', payload: { ts: t, irms: [amps >= 1 ? round1(amps) : round2(amps)] } });
    t += state === 'running' ? RUNNING_STEP_MS : OTHER_STEP_MS;
  }
  return items;
}
