/**
 * Planned production time: the work shifts as time intervals, and the small interval algebra
 * the OEE figures are built from (docs/oee.md#planned-time). A shift whose end is at or before
 * its start runs past midnight and belongs to the day it starts on (protocol's shiftWindows).
 */
import { DAY_MS, shiftWindows, type LocalTime, type ShiftSpec } from '@mieruka/protocol';

/** [start, end) in epoch ms. */
export type Interval = { start: number; end: number };

/** Sorted, overlapping or touching intervals joined. */
export function mergeIntervals(list: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const i of [...list].filter((x) => x.end > x.start).sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** The parts of `list` inside [from, to). */
export function clipIntervals(list: readonly Interval[], from: number, to: number): Interval[] {
  const out: Interval[] = [];
  for (const i of list) {
    const start = Math.max(i.start, from);
    const end = Math.min(i.end, to);
    if (end > start) out.push({ start, end });
  }
  return out;
}

/** `a` without `b` (both merged: sorted, disjoint). */
export function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const i of a) {
    let cursor = i.start;
    for (const cut of b) {
      if (cut.end <= cursor || cut.start >= i.end) continue;
      if (cut.start > cursor) out.push({ start: cursor, end: cut.start });
      cursor = Math.max(cursor, cut.end);
    }
    if (cursor < i.end) out.push({ start: cursor, end: i.end });
  }
  return out;
}

export function totalMs(list: readonly Interval[]): number {
  return list.reduce((sum, i) => sum + (i.end - i.start), 0);
}

/** Milliseconds of [from, to) that lie inside `list` (merged). */
export function overlapMs(list: readonly Interval[], from: number, to: number): number {
  return totalMs(clipIntervals(list, from, to));
}

/**
 * The shift windows that overlap [from, to), joined where shifts overlap or touch, clipped to
 * [from, to). A window that began before `from` (a night shift from yesterday) is included.
 */
export function shiftIntervals(shifts: readonly ShiftSpec[], clock: LocalTime, from: number, to: number): Interval[] {
  if (!(to > from)) return [];
  // A shift lasts at most a day (25 h across DST): one overlapping `from` began in the two days before.
  const windows = shiftWindows(shifts, clock, from - 2 * DAY_MS, to).filter((w) => w.end > from);
  return clipIntervals(mergeIntervals(windows), from, to);
}

/**
 * The planned time around [from, to) in pieces that stops are cut from: the shift windows
 * joined, then cut again wherever a shift starts (a new crew gives its own reasons), not clipped
 * to the range. A piece's start depends only on the windows that began in the 25 h before it,
 * all of which are read here, so a stop's start — its id — never depends on the range asked
 * (a bare union would: with shifts tiling the day it reaches back as far as the range does).
 */
export function shiftIntervalsAround(shifts: readonly ShiftSpec[], clock: LocalTime, from: number, to: number): Interval[] {
  if (!(to > from)) return [];
  const windows = shiftWindows(shifts, clock, from - 2 * DAY_MS, to);
  const starts = [...new Set(windows.map((w) => w.start))].sort((a, b) => a - b);
  const out: Interval[] = [];
  for (const m of mergeIntervals(windows)) {
    let cursor = m.start;
    for (const s of starts) {
      if (s <= cursor || s >= m.end) continue;
      out.push({ start: cursor, end: s });
      cursor = s;
    }
    out.push({ start: cursor, end: m.end });
  }
  return out.filter((i) => i.end > from);
}
