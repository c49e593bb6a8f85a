// Store-and-forward drain rate: a bridge comes back after a day offline with a day of 1 Hz
// readings (86,400 `current` messages) in its outbox; how fast does MqttNodeLink deliver them
// to the broker (in order, QoS 1, rows deleted on PUBACK)? Reference, same broker, same run:
// an MQTT.js client publishing the same payloads from memory with the same window in flight.
// The backlog is written straight into the outbox file in one transaction (the agent would
// have written it one reading a second). Loopback only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { FORWARD_WINDOW, MqttNodeLink, Outbox } from '@mieruka/edge';
import { SMOKE, fmt, printTable, saveResult, startAedes } from './lib.mjs';

export const name = 'outbox-drain';

const BACKLOG = SMOKE ? 500 : 86_400;
const TOPIC = 'mieruka/v1/bench/mill-1/current';
const T0 = 1_764_000_000_000;
const logger = pino({ level: 'silent' });
const payload = (i) => Buffer.from(JSON.stringify({ ts: T0 + i * 1000, seq: i, irms: [Math.round(((i * 7919) % 8000)) / 1000] }));

async function waitUntil(check, what, timeoutMs = 100_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function counter(url, topic) {
  const client = await connectAsync(url, { clientId: `bench-sub-${process.pid}-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
  const state = { n: 0, lastSeq: -1, inOrder: true };
  client.on('message', (_t, p) => {
    const seq = JSON.parse(p.toString()).seq;
    if (seq <= state.lastSeq) state.inOrder = false;
    state.lastSeq = seq;
    state.n++;
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, state };
}

async function reference(url) {
  const topic = 'mieruka/v1/bench/reference/current';
  const sub = await counter(url, topic);
  const pub = await connectAsync(url, { clientId: `bench-ref-${process.pid}`, reconnectPeriod: 0 });
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    const send = () => {
      const i = next++;
      pub.publish(topic, payload(i), { qos: 1 }, (err) => {
        if (err) return reject(err);
        if (++done === BACKLOG) resolve();
        else if (next < BACKLOG) send();
      });
    };
    for (let k = 0; k < FORWARD_WINDOW && next < BACKLOG; k++) send();
  });
  await waitUntil(() => sub.state.n >= BACKLOG, 'the reference messages');
  const ms = performance.now() - t0;
  await pub.endAsync();
  await sub.client.endAsync();
  return ms;
}

async function drain(url) {
  const dir = await mkdtemp(join(tmpdir(), 'mieruka-bench-'));
  try {
    const file = join(dir, 'outbox-bench-mill-1.db');
    const outbox = new Outbox({ file, logger });
    outbox.open(); // creates the schema
    outbox.close();
    const db = new Database(file);
    const insert = db.prepare('INSERT INTO outbox (ts, topic, retain, bytes, payload) VALUES (?, ?, 0, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < BACKLOG; i++) {
        const p = payload(i);
        insert.run(T0 + i * 1000, TOPIC, p.length + TOPIC.length, p);
      }
    })();
    db.close();

    const sub = await counter(url, TOPIC);
    const link = new MqttNodeLink({ url, site: 'bench', node: 'mill-1', agent: 'bridge', version: 'bench', dataDir: dir, logger });
    const t0 = performance.now();
    await link.start();
    await waitUntil(() => link.stats().queued === 0 && sub.state.n >= BACKLOG, 'the backlog to drain');
    const ms = performance.now() - t0;
    const stats = link.stats();
    await link.stop();
    await sub.client.endAsync();
    if (!sub.state.inOrder || sub.state.n !== BACKLOG) throw new Error(`bench: ${sub.state.n} received, in order: ${sub.state.inOrder}`);
    return { ms, delivered: stats.delivered };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run() {
  const broker = await startAedes();
  try {
    const refMs = await reference(broker.url);
    const { ms } = await drain(broker.url);
    const rate = BACKLOG / (ms / 1000);
    const refRate = BACKLOG / (refMs / 1000);
    printTable(`outbox drain: ${BACKLOG} readings (a day at 1 Hz), window ${FORWARD_WINDOW}`, ['path', 'seconds', 'messages/s', 'ratio to reference'], [
      ['MqttNodeLink outbox → aedes', fmt(ms / 1000, 1), fmt(rate, 0), fmt(ms / refMs)],
      ['reference: MQTT.js from memory', fmt(refMs / 1000, 1), fmt(refRate, 0), '1.00'],
    ]);
    const file = saveResult(name, { backlog: BACKLOG, window: FORWARD_WINDOW, drainMs: ms, referenceMs: refMs, messagesPerSecond: rate, referencePerSecond: refRate, ratio: ms / refMs });
    console.log(`saved ${file}`);
  } finally {
    await broker.close();
  }
}
