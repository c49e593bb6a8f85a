/**
 * The state timeline: observations → contiguous stretches [start, end) with one state each.
 *
 * Observation i starts its state at `min(ts_i, max(since_i, ts_{i-1}))`: the agent's `since`
 * is trusted back to the previous thing the hub heard (so a state re-published after an
 * outage, with its old `since`, fills the outage), never further back; the very first
 * observation starts at its own ts (before it the hub had heard nothing: unknown). A state
 * holds until the next one starts. Repeats of the same state simply continue it, so a
 * re-published retained state never counts twice.
 */
import type { MachineState } from '@mieruka/protocol';
import type { Observation } from './observations.js';

export type Segment = { state: MachineState; start: number; end: number };

/**
 * Stretches covering exactly [from, end), merged where the state repeats.
 * `previous`: the last observation with ts < from (null when there is none: then the first of
 * `rest` is the machine's first observation). `rest`: the observations with ts ≥ from in
 * order, up to and including the first with ts ≥ end, if any (later ones cannot matter).
 */
export function deriveSegments(previous: Observation | null, rest: readonly Observation[], from: number, end: number): Segment[] {
  const out: Segment[] = [];
  if (!(end > from)) return out;
  const push = (state: MachineState, start: number, stop: number) => {
    if (!(stop > start)) return;
    const last = out.at(-1);
    if (last && last.state === state && last.end === start) last.end = stop;
    else out.push({ state, start, end: stop });
  };
  let cursor = from;
  let state: MachineState = previous ? previous.state : 'unknown';
  let previousTs: number | null = previous ? previous.ts : null;
  for (const o of rest) {
    const start = previousTs === null ? o.ts : Math.min(o.ts, Math.max(o.since, previousTs));
    if (start > cursor) {
      push(state, cursor, Math.min(start, end));
      cursor = start;
    }
    if (cursor >= end) break;
    state = o.state;
    previousTs = o.ts;
  }
  if (cursor < end) push(state, cursor, end);
  return out;
}
