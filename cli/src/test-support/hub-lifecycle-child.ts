/**
 * Child process of hub-exit.test.ts (bundled with esbuild, run with plain node): starts a hub,
 * uses every transport, stops it, and then must exit on its own — any timer, socket or file
 * handle the hub leaves behind would keep this process alive. It is a test "main", so it may
 * read argv and report what is still active.
 */
import mqtt from 'mqtt';
import { pino } from 'pino';
import WebSocket from 'ws';
import { encodePayload, parseConfig, topicFor } from '@mieruka/protocol';
import { createHub } from '../compose-hub.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: hub-lifecycle-child <dataDir>');

const TS = 1_764_000_000_000;
const hub = createHub({
  config: parseConfig({
    overrides: {
      hub: { dataDir, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, ingest: { flushIntervalMs: 5000 } },
      dashboard: { adminPassword: 'child-password-1' },
    },
  }),
  logger: pino({ level: 'silent' }),
});
await hub.start();
const { mqttPort, httpPort } = hub;

// One client per transport; they publish, then the hub stops while they are still connected.
// MQTT over WebSocket needs a dashboard session and a same-origin Origin.
const login = await fetch(`${hub.httpUrl}/api/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'admin', password: 'child-password-1' }),
});
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
const tcp = await mqtt.connectAsync(hub.mqttUrl, { reconnectPeriod: 0 });
const ws = await mqtt.connectAsync(hub.mqttWsUrl, { reconnectPeriod: 0, wsOptions: { headers: { cookie, origin: hub.httpUrl } } });
await tcp.publishAsync(topicFor('factory', 'mill-1', 'current'), encodePayload('current', { ts: TS, seq: 1, irms: [1] }), { qos: 1 });
await tcp.publishAsync(topicFor('factory', 'mill-1', 'state'), encodePayload('state', { ts: TS, state: 'idle', since: TS, irms: [1] }), { qos: 1, retain: true });
await ws.subscribeAsync(topicFor('factory', 'mill-1', 'state'), { qos: 1 });
await ws.publishAsync('other/app', 'hello', { qos: 1 });
const health = await fetch(`${hub.httpUrl}/api/health`);
await health.text();
// The first scrape starts prom-client's process metrics (event-loop and GC observers): they must not keep the process alive.
const metrics = await fetch(`${hub.httpUrl}/metrics`, { headers: { cookie } });
if (metrics.status !== 200) throw new Error(`GET /metrics answered ${metrics.status}`);
await metrics.text();
// A dashboard live-feed upgrade without a session: refused, but it exercises the upgrade path.
await new Promise<void>((resolve) => {
  const live = new WebSocket(`ws://127.0.0.1:${httpPort}/api/live`);
  live.once('unexpected-response', () => {
    live.terminate();
    resolve();
  });
  live.once('open', () => {
    live.terminate();
    resolve();
  });
  live.once('error', () => resolve());
});

await hub.stop();
// The clients notice the closed connections; end them without reconnecting.
await Promise.all([tcp.endAsync(true), ws.endAsync(true)]);

const rows = hub.stats().rowsWritten;
console.log(JSON.stringify({ stopped: true, mqttPort, httpPort, rows }));
// If something keeps the loop alive, say what (the parent prints it when the child does not exit).
const timer = setTimeout(() => {
  console.log(JSON.stringify({ stillActive: process.getActiveResourcesInfo() }));
}, 3000);
timer.unref();
