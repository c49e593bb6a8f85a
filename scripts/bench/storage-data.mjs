// Data of the storage benchmark: what current agents publish for N machines over D local days
// (retained state changes as the agent's MachineStateTracker commits them, run events, sensor
// outages) and their 1 Hz current readings, written through the hub's own store (Store.enqueue
// → BatchWriter → RowWriter, one transaction per batch). Deterministic per machine (seeded).
import { addDays, mulberry32, weekdayOf } from '@mieruka/protocol';

export const SITE = 'plant';
const DWELL_MS = 3_000; // MachineConfig.minDwellS default: a state is committed 3 s after its first reading
const OFFLINE_AFTER_MS = 15_000; // MachineConfig.offlineAfterS default
const MIN = 60_000;

export const machineIds = (n) => Array.from({ length: n }, (_, i) => `m-${String(i + 1).padStart(2, '0')}`);

const prng = mulberry32;

/** Work pattern of machine i: day shift, two shifts, or around the clock with Sundays off. */
function pattern(i) {
  if (i % 7 === 3) return { start: [0, 0], end: [24, 0], days: [1, 2, 3, 4, 5, 6] };
  if (i % 4 === 1) return { start: [6, 0], end: [22, 0], days: [1, 2, 3, 4, 5] };
  return { start: [8, 0], end: [17, 30], days: [1, 2, 3, 4, 5] };
}

/**
 * The state stretches of one machine, [start, end) each, from `firstDate` to `now`:
 * off outside its shifts, idle gaps and runs inside, now and then a sensor outage (unknown).
 */
export function machineTimeline(index, clock, firstDate, now) {
  const rand = prng(index * 7919 + 17);
  const p = pattern(index);
  const out = [];
  const push = (state, start, end) => {
    if (!(end > start)) return;
    const last = out.at(-1);
    if (last && last.state === state) last.end = end;
    else out.push({ state, start, end });
  };
  let cursor = clock.startOfDay(firstDate);
  for (let date = firstDate; cursor < now; date = addDays(date, 1)) {
    const dayEnd = clock.startOfDay(addDays(date, 1));
    const works = p.days.includes(weekdayOf(date)) || rand() < 0.05; // the odd weekend job
    if (works) {
      const shiftStart = clock.instant(date, p.start[0], p.start[1]) + Math.floor(rand() * 20) * MIN;
      const shiftEnd = Math.min(dayEnd, p.end[0] === 24 ? dayEnd : clock.instant(date, p.end[0], p.end[1]) + Math.floor(rand() * 30) * MIN);
      push('off', cursor, shiftStart);
      let t = shiftStart;
      while (t < shiftEnd) {
        const gap = (3 + Math.floor(rand() * 40)) * MIN + Math.floor(rand() * 60_000);
        if (rand() < 0.03) {
          // The sensor went silent mid-gap: unknown for a while, then idle again.
          const silent = Math.min(shiftEnd, t + gap);
          push('idle', t, silent);
          const back = Math.min(shiftEnd, silent + (10 + Math.floor(rand() * 50)) * MIN);
          push('unknown', silent, back);
          t = back;
          continue;
        }
        push('idle', t, Math.min(shiftEnd, t + gap));
        t += gap;
        if (t >= shiftEnd) break;
        const run = (10 + Math.floor(rand() * 140)) * MIN + Math.floor(rand() * 60_000);
        push('running', t, Math.min(shiftEnd, t + run));
        t += run;
      }
      cursor = Math.max(cursor, shiftEnd);
    }
    cursor = Math.max(cursor, Math.min(dayEnd, now));
    push('off', out.at(-1)?.end ?? clock.startOfDay(firstDate), Math.min(dayEnd, now));
  }
  // Nothing after now: the last stretch is still going.
  return out.filter((s) => s.start < now).map((s) => ({ ...s, end: Math.min(s.end, now) }));
}

const AMPS = { off: 0.04, idle: 1.1, running: 6.4, unknown: 0 };

/** Rows an agent's messages become at the hub (status, state, event), in time order. */
export function agentRows(node, timeline, now) {
  const rows = [];
  let seq = 1;
  const first = timeline[0];
  if (!first) return rows;
  rows.push({ kind: 'status', site: SITE, node, receivedAt: first.start, ts: first.start, online: true, agent: 'bridge', version: 'bench', detail: null });
  let runStart = null;
  for (let i = 0; i < timeline.length; i++) {
    const s = timeline[i];
    const previous = timeline[i - 1];
    // The tracker commits a state DWELL_MS after its first reading; an outage is noticed OFFLINE_AFTER_MS after the last one.
    const ts = Math.min(now, s.state === 'unknown' ? s.start + OFFLINE_AFTER_MS : s.start + DWELL_MS);
    if (previous?.state === 'running' && runStart !== null) {
      const interrupted = s.state === 'unknown';
      rows.push({ kind: 'event', site: SITE, node, receivedAt: ts, ts: s.start, seq: seq++, type: 'run_finished', data: { durationS: Math.round((s.start - runStart) / 1000), startedAt: runStart, ...(interrupted ? { interrupted: true } : {}) } });
      runStart = null;
    }
    if (s.state === 'unknown') rows.push({ kind: 'event', site: SITE, node, receivedAt: ts, ts, seq: seq++, type: 'sensor_offline', data: { lastReadingTs: s.start } });
    if (previous?.state === 'unknown') rows.push({ kind: 'event', site: SITE, node, receivedAt: ts, ts: s.start, seq: seq++, type: 'sensor_online', data: { offlineS: Math.round((s.start - previous.start) / 1000), lastReadingTs: previous.start } });
    if (ts >= now && i > 0) break; // not committed yet
    rows.push({ kind: 'state', site: SITE, node, receivedAt: ts, ts, state: s.state, since: s.start, irms: [AMPS[s.state]] });
    if (s.state === 'running') {
      runStart = s.start;
      rows.push({ kind: 'event', site: SITE, node, receivedAt: ts, ts: s.start, seq: seq++, type: 'run_started', data: previous?.state === 'unknown' ? { afterOffline: true } : {} });
    }
  }
  return rows.sort((a, b) => a.receivedAt - b.receivedAt);
}

/** Writes every machine's status, state and event rows. Returns the row count. */
export async function writeAgentRows(store, nodes, timelines, now) {
  let n = 0;
  nodes.forEach((node, i) => {
    for (const row of agentRows(node, timelines[i], now)) {
      store.enqueue(row);
      n++;
    }
  });
  await store.flush();
  return n;
}

/**
 * 1 Hz readings of every machine for the local days from `lastDate` backwards, one day
 * (all machines) at a time, while `budgetMs` lasts. Returns { days, rows, ms }.
 */
export async function writeReadings(store, nodes, timelines, clock, lastDate, now, maxDays, budgetMs) {
  const t0 = performance.now();
  let rows = 0;
  let days = 0;
  for (let date = lastDate; days < maxDays; date = addDays(date, -1)) {
    if (days > 0 && performance.now() - t0 > budgetMs) break;
    const from = clock.startOfDay(date);
    const to = Math.min(now, clock.startOfDay(addDays(date, 1)));
    // One machine's day (≤ 86,400 rows) at a time: the store's queue holds at most 500,000 rows,
    // and its writes run only when this loop lets the event loop turn.
    for (const [i, node] of nodes.entries()) {
      const timeline = timelines[i];
      let k = timeline.findIndex((s) => s.end > from);
      for (let t = from; t < to && k >= 0 && k < timeline.length; t += 1000) {
        while (k < timeline.length && timeline[k].end <= t) k++;
        const state = timeline[k]?.state;
        if (!state || state === 'unknown' || t < timeline[k].start) continue; // silent sensor: no reading
        const jitter = ((t / 1000) % 17) / 100;
        store.enqueue({ kind: 'reading', site: SITE, node, receivedAt: t + 20, ts: t, seq: 1_000_000 + t / 1000, irms: [AMPS[state] + jitter] });
        rows++;
      }
      await store.flush();
    }
    days++;
  }
  return { days, rows, ms: performance.now() - t0 };
}
