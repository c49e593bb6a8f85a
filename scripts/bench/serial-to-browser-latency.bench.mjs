// Serial line → browser latency, the whole way a supervisor sees a reading: simulated ESP32s
// write RMS lines into real ptys (socat) → `mieruka bridge` processes → `mieruka hub` process
// (aedes, ingest, store, live feed) → the dashboard's WebSocket /api/live in a logged-in
// session. 1,000 lines a second in all, spread over BRIDGES bridges.
// Reference, same run, same ptys and rate: what a user would wire by hand — a few lines of
// Node reading the tty and publishing each line to Mosquitto, and a browser-style MQTT.js
// client subscribed over Mosquitto's WebSocket listener.
// Loopback only; each line is matched to its arrival by its (node, current) value.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';
import { WebSocket } from 'ws';
import { PtyPair } from '@mieruka/firmware-bridge';
import { encodeSerialMessage } from '@mieruka/protocol';
import { CHILD_ENV, SMOKE, fmt, freePort, printTable, saveResult, summarize, waitUntil } from './lib.mjs';

export const name = 'serial-to-browser-latency';

const RATE = SMOKE ? 100 : Number(process.env.BENCH_RATE ?? 1000); // lines per second, all bridges together
const BRIDGES = SMOKE ? 1 : Number(process.env.BENCH_BRIDGES ?? 4);
const DURATION_S = SMOKE ? 2 : 8;
const WARMUP_S = SMOKE ? 0.5 : 2;
const TICK_MS = 10;
const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));
const MOSQUITTO = '/usr/sbin/mosquitto';



function startProcess(args, label) {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the hub and the bridges.
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['pipe', 'ignore', 'pipe'], env: CHILD_ENV });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  child.on('exit', (code, signal) => {
    if (!child.stopping) console.error(`bench: ${label} exited (${code ?? signal}): ${stderr}`);
  });
  return {
    child,
    async stop() {
      child.stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

const portAnswers = (port) =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function openPort(path) {
  const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
  await new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('error', () => undefined);
  return port;
}

/**
 * Writes RATE lines a second over the ptys, every TICK_MS, each with a value unique to its
 * pty, and records when each was written: `onSent(ptyIndex, amps, at, measured)`.
 */
async function driveSerial(ptys, onSent) {
  const perTick = (RATE * TICK_MS) / 1000 / ptys.length;
  // serialport, as the simulator and the bridge use: fs streams on a tty would block libuv's
  // small thread pool in read() and starve each other.
  const streams = await Promise.all(ptys.map((p) => openPort(p.devicePath)));
  for (const s of streams) s.write(encodeSerialMessage({ type: 'hello', fw: 'bench', id: 'b0', channels: 1, intervalMs: 100 }));
  const counters = ptys.map(() => 0);
  const carry = ptys.map(() => 0);
  const ticks = Math.round((DURATION_S * 1000) / TICK_MS);
  const t0 = performance.now();
  for (let t = 0; t < ticks; t++) {
    // Paced by the schedule, not by how late the last tick ran, so the rate holds.
    const due = t0 + t * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (let i = 0; i < ptys.length; i++) {
      carry[i] += perTick;
      let lines = '';
      const at = performance.now();
      while (carry[i] >= 1) {
        carry[i] -= 1;
        const k = ++counters[i];
        // Unique value per pty: amps with three decimals, climbing slowly through the states.
        const amps = Math.round(k) / 1000;
        lines += encodeSerialMessage({ type: 'rms', seq: k, uptimeMs: Math.round(at - t0), irms: [amps] });
        onSent(i, amps, at, at - t0 >= WARMUP_S * 1000);
      }
      if (lines) streams[i].write(lines);
    }
  }
  // The device ends stay open until the caller has seen every line arrive.
  return { sentTotal: counters.reduce((a, b) => a + b, 0), close: () => Promise.all(streams.map((s) => new Promise((resolve) => s.close(() => resolve())))) };
}

function tracker() {
  const sent = new Map();
  let measuredSent = 0;
  const latencies = [];
  return {
    sent(index, amps, at, measured) {
      sent.set(`${index}:${amps}`, { at, measured });
      if (measured) measuredSent++;
    },
    received(index, amps, at) {
      const key = `${index}:${amps}`;
      const s = sent.get(key);
      if (!s) return;
      sent.delete(key);
      if (s.measured) latencies.push(at - s.at);
    },
    get pending() {
      return sent.size;
    },
    result: () => ({ latencies, measuredSent }),
  };
}

async function measureMieruka(dir, ptys) {
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const config = join(dir, 'mieruka.yaml');
  await writeFile(config, 'site: bench\ntimezone: Asia/Tokyo\n');
  const data = join(dir, 'hub-data');
  const password = `bench-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'user', 'add', 'bench', '--role', 'viewer', '--password-stdin', '-c', config, '--data-dir', data], { stdio: ['pipe', 'ignore', 'pipe'], env: CHILD_ENV });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`user add failed: ${err}`))));
    p.stdin.end(`${password}\n`);
  });
  const hub = startProcess([CLI, 'hub', '-c', config, '--host', '127.0.0.1', '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data-dir', data, '--log-level', 'warn'], 'hub');
  const bridges = [];
  let ws;
  const track = tracker();
  try {
    await waitUntil(() => portAnswers(httpPort), 'the hub');
    const login = await fetch(`http://127.0.0.1:${httpPort}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password }) });
    if (!login.ok) throw new Error(`login failed: ${login.status}`);
    const cookie = login.headers.get('set-cookie').split(';')[0];
    ws = new WebSocket(`ws://127.0.0.1:${httpPort}/api/live`, { headers: { cookie } });
    const nodeIndex = new Map(ptys.map((_, i) => [`mill-${i + 1}`, i]));
    const onUpdate = (u, at) => {
      if (u.type !== 'node' || u.node.site !== 'bench' || !u.node.current) return;
      const i = nodeIndex.get(u.node.node);
      if (i !== undefined) track.received(i, u.node.current.irms[0], at);
    };
    ws.on('message', (raw) => {
      const at = performance.now();
      const m = JSON.parse(raw.toString());
      if (m.type === 'batch') for (const u of m.messages) onUpdate(u, at);
      else onUpdate(m, at);
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    for (let i = 0; i < ptys.length; i++) {
      bridges.push(
        startProcess(
          [CLI, 'bridge', '-c', config, '--port', ptys[i].hostPath, '--mqtt', `mqtt://127.0.0.1:${mqttPort}`, '--node', `mill-${i + 1}`, '--data-dir', join(dir, `bridge-${i + 1}`), '--log-level', 'warn'],
          `bridge ${i + 1}`,
        ),
      );
    }
    // Each bridge holds its port open and is connected before the device talks.
    await waitUntil(async () => {
      const r = await fetch(`http://127.0.0.1:${httpPort}/api/health`);
      return r.ok && ((await r.json()).stats?.clientsConnected ?? 0) >= ptys.length;
    }, 'the bridges to connect');
    // CPU the hub and the bridges spend on the lines (startup excluded): what the latency
    // depends on when they share a Pi's cores with other work.
    const pids = { hub: [hub.child.pid], bridges: bridges.map((b) => b.child.pid) };
    const cpuAt = () => Object.fromEntries(Object.entries(pids).map(([k, list]) => [k, list.reduce((sum, pid) => sum + cpuSeconds(pid), 0)]));
    const cpuBefore = cpuAt();
    const serial = await driveSerial(ptys, track.sent);
    await waitUntil(() => track.pending === 0, 'every line in the browser session', 30_000).catch(() => undefined);
    const cpuAfter = cpuAt();
    await serial.close();
    const cpuMsPerLine = Object.fromEntries(Object.keys(pids).map((k) => [k, ((cpuAfter[k] - cpuBefore[k]) * 1000) / serial.sentTotal]));
    return { sentTotal: serial.sentTotal, lost: track.pending, cpuMsPerLine, ...track.result() };
  } finally {
    ws?.terminate();
    await Promise.all(bridges.map((b) => b.stop()));
    await hub.stop();
  }
}

async function measureReference(dir, ptys) {
  const tcpPort = await freePort();
  const wsPort = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, ['persistence false', 'log_dest none', `listener ${tcpPort} 127.0.0.1`, 'allow_anonymous true', `listener ${wsPort} 127.0.0.1`, 'protocol websockets', ''].join('\n'));
  const broker = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
  const track = tracker();
  const readers = [];
  let browser;
  let publisher;
  try {
    await waitUntil(() => portAnswers(tcpPort), 'mosquitto');
    await waitUntil(() => portAnswers(wsPort), 'mosquitto websockets');
    browser = await connectAsync(`ws://127.0.0.1:${wsPort}`, { reconnectPeriod: 0 });
    browser.on('message', (topic, payload) => {
      const at = performance.now();
      const i = Number(topic.split('/')[3].slice('mill-'.length)) - 1;
      track.received(i, JSON.parse(payload.toString()).irms[0], at);
    });
    await browser.subscribeAsync('mieruka/v1/bench/+/current', { qos: 0 });
    publisher = await connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { reconnectPeriod: 0 });
    ptys.forEach((pty, i) => {
      const input = openPort(pty.hostPath);
      readers.push(input);
      const lines = new ReadlineParser({ delimiter: '\n' });
      input.then((port) => port.pipe(lines));
      lines.on('data', (line) => {
        try {
          const m = JSON.parse(line);
          if (m.type === 'rms') publisher.publish(`mieruka/v1/bench/mill-${i + 1}/current`, JSON.stringify({ ts: Date.now(), seq: m.seq, irms: m.irms }), { qos: 1 });
        } catch {
          // a hand-written reader skips what it cannot parse
        }
      });
    });
    await Promise.all(readers);
    const serial = await driveSerial(ptys, track.sent);
    await waitUntil(() => track.pending === 0, 'every line at the subscriber', 30_000).catch(() => undefined);
    await serial.close();
    return { sentTotal: serial.sentTotal, lost: track.pending, ...track.result() };
  } finally {
    for (const r of readers) await r.then((port) => new Promise((resolve) => port.close(() => resolve()))).catch(() => undefined);
    await publisher?.endAsync();
    await browser?.endAsync();
    broker.kill('SIGTERM');
  }
}

async function withPtys(label, fn) {
  const dir = await mkdtemp(join(tmpdir(), `mieruka-bench-${label}-`));
  const ptys = [];
  try {
    for (let i = 0; i < BRIDGES; i++) {
      const ptyDir = join(dir, `pty-${i + 1}`);
      await mkdir(ptyDir);
      ptys.push(await PtyPair.open({ dir: ptyDir }));
    }
    return await fn(dir, ptys);
  } finally {
    for (const p of ptys) await p.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run() {
  const reference = await withPtys('ref', measureReference);
  const mieruka = await withPtys('hub', measureMieruka);
  for (const [label, r] of [['reference', reference], ['mieruka', mieruka]]) {
    if (r.lost > 0) throw new Error(`bench: ${label} lost ${r.lost} of ${r.sentTotal} lines`);
    if (r.latencies.length !== r.measuredSent) throw new Error(`bench: ${label} matched ${r.latencies.length} of ${r.measuredSent} measured lines`);
  }
  const ref = summarize(reference.latencies);
  const hub = summarize(mieruka.latencies);
  const goalP99Ms = 20;
  const result = {
    ratePerS: RATE,
    bridges: BRIDGES,
    durationS: DURATION_S,
    warmupS: WARMUP_S,
    measured: hub.n,
    latencyMs: { mieruka: hub, mosquittoReference: ref },
    ratioToReference: { p50: hub.p50 / ref.p50, p99: hub.p99 / ref.p99 },
    goal: { p99Ms: goalP99Ms, met: hub.p99 <= goalP99Ms },
    cpuMsPerLine: mieruka.cpuMsPerLine,
  };
  printTable(`Serial line → browser latency (${RATE} lines/s over ${BRIDGES} pty, ${DURATION_S} s, first ${WARMUP_S} s not counted)`, ['path', 'lines', 'p50 ms', 'p99 ms', 'max ms', 'lost'], [
    ['pty → tty reader → Mosquitto → MQTT over WebSocket (reference)', ref.n, fmt(ref.p50), fmt(ref.p99), fmt(ref.max), reference.lost],
    ['pty → mieruka bridge → hub → /api/live WebSocket', hub.n, fmt(hub.p50), fmt(hub.p99), fmt(hub.max), mieruka.lost],
    ['ratio (mieruka / reference)', '', fmt(hub.p50 / ref.p50), fmt(hub.p99 / ref.p99), '', ''],
  ]);
  console.log(`goal p99 ≤ ${goalP99Ms} ms: ${result.goal.met ? 'met' : 'NOT met'}`);
  console.log(`CPU per line: hub ${fmt(mieruka.cpuMsPerLine.hub, 3)} ms, bridges ${fmt(mieruka.cpuMsPerLine.bridges, 3)} ms (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  const file = saveResult(name, result);
  console.log(`saved ${file}`);
  return result;
}
