// The query side of the storage benchmark, run in a fresh process per sample so the first
// round is cold (fresh process, freshly opened database, as after a hub start). It asks what
// the dashboard asks for each machine — GET …/utilization?by=day and …/jobs over 30 local
// days, which the hub answers with ReportsService.usage / .jobs — then repeats the round warm,
// and computes the same answers without roll-ups, straight from the raw observations
// (states, offline marks, hub outages, run events), to check they are equal.
//   node storage-queries.mjs '<json: file, now, timeZone, nodes, from, to, warmRounds, trace>'
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { LocalTime } from '@mieruka/protocol';
import { openDatabase, ReportsService, SqliteSqlStore } from '@mieruka/broker';

const dist = (p) => new URL(`../../broker/dist/reports/${p}`, import.meta.url).href;
const { ObservationReader } = await import(dist('observations.js'));
const { deriveSegments } = await import(dist('timeline.js'));
const { accumulate, addDurations, bucketsFrom, emptyDurations, usageFigures } = await import(dist('usage.js'));
const { deriveJobs, RUN_EVENT_TYPES } = await import(dist('jobs.js'));

const SITE = 'plant';

function rawTimeline(db, node) {
  const marks = db.prepare('SELECT id, down_at AS ts FROM hub_runs WHERE down_at IS NOT NULL ORDER BY down_at, id').all();
  const reader = new ObservationReader(new SqliteSqlStore(db), () => marks);
  const segments = async (from, end) => {
    if (!(end > from)) return [];
    const rest = await reader.between(SITE, node, from, end);
    const next = await reader.atOrAfter(SITE, node, end);
    if (next) rest.push(next);
    return deriveSegments(await reader.before(SITE, node, from), rest, from, end);
  };
  return { reader, segments };
}

/** Utilization by day over [from, to) computed from the raw observations only. */
export async function referenceUsage(db, clock, now, node, range) {
  const { segments } = rawTimeline(db, node);
  // Utilization by day: the timeline cut at local midnights.
  const end = Math.min(range.to, now);
  const days = bucketsFrom(clock.dayBoundaries(range.from, end));
  accumulate(days, await segments(range.from, end));
  const total = emptyDurations();
  const rows = days.map((d) => {
    addDurations(total, d.ms);
    return { start: d.start, end: d.end, label: clock.dateOf(d.start), shift: null, ...usageFigures(d.ms) };
  });
  return { rows, total: { start: range.from, end: Math.max(range.from, end), ...usageFigures(total) }, now };
}

/** Jobs over [from, to) computed from the raw observations only. */
export async function referenceJobs(db, now, node, range) {
  const { reader, segments } = rawTimeline(db, node);
  // Jobs: every run event of the machine, and the whole timeline from its first state to now.
  const types = RUN_EVENT_TYPES.map((t) => `'${t}'`).join(', ');
  const events = db
    .prepare(`SELECT ts, seq, type, data FROM events WHERE site = ? AND node = ? AND type IN (${types}) ORDER BY ts, seq`)
    .all(SITE, node)
    .map((e) => ({ ts: e.ts, seq: e.seq, type: e.type, data: JSON.parse(e.data) }));
  const first = (await reader.firstStateTs(SITE, node)) ?? range.from;
  return { jobs: deriveJobs(events, await segments(Math.min(first, range.from), now), range, now), now };
}

async function round(reports, nodes, range) {
  const usage = [];
  const jobs = [];
  const t0 = performance.now();
  for (const node of nodes) usage.push(await reports.usage(SITE, node, range, 'day'));
  const t1 = performance.now();
  for (const node of nodes) jobs.push(await reports.jobs(SITE, node, range));
  const t2 = performance.now();
  const machines = await reports.listMachines([]);
  const t3 = performance.now();
  return { usage, jobs, machines, ms: { usage: t1 - t0, jobs: t2 - t1, machines: t3 - t2 } };
}

/**
 * The same rounds on any store (the PostgreSQL copy of the bench's data): the first round, then
 * `warmRounds` more, in this process; returns the first round's answers to compare.
 */
export async function measureStore(sql, args) {
  const { now, timeZone, nodes, from, to, warmRounds } = args;
  const reports = new ReportsService({ sql: () => sql, timeZone, shifts: [], site: SITE, logger: pino({ level: 'silent' }), now: () => now, rollupIntervalMs: 0, aliveIntervalMs: 0 });
  await reports.start();
  try {
    const first = await round(reports, nodes, { from, to });
    const warm = [];
    for (let i = 0; i < warmRounds; i++) warm.push((await round(reports, nodes, { from, to })).ms);
    return { first: first.ms, warm, answers: nodes.map((_n, k) => ({ usage: first.usage[k], jobs: first.jobs[k] })) };
  } finally {
    await reports.stop();
  }
}

export async function measure(args) {
  const { file, now, timeZone, nodes, from, to, warmRounds } = args;
  const range = { from, to };
  const logger = pino({ level: 'silent' });
  const tOpen = performance.now();
  const db = openDatabase(file, { now: () => now });
  const reports = new ReportsService({ sql: () => new SqliteSqlStore(db), timeZone, shifts: [], site: SITE, logger, now: () => now, rollupIntervalMs: 0, aliveIntervalMs: 0 });
  await reports.start();
  const openMs = performance.now() - tOpen;
  try {
    const cold = await round(reports, nodes, range);
    const warm = [];
    for (let i = 0; i < warmRounds; i++) warm.push((await round(reports, nodes, range)).ms);
    // The reference: cold first, then warm.
    const clock = new LocalTime(timeZone);
    const referenceMs = [];
    let reference = null;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const usage = [];
      for (const node of nodes) usage.push(await referenceUsage(db, clock, now, node, range));
      const t1 = performance.now();
      const jobs = [];
      for (const node of nodes) jobs.push(await referenceJobs(db, now, node, range));
      referenceMs.push({ usage: t1 - t0, jobs: performance.now() - t1 });
      reference = nodes.map((_n, k) => ({ usage: usage[k], jobs: jobs[k] }));
    }
    const mismatches = [];
    nodes.forEach((node, i) => {
      if (JSON.stringify(cold.usage[i]) !== JSON.stringify(reference[i].usage)) mismatches.push(`${node} utilization`);
      if (JSON.stringify(cold.jobs[i]) !== JSON.stringify(reference[i].jobs)) mismatches.push(`${node} jobs`);
    });
    const jobCount = cold.jobs.reduce((n, j) => n + (j?.jobs.length ?? 0), 0);
    const dayRows = cold.usage.reduce((n, u) => n + (u?.rows.length ?? 0), 0);
    const running = cold.usage.reduce((s, u) => s + (u?.total.seconds.running ?? 0), 0);
    return { openMs, cold: cold.ms, warm, referenceMs, mismatches, jobCount, dayRows, runningS: running, machines: cold.machines.length };
  } finally {
    await reports.stop();
    db.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await measure(JSON.parse(process.argv[2]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
