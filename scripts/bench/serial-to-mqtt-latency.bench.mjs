// Serial line → MQTT publish latency of the bridge path, per reading: a simulated ESP32 writes
// to a real pty (socat) → SerialLineReader → CurrentAgent → MqttNodeLink → aedes → an MQTT.js
// subscriber. Reference, same broker, same run, same rate: an MQTT.js client publishing the
// same payloads directly. Loopback only; everything runs in this one process, on one clock.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { CurrentAgent, MqttNodeLink } from '@mieruka/edge';
import { Esp32Simulator, PtyPair, SerialLineReader } from '@mieruka/firmware-bridge';
import { MachineConfig, parseSerialLine } from '@mieruka/protocol';
import { SMOKE, fmt, printTable, saveResult, startAedes, summarize } from './lib.mjs';

export const name = 'serial-to-mqtt-latency';

const INTERVAL_MS = 10; // 100 readings a second, a hundred times a real sensor's rate
const WARMUP = SMOKE ? 10 : 100;
const MEASURED = SMOKE ? 50 : 1500;
const logger = pino({ level: 'silent' });

async function waitUntil(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function subscriber(url, topic) {
  const client = await connectAsync(url, { clientId: `bench-sub-${process.pid}-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
  const received = [];
  client.on('message', (_topic, payload) => received.push({ at: performance.now(), irms: JSON.parse(payload.toString()).irms }));
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, received };
}

/** Direct publish → subscribe on the same broker at the same rate (the reference). */
async function measureReference(url) {
  const topic = 'mieruka/v1/bench/reference/current';
  const sub = await subscriber(url, topic);
  const pub = await connectAsync(url, { clientId: `bench-pub-${process.pid}`, reconnectPeriod: 0 });
  const sentAt = [];
  const total = WARMUP + MEASURED;
  await new Promise((resolve) => {
    let i = 0;
    const timer = setInterval(() => {
      const payload = JSON.stringify({ ts: Date.now(), seq: i, irms: [Math.round(Math.random() * 8000) / 1000] });
      sentAt.push(performance.now());
      pub.publish(topic, payload, { qos: 1 });
      if (++i >= total) {
        clearInterval(timer);
        resolve();
      }
    }, INTERVAL_MS);
  });
  await waitUntil(() => sub.received.length >= total, 'the reference messages');
  await pub.endAsync();
  await sub.client.endAsync();
  return sub.received.slice(WARMUP).map((r, k) => r.at - sentAt[WARMUP + k]);
}

async function measurePipeline(url) {
  const dir = await mkdtemp(join(tmpdir(), 'mieruka-bench-'));
  const pty = await PtyPair.open({ dir });
  const sub = await subscriber(url, 'mieruka/v1/bench/mill-1/current');
  const link = new MqttNodeLink({ url, site: 'bench', node: 'mill-1', agent: 'bridge', version: 'bench', dataDir: dir, logger });
  const reader = new SerialLineReader({ path: pty.hostPath, logger });
  const agent = new CurrentAgent({ link, source: reader, machine: MachineConfig.parse({}), logger });
  const simulator = new Esp32Simulator({ seed: 3, intervalMs: INTERVAL_MS, bootNoise: false });
  const sent = [];
  simulator.on('data', (bytes) => {
    const at = performance.now();
    const m = parseSerialLine(bytes.toString('latin1').replace(/\n$/, ''));
    if (m.ok && m.message.type === 'rms') sent.push({ at, irms: m.message.irms });
  });
  try {
    await link.start();
    // The bridge has the port open before the device talks, so no line is lost to the open.
    await agent.start();
    await simulator.connectToPath(pty.devicePath);
    await waitUntil(() => sent.length >= WARMUP + MEASURED, 'the simulator to send its readings', 60_000);
    await simulator.stop();
    const total = sent.length;
    await waitUntil(() => sub.received.length >= total, 'every reading on MQTT');
    // Readings arrive in order and unchanged: the k-th received is the k-th sent.
    for (let k = 0; k < total; k++) {
      if (JSON.stringify(sub.received[k].irms) !== JSON.stringify(sent[k].irms)) throw new Error(`bench: reading ${k} differs or is out of order`);
    }
    return sub.received.slice(WARMUP, WARMUP + MEASURED).map((r, k) => r.at - sent[WARMUP + k].at);
  } finally {
    await agent.stop();
    await link.stop();
    await simulator.stop();
    await sub.client.endAsync();
    await pty.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run() {
  const broker = await startAedes();
  try {
    const reference = summarize(await measureReference(broker.url));
    const pipeline = summarize(await measurePipeline(broker.url));
    const result = {
      readings: MEASURED,
      intervalMs: INTERVAL_MS,
      latencyMs: { pipeline, directMqttReference: reference },
      ratioToReference: { p50: pipeline.p50 / reference.p50, p99: pipeline.p99 / reference.p99 },
    };
    printTable(`Serial line → MQTT subscriber latency (${MEASURED} readings every ${INTERVAL_MS} ms, after ${WARMUP} warm-up)`, ['path', 'p50 ms', 'p99 ms', 'mean ms', 'max ms'], [
      ['direct MQTT publish → subscribe (reference)', fmt(reference.p50, 3), fmt(reference.p99, 3), fmt(reference.mean, 3), fmt(reference.max, 3)],
      ['pty → reader → agent → link → aedes → subscriber', fmt(pipeline.p50, 3), fmt(pipeline.p99, 3), fmt(pipeline.mean, 3), fmt(pipeline.max, 3)],
      ['ratio (pipeline / reference)', fmt(pipeline.p50 / reference.p50), fmt(pipeline.p99 / reference.p99), fmt(pipeline.mean / reference.mean), ''],
    ]);
    const file = saveResult(name, result);
    console.log(`saved ${file}`);
    return result;
  } finally {
    await broker.close();
  }
}
