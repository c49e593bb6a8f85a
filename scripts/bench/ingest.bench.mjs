// MQTT ingest throughput: 50 publishers × 2,000 valid `current` readings at QoS 0 and QoS 1,
// one external MQTT.js subscriber on `mieruka/v1/#`, into
//   (a) the hub as a user runs it: `node bin/mieruka.js hub` in its own process, temp data
//       dir, loopback, default config (anonymous clients over loopback only, the default);
//   (b) Debian's Mosquitto in its own process (`persistence false`, loopback) — the broker a
//       user would put there instead (then still without storage).
//   (c) two hubs of one fleet (docs/scaling.md): `mieruka hub` twice sharing a Debian
//       redis-server (hub.cluster.redisUrl) and one PostgreSQL database (hub.store.url, a
//       fresh initdb cluster on loopback, scripts/bench/postgres.mjs), publishers split between
//       them, the subscriber on the first, so half the readings cross from one hub to the other.
// Per broker and QoS: messages/s seen by the subscriber (first publish → last received), lost
// (sent − received, by node and seq), hub/Mosquitto ratio; for the hubs the time until every
// reading is in their store (the hub's SQLite polled read-only; the pair's PostgreSQL counted
// over one connection) and the stored count, which must equal sent.
// At QoS 1 the hub acknowledges only stored messages, so the last PUBACK implies all stored.
// MIERUKA_BENCH_SMOKE=1: 5 × 50, same checks. MIERUKA_BENCH_HUB_NODE_ARGS: extra node flags
// for the hub process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import { CHILD_ENV, fmt, freePort, printTable, saveResult, waitUntil } from './lib.mjs';
import { startPostgres } from './postgres.mjs';

export const name = 'ingest';
/** Three setups × two QoS × two rounds; the two hubs on PostgreSQL take the longest. */
export const limitMs = 300_000;

const SMOKE = process.env.MIERUKA_BENCH_SMOKE === '1';
const PUBLISHERS = SMOKE ? 5 : 50;
const PER_NODE = SMOKE ? 50 : 2000;
/** Messages each publisher keeps in flight (DESIGN: publishAsync one by one would serialize it). */
const WINDOW = 20;
/**
 * Each broker and QoS runs ROUNDS times, alternating (Mosquitto, hub, Mosquitto, hub …); the
 * best round of each counts, so a burst of other work on the shared machine hurts neither side.
 */
const ROUNDS = SMOKE ? 1 : 2;
const SITE = 'bench';
const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));
const PUBLISHERS_WORKER = new URL('./ingest-publishers.mjs', import.meta.url);
const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
const REDIS = existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';

const accepts = (port) =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** A child process with its output kept (for error messages) and a SIGTERM stop that waits for the exit. */
function child(cmd, args, options) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  return {
    proc,
    output: () => output,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function startMosquitto(dir) {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // max_queued_messages 0 (no limit): its default of 1000 silently drops QoS 1 messages for a
  // subscriber that falls behind (DESIGN, known traps); a user measuring would raise it too.
  const lines = [`user ${userInfo().username}`, 'persistence false', 'log_dest stderr', 'log_type error', 'max_queued_messages 0', `listener ${port} 127.0.0.1`, 'allow_anonymous true', ''];
  await writeFile(conf, lines.join('\n'));
  const p = child(MOSQUITTO, ['-c', conf]);
  await waitUntil(async () => {
    if (!p.alive()) throw new Error(`mosquitto exited: ${p.output()}`);
    return accepts(port);
  }, 'mosquitto to listen');
  return { url: `mqtt://127.0.0.1:${port}`, stop: () => p.stop(), db: null };
}

async function startRedis(dir) {
  const port = await freePort();
  const p = child(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no']);
  p.proc.once('error', () => undefined);
  await waitUntil(async () => {
    if (!p.alive()) throw new Error(`redis-server did not start (run scripts/install-system-deps.sh): ${p.output()}`);
    return accepts(port);
  }, 'redis-server to listen');
  return { url: `redis://127.0.0.1:${port}`, stop: () => p.stop() };
}

/** Two hubs sharing one Redis and one PostgreSQL database; each stores what its own clients publish. */
async function startHubPair(dir) {
  const redis = await startRedis(dir);
  let postgres = null;
  let client = null;
  const hubs = [];
  const stop = async () => {
    for (const h of hubs) await h.stop();
    await client?.end().catch(() => undefined);
    await postgres?.stop();
    await redis.stop();
  };
  try {
    postgres = await startPostgres('mieruka_bench');
    for (const id of ['a', 'b']) {
      await mkdir(join(dir, id));
      hubs.push(await startHub(join(dir, id), { MIERUKA_HUB__CLUSTER__REDIS_URL: redis.url, MIERUKA_HUB__CLUSTER__HUB_ID: `bench-${id}`, MIERUKA_HUB__STORE__URL: postgres.url }, { sqlite: false }));
    }
    // The hubs made the schema; the bench only reads.
    client = new pg.Client({ connectionString: postgres.url });
    client.on('error', () => undefined); // a lost connection: the next count() rejects and says why
    await client.connect();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: hubs[0].url,
    urls: hubs.map((h) => h.url),
    stored: async () => Number((await client.query('SELECT count(*) AS n FROM readings WHERE site = $1', [SITE])).rows[0].n),
    stop,
  };
}

/** One `mieruka hub`; `sqlite: false` when its store is elsewhere (the pair's PostgreSQL), so no count here. */
async function startHub(dir, clusterEnv = {}, { sqlite = true } = {}) {
  const port = await freePort();
  const dataDir = join(dir, 'data');
  const nodeArgs = (process.env.MIERUKA_BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // cwd = the temp dir and no MIERUKA_* overrides (the hub reads them as config, and this
  // bench's own switches are not config): the defaults of a fresh install.
  const env = { ...CHILD_ENV, ...clusterEnv };
  const args = [...nodeArgs, CLI, 'hub', '--data-dir', dataDir, '--mqtt-port', String(port), '--http-port', '0', '--host', '127.0.0.1', '--log-level', 'warn'];
  const p = child(process.execPath, args, { cwd: dir, env });
  await waitUntil(() => {
    if (!p.alive()) throw new Error(`the hub exited: ${p.output()}`);
    return p.output().includes('Mieruka hub:');
  }, 'the hub to start');
  const db = sqlite ? new Database(join(dataDir, 'mieruka.db'), { readonly: true, fileMustExist: true }) : null;
  const count = db?.prepare('SELECT count(*) AS n FROM readings WHERE site = ?');
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stored: count ? () => count.get(SITE).n : undefined,
    async stop() {
      db?.close();
      await p.stop();
    },
  };
}

/** The external subscriber: every reading of the run, by node and seq (duplicates counted apart). */
async function subscribe(url, qos, nodes) {
  const client = await connectAsync(url, { clientId: `bench-sub-${process.pid}`, reconnectPeriod: 0, clean: true });
  const index = new Map(nodes.map((n, i) => [n, i]));
  const seen = nodes.map(() => new Uint8Array(PER_NODE));
  const state = { unique: 0, duplicates: 0, lastAt: 0 };
  client.on('message', (topic, payload) => {
    const parts = topic.split('/');
    if (parts[4] !== 'current' || parts[2] !== SITE) return;
    const i = index.get(parts[3]);
    const { seq } = JSON.parse(payload);
    if (i === undefined || !(seq >= 0 && seq < PER_NODE)) return;
    if (seen[i][seq]) {
      state.duplicates++;
      return;
    }
    seen[i][seq] = 1;
    state.unique++;
    state.lastAt = performance.now();
  });
  await client.subscribeAsync('mieruka/v1/#', { qos });
  return { client, state };
}

async function measure(kind, qos) {
  const dir = await mkdtemp(join(tmpdir(), `mieruka-bench-ingest-${kind}-`));
  const start = { hub: startHub, 'hub-pair': startHubPair, mosquitto: startMosquitto }[kind];
  const broker = await start(dir).catch(async (err) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const nodes = Array.from({ length: PUBLISHERS }, (_, i) => `n${String(i + 1).padStart(2, '0')}`);
  const sent = PUBLISHERS * PER_NODE;
  let worker = null;
  try {
    const sub = await subscribe(broker.url, qos, nodes);
    // Readings of the last PER_NODE seconds: inside the hub's future-ts limit, as a live feed.
    const baseTs = Date.now() - PER_NODE * 1000;
    worker = new Worker(PUBLISHERS_WORKER, { workerData: { urls: broker.urls ?? [broker.url], site: SITE, nodes, perNode: PER_NODE, qos, window: WINDOW, baseTs } });
    const messages = [];
    let waiter = null;
    const next = () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => (waiter = r)));
    worker.on('message', (m) => (waiter ? (waiter(m), (waiter = null)) : messages.push(m)));
    const workerError = new Promise((_, reject) => worker.once('error', reject));
    if ((await Promise.race([next(), workerError])).type !== 'ready') throw new Error('publishers did not start');

    const t0 = performance.now();
    let storedAt = null;
    let storedAtAck = null;
    // stored() answers now (SQLite) or as a promise (PostgreSQL); one count at a time.
    let polling = false;
    const poll = broker.stored
      ? setInterval(async () => {
          if (storedAt !== null || polling) return;
          polling = true;
          try {
            if ((await broker.stored()) >= sent && storedAt === null) storedAt = performance.now();
          } catch {
            // A failed count only delays storedAt; the final count below reports the error.
          } finally {
            polling = false;
          }
        }, 50)
      : null;
    worker.postMessage('go');
    const done = await Promise.race([next(), workerError]);
    const publishedAt = performance.now();
    if (done.failed) throw new Error(`a publish failed: ${done.failed}`);
    // At QoS 1 a PUBACK from the hub means stored: everything acknowledged must be in the database now.
    if (broker.stored && qos === 1) storedAtAck = await broker.stored();
    // Done when all arrived, or nothing more arrived for 3 s (the rest is lost).
    let last = -1;
    let quietSince = performance.now();
    await waitUntil(() => {
      if (sub.state.unique >= sent) return true;
      if (sub.state.unique !== last) {
        last = sub.state.unique;
        quietSince = performance.now();
      }
      return performance.now() - quietSince > 3000;
    }, 'the subscriber', 90_000);
    let stored = null;
    if (broker.stored) {
      await waitUntil(async () => storedAt !== null || (await broker.stored()) >= sent, 'every reading stored', 60_000).catch(() => undefined);
      if (storedAt === null && (await broker.stored()) >= sent) storedAt = performance.now();
      stored = await broker.stored();
    }
    clearInterval(poll);
    // A count still under way would otherwise meet the closed connection.
    await waitUntil(() => !polling, 'the last stored count', 10_000);
    await sub.client.endAsync();
    const seconds = (sub.state.lastAt - t0) / 1000;
    return {
      broker: kind,
      qos,
      sent,
      received: sub.state.unique,
      duplicates: sub.state.duplicates,
      lost: sent - sub.state.unique,
      seconds,
      messagesPerSecond: sub.state.unique / seconds,
      publishSeconds: (publishedAt - t0) / 1000,
      storedSeconds: storedAt === null ? null : (storedAt - t0) / 1000,
      stored,
      storedWhenAllAcked: storedAtAck,
    };
  } finally {
    await worker?.terminate();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run() {
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const qos of [0, 1]) {
      rounds.push(await measure('mosquitto', qos));
      rounds.push(await measure('hub', qos));
      rounds.push(await measure('hub-pair', qos));
    }
  }
  // Per broker and QoS: the round with the most messages/s; every round must pass the checks.
  const results = [];
  for (const qos of [0, 1]) {
    for (const broker of ['mosquitto', 'hub', 'hub-pair']) {
      const mine = rounds.filter((r) => r.broker === broker && r.qos === qos);
      results.push({ ...mine.reduce((a, b) => (b.messagesPerSecond > a.messagesPerSecond ? b : a)), roundsMessagesPerSecond: mine.map((r) => Math.round(r.messagesPerSecond)) });
    }
  }
  const ref = (qos) => results.find((r) => r.broker === 'mosquitto' && r.qos === qos);
  for (const r of results) r.ratioToMosquitto = r.messagesPerSecond / ref(r.qos).messagesPerSecond;
  printTable(`MQTT ingest: ${PUBLISHERS} publishers × ${PER_NODE} readings, window ${WINDOW}, one subscriber on mieruka/v1/#, best of ${ROUNDS}`, ['broker', 'QoS', 'sent', 'received', 'lost', 'msg/s', 'rounds msg/s', '× Mosquitto', 'all stored s', 'stored'], results.map((r) => [
    { hub: 'hub (mieruka hub)', 'hub-pair': 'two hubs sharing Redis and PostgreSQL (publishers split)', mosquitto: 'Mosquitto (persistence false)' }[r.broker],
    r.qos,
    r.sent,
    r.received,
    r.lost,
    fmt(r.messagesPerSecond, 0),
    r.roundsMessagesPerSecond.join(' / '),
    fmt(r.ratioToMosquitto),
    r.broker !== 'mosquitto' ? fmt(r.storedSeconds) : '—',
    r.broker !== 'mosquitto' ? r.stored : '—',
  ]));
  const file = saveResult(name, { publishers: PUBLISHERS, perPublisher: PER_NODE, window: WINDOW, rounds: ROUNDS, results, allRounds: rounds });
  console.log(`saved ${file}`);
  // Two hubs at QoS 0: a known defect, reported rather than fatal (docs/scaling.md, "Known
  // problems"): in some rounds the subscriber on the first hub receives only a trickle while
  // both hubs store everything. QoS 0 allows loss; QoS 1 (which agents use) must lose nothing.
  const knownPairLoss = (r) => r.broker === 'hub-pair' && r.qos === 0;
  for (const r of rounds.filter((x) => knownPairLoss(x) && x.lost > 0)) console.log(`KNOWN PROBLEM two hubs QoS 0: ${r.lost} of ${r.sent} not received by the subscriber (all ${r.stored} stored)`);
  const problems = rounds.flatMap((r) => [
    ...(r.lost > 0 && !knownPairLoss(r) ? [`${r.broker} QoS ${r.qos}: ${r.lost} of ${r.sent} lost`] : []),
    ...(r.broker !== 'mosquitto' && r.stored !== r.sent ? [`${r.broker} QoS ${r.qos}: ${r.stored} of ${r.sent} stored`] : []),
    ...(r.broker !== 'mosquitto' && r.qos === 1 && r.storedWhenAllAcked !== r.sent ? [`${r.broker} QoS 1: all acknowledged but only ${r.storedWhenAllAcked} stored`] : []),
  ]);
  if (problems.length > 0) throw new Error(`bench ingest: ${problems.join('; ')}`);
  return { results };
}

// `node scripts/bench/ingest.bench.mjs` runs it alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
