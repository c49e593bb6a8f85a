// The dashboard's 30-day utilization and jobs queries for 50 machines, cold and warm, against
// the same answers computed without roll-ups from the raw observations (same run, same data).
// Data: 30 local days of what current agents publish (state changes, run events, outages),
// written through the hub's store (BatchWriter → RowWriter), plus 1 Hz readings for as many of
// the latest days as fit the time budget; EXPLAIN QUERY PLAN of every statement the queries
// run shows that none reads the readings table, so its size cannot change these figures. Then
// the same data moved into a throw-away PostgreSQL (as `mieruka store migrate` moves it), the
// same queries on it (fleet mode), answers equal to SQLite's.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { addDays, LocalTime } from '@mieruka/protocol';
import { copySqliteToPostgres, migratePostgres, openDatabase, openPostgres, PostgresSqlStore, ReportsService, SqliteSqlStore, Store } from '@mieruka/broker';
import { fmt, printTable, quantile, saveResult } from './lib.mjs';
import { machineIds, machineTimeline, SITE, writeAgentRows, writeReadings } from './storage-data.mjs';
import { startPostgres } from './postgres.mjs';
import { measureStore } from './storage-queries.mjs';

export const name = 'storage';
// Building the data (~35 s), five query processes, then copying ~7 M rows into PostgreSQL (~140 s).
export const limitMs = 360_000;

const SMOKE = process.env.MIERUKA_BENCH_SMOKE === '1';
const MACHINES = SMOKE ? 4 : 50;
const DAYS = SMOKE ? 3 : 30;
const READING_DAYS_MAX = SMOKE ? 1 : DAYS;
const READING_BUDGET_MS = SMOKE ? 2_000 : 30_000;
const COLD_SAMPLES = SMOKE ? 1 : 5;
const WARM_ROUNDS = SMOKE ? 2 : 10;
const TIME_ZONE = 'Asia/Tokyo';
const GOAL_MS = 100;
const logger = pino({ level: 'silent' });
const run$ = promisify(execFile);
const worker = fileURLToPath(new URL('./storage-queries.mjs', import.meta.url));

async function build(dir, clock, now) {
  const today = clock.dateOf(now);
  const firstDate = addDays(today, -DAYS); // one day before the range: the range starts with a known state
  const nodes = machineIds(MACHINES);
  const timelines = nodes.map((_n, i) => machineTimeline(i, clock, firstDate, now));
  const store = new Store({ dataDir: dir, batchSize: 5000, flushIntervalMs: 1000, logger, now: () => now });
  await store.start();
  const t0 = performance.now();
  const agentRowCount = await writeAgentRows(store, nodes, timelines, now);
  const agentMs = performance.now() - t0;
  const readings = await writeReadings(store, nodes, timelines, clock, today, now, READING_DAYS_MAX, READING_BUDGET_MS);
  // The hub keeps roll-ups current on a timer as data arrives; here they are brought up to date once.
  const reports = new ReportsService({ sql: () => store.sql, timeZone: TIME_ZONE, shifts: [], site: SITE, logger, now: () => now, rollupIntervalMs: 0, aliveIntervalMs: 0 });
  await reports.start();
  const t1 = performance.now();
  await reports.updateRollups();
  const rollupMs = performance.now() - t1;
  await reports.stop();
  const counts = await store.counts();
  const stats = store.writerStats();
  await store.stop();
  if (stats.dropped > 0 || stats.rowsWritten !== agentRowCount - MACHINES + readings.rows) {
    throw new Error(`bench: rows lost on the way into the store (written ${stats.rowsWritten}, dropped ${stats.dropped})`);
  }
  if (counts.readings !== readings.rows) throw new Error(`bench: ${readings.rows} readings written, ${counts.readings} stored`);
  return { nodes, store: store.file, agentRowCount, agentMs, readings, rollupMs, counts };
}

/** Every statement a round of queries runs, each with its query plan; throws if one reads `readings`. */
async function explain(file, args) {
  const seen = new Set();
  const db = new Database(file, { verbose: (sql) => seen.add(String(sql)) });
  const reports = new ReportsService({ sql: () => new SqliteSqlStore(db), timeZone: TIME_ZONE, shifts: [], site: SITE, logger, now: () => args.now, rollupIntervalMs: 0, aliveIntervalMs: 0 });
  await reports.start();
  seen.clear();
  for (const node of args.nodes) {
    await reports.usage(SITE, node, args, 'day');
    await reports.jobs(SITE, node, args);
  }
  await reports.stop();
  const plans = new Map();
  for (const sql of seen) {
    if (!/^\s*SELECT/i.test(sql)) continue;
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => r.detail).join('; ');
    // One entry per statement shape (the traced SQL has the parameters filled in).
    plans.set(sql.replace(/-?\d+(\.\d+)?/g, '?').replace(/'[^']*'/g, '?'), plan);
  }
  db.close();
  const touching = [...plans].filter(([sql, plan]) => /\breadings/.test(sql) || /\breadings/.test(plan));
  if (touching.length > 0) throw new Error(`bench: the 30-day queries read the readings table: ${touching.map(([s]) => s).join(' | ')}`);
  return [...plans].map(([sql, plan]) => ({ sql, plan }));
}

/**
 * Fleet mode (issue 17): the same data moved into PostgreSQL as `mieruka store migrate` moves
 * it, the same queries through the same ReportsService, answers equal to SQLite's, in one
 * process each (first round, then warm rounds).
 */
async function onPostgres(args) {
  const server = await startPostgres('mieruka');
  const sqlite = openDatabase(args.file, { now: () => args.now });
  let pool = null;
  try {
    pool = await openPostgres(server.url);
    await migratePostgres(pool, () => args.now);
    const pg = new PostgresSqlStore(pool);
    const t0 = performance.now();
    const copied = await copySqliteToPostgres(sqlite, pg);
    const copyMs = performance.now() - t0;
    const onSqlite = await measureStore(new SqliteSqlStore(sqlite), { ...args, warmRounds: 0 });
    const result = await measureStore(pg, args);
    const mismatches = args.nodes.filter((_n, i) => JSON.stringify(result.answers[i]) !== JSON.stringify(onSqlite.answers[i]));
    if (mismatches.length > 0) throw new Error(`bench: PostgreSQL answers differ from SQLite's for ${mismatches.slice(0, 5).join(', ')}`);
    return { copyMs, copiedRows: copied.rows, first: result.first, warm: result.warm };
  } finally {
    sqlite.close();
    await pool?.end();
    await server.stop();
  }
}

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), max: s.at(-1), n: s.length };
};

export async function run() {
  const dir = await mkdtemp(join(tmpdir(), 'mieruka-bench-storage-'));
  try {
    const clock = new LocalTime(TIME_ZONE);
    const now = Math.floor(Date.now() / 1000) * 1000;
    const today = clock.dateOf(now);
    const range = { from: clock.startOfDay(addDays(today, 1 - DAYS)), to: clock.startOfDay(addDays(today, 1)) };
    const data = await build(dir, clock, now);
    const args = { file: data.store, now, timeZone: TIME_ZONE, nodes: data.nodes, ...range, warmRounds: WARM_ROUNDS };
    const samples = [];
    for (let i = 0; i < COLD_SAMPLES; i++) {
      const { stdout } = await run$(process.execPath, [worker, JSON.stringify(args)], { maxBuffer: 1 << 24 });
      samples.push(JSON.parse(stdout.trim().split('\n').at(-1)));
    }
    const mismatches = samples.flatMap((s) => s.mismatches);
    if (mismatches.length > 0) throw new Error(`bench: roll-up answers differ from the raw-observation answers: ${[...new Set(mismatches)].slice(0, 5).join(', ')}`);
    if (samples[0].dayRows !== MACHINES * DAYS || samples[0].jobCount === 0) throw new Error(`bench: unexpected answers (${samples[0].dayRows} day rows, ${samples[0].jobCount} jobs)`);
    const plans = await explain(data.store, args);
    const postgres = await onPostgres(args);

    const cold = { usage: stat(samples.map((s) => s.cold.usage)), jobs: stat(samples.map((s) => s.cold.jobs)), machines: stat(samples.map((s) => s.cold.machines)) };
    const warmAll = samples.flatMap((s) => s.warm);
    const warm = { usage: stat(warmAll.map((w) => w.usage)), jobs: stat(warmAll.map((w) => w.jobs)), machines: stat(warmAll.map((w) => w.machines)) };
    const refOf = (k) => ({ cold: stat(samples.map((s) => s.referenceMs[0][k])), warm: stat(samples.flatMap((s) => s.referenceMs.slice(1).map((r) => r[k]))) });
    const reference = { usage: refOf('usage'), jobs: refOf('jobs') };
    const result = {
      machines: MACHINES,
      days: DAYS,
      timeZone: TIME_ZONE,
      rows: data.counts,
      readings: { days: data.readings.days, rows: data.readings.rows, rowsPerS: data.readings.rows / (data.readings.ms / 1000) },
      build: { agentRows: data.agentRowCount, agentMs: data.agentMs, readingsMs: data.readings.ms, rollupMs: data.rollupMs },
      jobs: samples[0].jobCount,
      coldMs: cold,
      warmMs: warm,
      openMs: stat(samples.map((s) => s.openMs)),
      referenceMs: reference,
      ratio: { usageWarm: warm.usage.p50 / reference.usage.warm.p50, jobsWarm: warm.jobs.p50 / reference.jobs.warm.p50, usageCold: cold.usage.p50 / reference.usage.cold.p50, jobsCold: cold.jobs.p50 / reference.jobs.cold.p50 },
      // Judged on the warm median: on a shared 2-core VM single rounds stall behind other jobs.
      goal: { warmMs: GOAL_MS, reachedUsage: warm.usage.p50 <= GOAL_MS, reachedJobs: warm.jobs.p50 <= GOAL_MS },
      plans,
      postgres: {
        copyMs: postgres.copyMs,
        copiedRows: postgres.copiedRows,
        firstMs: postgres.first,
        warmMs: { usage: stat(postgres.warm.map((w) => w.usage)), jobs: stat(postgres.warm.map((w) => w.jobs)), machines: stat(postgres.warm.map((w) => w.machines)) },
      },
    };
    result.postgres.ratioToSqlite = { usageWarm: result.postgres.warmMs.usage.p50 / warm.usage.p50, jobsWarm: result.postgres.warmMs.jobs.p50 / warm.jobs.p50 };
    result.goal.reachedPostgres = result.postgres.warmMs.usage.p50 <= GOAL_MS && result.postgres.warmMs.jobs.p50 <= GOAL_MS;
    printTable(
      `Store: ${MACHINES} machines × ${DAYS} days (${data.counts.states} states, ${data.counts.events} events, ${data.readings.rows} readings = ${data.readings.days} day(s) at 1 Hz; ${fmt(result.readings.rowsPerS / 1000, 0)} k readings/s through the store)`,
      ['build step', 'ms'],
      [
        ['states, events, status (BatchWriter → RowWriter)', fmt(data.agentMs, 0)],
        ['readings', fmt(data.readings.ms, 0)],
        ['hourly roll-ups, all machines', fmt(data.rollupMs, 0)],
      ],
    );
    printTable(`The dashboard's ${DAYS}-day queries for all ${MACHINES} machines (cold: first round in a fresh process, ${COLD_SAMPLES} processes; warm: ${warmAll.length} rounds)`, ['query (all machines)', 'cold p50 ms', 'cold max ms', 'warm p50 ms', 'warm max ms'], [
      [`utilization?by=day (${DAYS} days)`, fmt(cold.usage.p50, 1), fmt(cold.usage.max, 1), fmt(warm.usage.p50, 1), fmt(warm.usage.max, 1)],
      ['  reference: from raw observations', fmt(reference.usage.cold.p50, 1), fmt(reference.usage.cold.max, 1), fmt(reference.usage.warm.p50, 1), fmt(reference.usage.warm.max, 1)],
      ['  ratio (p50)', fmt(result.ratio.usageCold), '', fmt(result.ratio.usageWarm), ''],
      [`jobs (${DAYS} days)`, fmt(cold.jobs.p50, 1), fmt(cold.jobs.max, 1), fmt(warm.jobs.p50, 1), fmt(warm.jobs.max, 1)],
      ['  reference: from raw observations', fmt(reference.jobs.cold.p50, 1), fmt(reference.jobs.cold.max, 1), fmt(reference.jobs.warm.p50, 1), fmt(reference.jobs.warm.max, 1)],
      ['  ratio (p50)', fmt(result.ratio.jobsCold), '', fmt(result.ratio.jobsWarm), ''],
      ['machines (overview list)', fmt(cold.machines.p50, 1), fmt(cold.machines.max, 1), fmt(warm.machines.p50, 1), fmt(warm.machines.max, 1)],
    ]);
    const pgw = result.postgres.warmMs;
    printTable(`The same queries on PostgreSQL (fleet mode): the store copied as \`mieruka store migrate\` copies it (${postgres.copiedRows} rows in ${fmt(postgres.copyMs / 1000, 1)} s), answers equal to SQLite's; first round, then ${postgres.warm.length} warm rounds in one process`, ['query (all machines)', 'first ms', 'warm p50 ms', 'warm max ms', '× SQLite warm p50'], [
      [`utilization?by=day (${DAYS} days)`, fmt(postgres.first.usage, 1), fmt(pgw.usage.p50, 1), fmt(pgw.usage.max, 1), fmt(result.postgres.ratioToSqlite.usageWarm)],
      [`jobs (${DAYS} days)`, fmt(postgres.first.jobs, 1), fmt(pgw.jobs.p50, 1), fmt(pgw.jobs.max, 1), fmt(result.postgres.ratioToSqlite.jobsWarm)],
      ['machines (overview list)', fmt(postgres.first.machines, 1), fmt(pgw.machines.p50, 1), fmt(pgw.machines.max, 1), ''],
    ]);
    console.log(`answers equal to the reference in every process; goal ≤ ${GOAL_MS} ms warm (p50): utilization ${result.goal.reachedUsage ? 'reached' : 'NOT reached'}, jobs ${result.goal.reachedJobs ? 'reached' : 'NOT reached'}, PostgreSQL ${result.goal.reachedPostgres ? 'reached' : 'NOT reached'}`);
    console.log(`${plans.length} statement shapes, none reads readings:`);
    for (const p of plans) console.log(`  ${p.sql.replace(/\s+/g, ' ').slice(0, 110)}\n    → ${p.plan}`);
    const file = saveResult(name, result);
    console.log(`saved ${file}`);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
