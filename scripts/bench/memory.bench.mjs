// Resident memory of the real processes: `mieruka hub` idle and with 200 devices publishing a
// current reading at 1 Hz (QoS 1, each device its own MQTT.js client with a retained status
// and a will, as a bridge publishes), against Debian's Mosquitto with the same devices and one
// subscriber (the broker a user would run instead) in the same run; then `mieruka bridge` on
// a real pty (socat) fed by the ESP32 simulator, and `mieruka station` with the file camera.
// Everything on loopback, each measured process its own; RSS from /proc/<pid>/status.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import sharp from 'sharp';
import { Esp32Simulator, PtyPair } from '@mieruka/firmware-bridge';
import { fmt, printTable, saveResult } from './lib.mjs';
import { rss, startBridge, startHub, startMosquitto, startStation } from './memory-procs.mjs';

export const name = 'memory';

const SMOKE = process.env.MIERUKA_BENCH_SMOKE === '1';
const DEVICES = SMOKE ? 10 : 200;
const STEADY_MS = SMOKE ? 3_000 : 20_000;
const SETTLE_MS = SMOKE ? 1_000 : 3_000;
const AGENT_MS = SMOKE ? 3_000 : 6_000;
const GOAL_MB = 100;
const SITE = 'fleet'; // the devices; the bridge is bench/mill-1 (a site holds at most 200 nodes by default)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** `n` devices, each publishing {ts, seq, irms} every second at QoS 1, spread over the second. */
async function startDevices(url, n) {
  const clients = [];
  let acked = 0;
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const node = `d-${String(i + 1).padStart(3, '0')}`;
    const status = (online) => JSON.stringify({ online, ts: Date.now(), agent: 'bridge', version: 'bench' });
    const client = await connectAsync(url, {
      clientId: `mieruka-bridge-${SITE}-${node}`,
      reconnectPeriod: 0,
      will: { topic: `mieruka/v1/${SITE}/${node}/status`, payload: Buffer.from(status(false)), qos: 1, retain: true },
    });
    await client.publishAsync(`mieruka/v1/${SITE}/${node}/status`, status(true), { qos: 1, retain: true });
    clients.push({ client, node, seq: 0 });
  }
  const timers = clients.map((d, i) =>
    setTimeout(() => {
      const tick = () => {
        const payload = JSON.stringify({ ts: Date.now(), seq: ++d.seq, irms: [Math.round(Math.random() * 8000) / 1000] });
        d.client.publish(`mieruka/v1/${SITE}/${d.node}/current`, payload, { qos: 1 }, (err) => (err ? failed++ : acked++));
      };
      tick();
      timers[i] = setInterval(tick, 1000);
    }, Math.floor((i * 1000) / n)),
  );
  return {
    get acked() {
      return acked;
    },
    get failed() {
      return failed;
    },
    get sent() {
      return clients.reduce((s, d) => s + d.seq, 0);
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await waitUntil(() => acked + failed >= clients.reduce((s, d) => s + d.seq, 0), 'every reading to be acknowledged');
      await Promise.all(clients.map((d) => d.client.endAsync()));
    },
  };
}

/** RSS once a second for `ms`; returns the last sample and the peak. */
async function steady(pid, ms) {
  const samples = [];
  for (let t = 0; t < ms; t += 1000) {
    await sleep(1000);
    samples.push(rss(pid));
  }
  return { last: samples.at(-1), peakMB: Math.max(...samples.map((s) => s.rssMB)) };
}

/** The hub as docs/install.md runs it: a young generation of 2 MB semi-spaces (see docs/performance.md). */
export const SERVICE_NODE_ARGS = ['--max-semi-space-size=2'];

async function measureHub(dir, nodeArgs, withAgents) {
  const hub = await startHub(dir, nodeArgs);
  try {
    await sleep(SETTLE_MS);
    const idle = rss(hub.pid);
    const devices = await startDevices(hub.url, DEVICES);
    const loaded = await steady(hub.pid, STEADY_MS);
    await devices.stop();
    const db = new Database(hub.db, { readonly: true, fileMustExist: true });
    const stored = () => db.prepare("SELECT count(*) AS n FROM readings WHERE site = 'fleet'").get().n;
    // PUBACK follows the commit (group commit), so every acknowledged reading is already stored.
    const storedCount = stored();
    if (devices.failed > 0 || storedCount !== devices.acked) throw new Error(`bench: hub acknowledged ${devices.acked} readings, stored ${storedCount}, ${devices.failed} failed`);
    if (!withAgents) {
      db.close();
      return { idle, loaded, stored: storedCount };
    }

    // The bridge on a real pty, publishing into this hub.
    const bridgeDir = join(dir, 'bridge-pty');
    const pty = await PtyPair.open({ dir: dir });
    const simulator = new Esp32Simulator({ seed: 5, intervalMs: 1000, bootNoise: false });
    let bridge = null;
    let bridgeRss;
    try {
      bridge = await startBridge(dir, hub.url, pty.hostPath);
      await simulator.connectToPath(pty.devicePath);
      await sleep(AGENT_MS);
      bridgeRss = rss(bridge.pid);
      const fromBridge = () => db.prepare("SELECT count(*) AS n FROM readings WHERE site = 'bench' AND node = 'mill-1'").get().n;
      await waitUntil(() => fromBridge() > 0, 'readings from the bridge in the hub');
      bridgeRss.readingsStored = fromBridge();
    } finally {
      await bridge?.stop();
      await simulator.stop();
      await pty.close();
      db.close();
    }
    void bridgeDir;
    return { idle, loaded, stored: storedCount, bridge: bridgeRss };
  } finally {
    await hub.stop();
  }
}

async function measureMosquitto(dir) {
  const broker = await startMosquitto(dir);
  try {
    await sleep(SETTLE_MS);
    const idle = rss(broker.pid);
    const sub = await connectAsync(broker.url, { clientId: `bench-sub-${process.pid}`, reconnectPeriod: 0 });
    let received = 0;
    const clutter = [];
    sub.on('message', (topic, payload) => {
      if (topic.endsWith('/current')) received++;
      if (topic.endsWith('/clutter')) clutter.push(JSON.parse(payload.toString()));
    });
    await sub.subscribeAsync('mieruka/v1/+/+/current', { qos: 1 });
    await sub.subscribeAsync('mieruka/v1/+/bench-1/clutter', { qos: 1 });
    const devices = await startDevices(broker.url, DEVICES);
    const loaded = await steady(broker.pid, STEADY_MS);
    await devices.stop();
    await waitUntil(() => received >= devices.acked, 'every reading at the Mosquitto subscriber');

    // The clutter station against this broker (the bench may publish its cmd/capture here).
    const photo = join(dir, 'mat.png');
    await sharp({ create: { width: 1280, height: 720, channels: 3, background: { r: 0, g: 200, b: 0 } } })
      .composite([{ input: await sharp({ create: { width: 320, height: 720, channels: 3, background: { r: 220, g: 30, b: 30 } } }).png().toBuffer(), left: 960, top: 0 }])
      .png()
      .toFile(photo);
    const station = await startStation(dir, broker.url, photo);
    let stationRss;
    try {
      await sleep(SETTLE_MS);
      const stationIdle = rss(station.pid);
      await sub.publishAsync('mieruka/v1/bench/bench-1/cmd/capture', JSON.stringify({ ts: Date.now() }), { qos: 1 });
      await waitUntil(() => clutter.length > 0, 'a clutter score from the station', 30_000);
      if (Math.abs(clutter[0].score - 25) > 1) throw new Error(`bench: station scored ${clutter[0].score}, expected 25`);
      stationRss = { idle: stationIdle, afterShot: rss(station.pid), score: clutter[0].score };
    } finally {
      await station.stop();
      await sub.endAsync();
    }
    return { idle, loaded, received, station: stationRss };
  } finally {
    await broker.stop();
  }
}

export async function run() {
  const dir = await mkdtemp(join(tmpdir(), 'mieruka-bench-memory-'));
  try {
    // Both hubs at once (each with its own devices), to stay within the time limit.
    const [hub, service] = await Promise.all([measureHub(await mkdtemp(join(dir, 'hub-')), [], true), measureHub(await mkdtemp(join(dir, 'hub2-')), SERVICE_NODE_ARGS, false)]);
    const mosquitto = await measureMosquitto(await mkdtemp(join(dir, 'mosq-')));
    const result = {
      devices: DEVICES,
      steadyS: STEADY_MS / 1000,
      hub,
      hubAsService: { nodeArgs: SERVICE_NODE_ARGS, ...service },
      mosquitto,
      ratio: { loadedRss: hub.loaded.last.rssMB / mosquitto.loaded.last.rssMB, serviceLoadedRss: service.loaded.last.rssMB / mosquitto.loaded.last.rssMB },
      goal: { hubLoadedMB: GOAL_MB, reached: hub.loaded.peakMB <= GOAL_MB, reachedAsService: service.loaded.peakMB <= GOAL_MB },
    };
    const row = (what, r, peak = '') => [what, fmt(r.rssMB, 1), fmt(r.anonMB, 1), fmt(r.fileMB, 1), peak];
    printTable(`Resident memory (MB) — ${DEVICES} devices at 1 Hz QoS 1, after ${STEADY_MS / 1000} s; every acknowledged reading stored by the hub (${hub.stored}) and received at Mosquitto's subscriber (${mosquitto.received})`, ['process', 'RSS', 'anon', 'file', 'peak RSS'], [
      row('mieruka hub, idle', hub.idle),
      row(`mieruka hub, ${DEVICES} devices`, hub.loaded.last, fmt(hub.loaded.peakMB, 1)),
      row(`node ${SERVICE_NODE_ARGS.join(' ')} … hub, idle`, service.idle),
      row(`node ${SERVICE_NODE_ARGS.join(' ')} … hub, ${DEVICES} devices`, service.loaded.last, fmt(service.loaded.peakMB, 1)),
      row('mosquitto, idle (reference)', mosquitto.idle),
      row(`mosquitto, ${DEVICES} devices + 1 subscriber (reference)`, mosquitto.loaded.last, fmt(mosquitto.loaded.peakMB, 1)),
      row('mieruka bridge (pty + simulator, 1 Hz)', hub.bridge),
      row('mieruka station, idle (file camera)', mosquitto.station.idle),
      row('mieruka station, after one shot', mosquitto.station.afterShot),
    ]);
    console.log(`hub with ${DEVICES} devices: ${fmt(result.ratio.loadedRss, 1)}× Mosquitto's RSS, as the service ${fmt(result.ratio.serviceLoadedRss, 1)}×; goal ≤ ${GOAL_MB} MB ${result.goal.reached ? 'reached' : 'NOT reached'} (default node flags), ${result.goal.reachedAsService ? 'reached' : 'NOT reached'} (service flags)`);
    const file = saveResult(name, result);
    console.log(`saved ${file}`);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await run();
