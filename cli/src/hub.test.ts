/** The whole hub on loopback: restart with retained state, MQTT over WebSocket, HTTP wiring, clean stop. */
import { createServer } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { liveMessagesOf, type LiveMessage } from '@mieruka/dashboard';
import type { Hub } from '@mieruka/broker';
import { createHub } from './compose-hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../../broker/src/test-support/helpers.js';

const SITE = 'factory';

/** Resolves when `port` can be bound again, i.e. nothing holds it. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function nextMessage(client: MqttClient, topic: string): Promise<{ payload: Buffer; retain: boolean }> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer, packet: { retain?: boolean }) => {
      if (t !== topic) return;
      client.off('message', onMessage);
      resolve({ payload, retain: packet.retain === true });
    };
    client.on('message', onMessage);
  });
}

describe('Hub', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startHub(dataDir: string, overrides: Record<string, unknown> = {}): Promise<Hub> {
    const hub = createHub({ config: hubConfig(dataDir, overrides), logger: silentLogger });
    cleanups.push(() => hub.stop());
    await hub.start();
    return hub;
  }

  async function tempDir(): Promise<string> {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    return dir.path;
  }

  async function client(url: string, options: Parameters<typeof connectClient>[1] = {}): Promise<MqttClient> {
    const c = await connectClient(url, options);
    cleanups.push(() => closeClient(c));
    return c;
  }

  it('delivers a retained state to a new subscriber after a restart on the same data dir, and reloads snapshots', async () => {
    const dataDir = await tempDir();
    const stateTopic = topicFor(SITE, 'mill-1', 'state');
    const state = encodePayload('state', { ts: TS, state: 'running', since: TS - 60_000, irms: [4.2] });
    const first = await startHub(dataDir);
    const publisher = await connectClient(first.mqttUrl, { clientId: 'edge-mill-1' });
    await publisher.publishAsync(stateTopic, state, { qos: 1, retain: true });
    await publisher.publishAsync(topicFor(SITE, 'mill-1', 'current'), encodePayload('current', { ts: TS, seq: 9, irms: [4.2] }), { qos: 1 });
    await closeClient(publisher);
    // A persistent session subscribed at QoS 1 that is offline when the next message arrives.
    const sleeper = await connectClient(first.mqttUrl, { clientId: 'sleeper', clean: false });
    await sleeper.subscribeAsync(topicFor(SITE, 'mill-1', 'event'), { qos: 1 });
    await closeClient(sleeper);
    const eventPublisher = await connectClient(first.mqttUrl, { clientId: 'edge-mill-1b' });
    const event = encodePayload('event', { ts: TS, seq: 10, type: 'run_started' });
    await eventPublisher.publishAsync(topicFor(SITE, 'mill-1', 'event'), event, { qos: 1 });
    await closeClient(eventPublisher);
    const mqttPort = first.mqttPort;
    await first.stop();
    expect(await portIsFree(mqttPort)).toBe(true);

    const second = await startHub(dataDir);
    // Snapshot from the store, before any new message.
    const mill = second.dataSource.listNodes().find((n) => n.node === 'mill-1');
    expect(mill).toMatchObject({ state: { state: 'running', since: TS - 60_000, ts: TS }, current: { irms: [4.2], seq: 9 } });

    const subscriber = await client(second.mqttUrl, { clientId: 'new-dashboard' });
    const retained = nextMessage(subscriber, stateTopic);
    await subscriber.subscribeAsync(stateTopic, { qos: 1 });
    const got = await retained;
    expect(got.retain).toBe(true);
    expect(JSON.parse(got.payload.toString())).toEqual(JSON.parse(state.toString()));

    // The QoS 1 message queued for the offline session survived the restart too.
    // Listen before the connection is up: the queued message follows the CONNACK at once.
    const woken = mqtt.connect(second.mqttUrl, { clientId: 'sleeper', clean: false, reconnectPeriod: 0 });
    cleanups.push(() => closeClient(woken));
    const queued = nextMessage(woken, topicFor(SITE, 'mill-1', 'event'));
    expect((await queued).payload.toString()).toBe(event.toString());
  });

  it('serves MQTT over WebSocket on the HTTP port to a logged-in dashboard user', async () => {
    const hub = await startHub(await tempDir(), { dashboard: { adminUser: 'boss', adminPassword: 'boss-password-1' } });
    expect(hub.mqttWsUrl).toBe(`ws://127.0.0.1:${hub.httpPort}/mqtt`);
    const login = await fetch(`${hub.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'boss', password: 'boss-password-1' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const wsClient = await client(hub.mqttWsUrl, { clientId: 'ws-client', wsOptions: { headers: { cookie, origin: hub.httpUrl } } });
    const tcpClient = await client(hub.mqttUrl, { clientId: 'tcp-client' });
    const topic = topicFor(SITE, 'bench-1', 'motion');
    const payload = encodePayload('motion', { ts: TS, active: true });

    const atWs = nextMessage(wsClient, topic);
    await wsClient.subscribeAsync(topic, { qos: 1 });
    await tcpClient.publishAsync(topic, payload, { qos: 1 });
    expect((await atWs).payload.toString()).toBe(payload.toString());

    const atTcp = nextMessage(tcpClient, 'other/app');
    await tcpClient.subscribeAsync('other/app', { qos: 1 });
    await wsClient.publishAsync('other/app', 'hi over ws', { qos: 1 });
    expect((await atTcp).payload.toString()).toBe('hi over ws');

    // What came in over TCP was ingested like anything else.
    expect(hub.dataSource.listNodes().find((n) => n.node === 'bench-1')?.motion).toEqual({ active: true, ts: TS });
    expect(hub.stats().clientsConnected).toBe(2);
  });

  it('wires the dashboard: health, the configured admin logs in, the live feed carries MQTT data, unknown upgrades get a 404', async () => {
    const hub = await startHub(await tempDir(), { dashboard: { adminUser: 'boss', adminPassword: 'boss-password-1' } });
    const health = await fetch(`${hub.httpUrl}/api/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { stats: { startedAt: number; clientsConnected: number } };
    expect(body.stats.startedAt).toBeGreaterThan(0);

    const login = (password: string) =>
      fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'boss', password }) });
    expect((await login('wrong-password')).status).toBe(401);
    const ok = await login('boss-password-1');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { user: unknown }).user).toEqual({ username: 'boss', role: 'admin', sites: null });

    // The dashboard's live feed shares the port with MQTT over WebSocket: an MQTT message shows up on it.
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const feed = new WebSocket(`ws://127.0.0.1:${hub.httpPort}/api/live`, { headers: { cookie } });
    cleanups.push(() => feed.terminate());
    const frames: { type: string; node?: { node: string; current: unknown } }[] = [];
    feed.on('message', (data) => frames.push(...(liveMessagesOf(JSON.parse(String(data)) as LiveMessage) as unknown as typeof frames)));
    await waitFor(() => frames.some((f) => f.type === 'snapshot'), 'the live snapshot');
    const edge = await client(hub.mqttUrl);
    await edge.publishAsync(topicFor(SITE, 'mill-9', 'current'), encodePayload('current', { ts: TS, seq: 1, irms: [2.5] }), { qos: 1 });
    const update = await waitFor(() => frames.find((f) => f.type === 'node' && f.node?.node === 'mill-9'), 'a live node update');
    expect(update.node?.current).toEqual({ irms: [2.5], ts: TS, seq: 1 });

    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${hub.httpPort}/not-a-feed`);
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('upgrade to an unknown path was accepted')));
      ws.once('error', () => undefined);
    });
    expect(refused).toBe(404);
  });

  it('stops idempotently, frees both ports, and fails to start cleanly when a port is taken', async () => {
    const dataDir = await tempDir();
    const hub = await startHub(dataDir);
    const { mqttPort, httpPort } = hub;
    const c = await client(hub.mqttUrl);
    await Promise.all([hub.stop(), hub.stop()]);
    await hub.stop();
    expect(await portIsFree(mqttPort)).toBe(true);
    expect(await portIsFree(httpPort)).toBe(true);
    await waitFor(() => !c.connected, 'the client to notice the hub went away');

    // Occupy an HTTP port: start must fail and leave nothing open (MQTT port, databases).
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const blockedPort = (blocker.address() as { port: number }).port;
    const failing = createHub({ config: hubConfig(dataDir, { hub: { http: { port: blockedPort } } }), logger: silentLogger });
    await expect(failing.start()).rejects.toThrow(/EADDRINUSE/);
    // The data dir is usable again at once: the LevelDB lock and SQLite were released.
    const again = await startHub(dataDir);
    expect(again.running).toBe(true);
  });
});
