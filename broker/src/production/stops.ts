/**
 * Downtime stops: maximal stretches of off/idle (off ↔ idle joined) inside planned time
 * (docs/oee.md#stops). A stretch that crosses the end or the start of a shift is cut there;
 * the part in the next shift is a stop of its own. A stop's id is (site, node, start) with the clipped start,
 * so it never depends on the range asked (stops are always cut from whole shift windows).
 */
import type { DowntimeStop, LossCategory } from '@mieruka/protocol';
import type { Segment } from '../reports/timeline.js';
import type { Interval } from './planned-time.js';

/** A stop before its reason is looked up. */
export type RawStop = { start: number; end: number; ongoing: boolean; offMs: number; idleMs: number };

/** Stops inside `plan` (merged intervals) from the timeline `segments` (sorted). `now`: a stop reaching it is still going. */
export function deriveStops(segments: readonly Segment[], plan: readonly Interval[], now: number): RawStop[] {
  const out: RawStop[] = [];
  for (const p of plan) {
    let open: RawStop | null = null;
    for (const s of segments) {
      if (s.end <= p.start) continue;
      if (s.start >= p.end) break;
      const start = Math.max(s.start, p.start);
      const end = Math.min(s.end, p.end);
      if (!(end > start)) continue;
      if (s.state !== 'off' && s.state !== 'idle') {
        open = null;
        continue;
      }
      if (!open || open.end !== start) {
        open = { start, end, ongoing: false, offMs: 0, idleMs: 0 };
        out.push(open);
      }
      open.end = end;
      if (s.state === 'off') open.offMs += end - start;
      else open.idleMs += end - start;
    }
  }
  for (const s of out) s.ongoing = s.end >= now;
  return out;
}

export type StopRules = { microstopBelowS: number; askReasonAfterS: number };
export type StoredReason = { code: string; by: string; at: number };

/** The stop as the dashboard sees it. */
export function toDowntimeStop(site: string, node: string, raw: RawStop, reason: StoredReason | null, rules: StopRules, now: number): DowntimeStop {
  const durationS = ((raw.ongoing ? Math.max(raw.end, now) : raw.end) - raw.start) / 1000;
  const microstop = durationS < rules.microstopBelowS;
  return {
    site,
    node,
    start: raw.start,
    end: raw.ongoing ? null : raw.end,
    durationS,
    // The longer of the two; a tie is idle (the machine was powered and waiting).
    state: raw.offMs > raw.idleMs ? 'off' : 'idle',
    reason,
    microstop,
    needsReason: !microstop && reason === null && durationS >= rules.askReasonAfterS,
  };
}

/** Where a stop's time goes: its reason's category, `unexplained` without a reason, `minor` for a microstop. */
export function stopCategory(stop: DowntimeStop, categoryOf: (code: string) => LossCategory): LossCategory | 'unexplained' | 'minor' {
  if (stop.microstop) return 'minor';
  if (!stop.reason) return 'unexplained';
  return categoryOf(stop.reason.code);
}
