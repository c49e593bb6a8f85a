/**
 * Fleet mode (issue 17): two hubs, each with its own data dir and SQLite store, share their
 * broker state through one real redis-server (hub.cluster.redisUrl). Real MQTT.js clients on
 * loopback: what a client publishes on one hub reaches subscribers on the other (QoS 0 and 1),
 * retained messages and persistent sessions follow a client to the other hub, a stopped hub
 * loses no acknowledged QoS 1 message, and each hub ingests (stores) only its own clients'
 * messages. Counts are bounded; nothing is timed.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';

const SITE = 'factory';

describe('two hubs sharing Redis', () => {
  let redis: RunningRedis;
  const dirs: Array<Awaited<ReturnType<typeof makeTempDir>>> = [];
  const hubs: Hub[] = [];
  const clients: MqttClient[] = [];
  let hubA: Hub;
  let hubB: Hub;

  async function startHub(hubId: string): Promise<Hub> {
    const dir = await makeTempDir();
    dirs.push(dir);
    const hub = createHub({ config: hubConfig(dir.path, { hub: { cluster: { redisUrl: redis.url, hubId } } }), logger: silentLogger });
    await hub.start();
    hubs.push(hub);
    return hub;
  }

  async function client(hub: Hub, options: Parameters<typeof connectClient>[1] = {}): Promise<MqttClient> {
    // A loaded machine may take a while to route a session through Redis; not a timing claim.
    const c = await connectClient(hub.mqttUrl, { connectTimeout: 20_000, ...options });
    clients.push(c);
    return c;
  }

  /** Rows of `node`'s current readings in a hub's own SQLite store. */
  const readings = (hub: Hub, node: string): number[] =>
    (hub.store.database.prepare('SELECT seq FROM readings WHERE site = ? AND node = ? ORDER BY seq').all(SITE, node) as Array<{ seq: number }>).map((r) => r.seq);

  const current = (seq: number) => encodePayload('current', { ts: Date.now(), seq, irms: [1 + seq / 10] });

  beforeAll(async () => {
    redis = await startRedis();
    hubA = await startHub('hub-a');
    hubB = await startHub('hub-b');
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await closeClient(c);
  });

  afterAll(async () => {
    for (const c of clients.splice(0)) await closeClient(c);
    for (const hub of hubs) await hub.stop();
    for (const dir of dirs) await dir.remove();
    await redis?.stop();
  });

  it('reports each hub as a member of the fleet with its Redis link up', () => {
    expect(hubA.stats().cluster).toEqual({ hubId: 'hub-a', redis: expect.objectContaining({ connected: true, disconnects: 0 }) });
    expect(hubB.stats().cluster?.hubId).toBe('hub-b');
  });

  it('delivers what a client publishes on hub B to a subscriber on hub A (QoS 0 and 1); only B ingests it', async () => {
    const topic = topicFor(SITE, 'mill-b1', 'current');
    const sub = await client(hubA);
    const got: Array<{ seq: number; qos: number }> = [];
    sub.on('message', (_t, payload, packet) => got.push({ seq: (JSON.parse(payload.toString()) as { seq: number }).seq, qos: packet.qos }));
    await sub.subscribeAsync(topic, { qos: 1 });

    // Which hub's broker emits 'publish' (what ingest listens to) for a message from B's client.
    const seenBy = { a: 0, b: 0 };
    const offA = hubA.broker.onPublish((p) => p.topic === topic && seenBy.a++);
    const offB = hubB.broker.onPublish((p) => p.topic === topic && seenBy.b++);

    const pub = await client(hubB);
    // The subscription reaches B through Redis; probe until a message makes the trip.
    let probe = 1000;
    await waitFor(async () => {
      await pub.publishAsync(topic, current(probe++), { qos: 0 });
      return got.length > 0;
    }, 'a message from hub B at a subscriber on hub A');
    // Probes (seq ≥ 1000) still in flight may arrive later; only seq 1–10 are counted.
    const counted = () => got.filter((g) => g.seq <= 10);
    for (let seq = 1; seq <= 10; seq++) await pub.publishAsync(topic, current(seq), { qos: seq % 2 === 0 ? 1 : 0 });
    await waitFor(() => counted().length >= 10, 'ten messages across the hubs');
    expect(counted().map((g) => g.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(counted().filter((g) => g.seq % 2 === 0).every((g) => g.qos === 1)).toBe(true);

    // aedes emits 'publish' only on the hub the client published to: ingest runs there alone.
    await waitFor(() => readings(hubB, 'mill-b1').filter((s) => s <= 10).length === 10, 'hub B to store the ten readings');
    offA();
    offB();
    expect(seenBy.a).toBe(0);
    expect(seenBy.b).toBeGreaterThanOrEqual(10);
    expect(readings(hubA, 'mill-b1')).toEqual([]);
  });

  it('gives a new subscriber on hub B the retained message set through hub A', async () => {
    const topic = topicFor(SITE, 'mill-r', 'state');
    const payload = encodePayload('state', { ts: Date.now(), state: 'running', since: Date.now() - 60_000, irms: [4.2] });
    const pubA = await client(hubA);
    await pubA.publishAsync(topic, payload, { qos: 1, retain: true });

    const subB = await client(hubB);
    const retained: Buffer[] = [];
    subB.on('message', (_t, p, packet) => packet.retain && retained.push(p));
    await subB.subscribeAsync(topic, { qos: 1 });
    await waitFor(() => retained.length > 0, 'the retained state on hub B');
    expect(retained[0]?.equals(payload)).toBe(true);
  });

  it('hands a persistent session its whole QoS 1 backlog when it comes back on the other hub', async () => {
    const topic = topicFor(SITE, 'mill-p', 'current');
    const clientId = 'dashboard-backlog-1';
    const seqs = (list: Buffer[]) => list.map((p) => (JSON.parse(p.toString()) as { seq: number }).seq);

    const first: Buffer[] = [];
    const subA = await client(hubA, { clientId, clean: false });
    subA.on('message', (_t, p) => first.push(p));
    await subA.subscribeAsync(topic, { qos: 1 });
    const pubB = await client(hubB);
    // Hub B knows the subscription once a probe it routes arrives.
    await waitFor(async () => {
      await pubB.publishAsync(topic, current(900), { qos: 1 });
      return first.length > 0;
    }, 'the session known on hub B');
    await subA.endAsync();
    await waitFor(() => hubA.stats().clientsConnected === 0 || !hubA.broker.started, 'hub A to see the session leave');

    const N = 25;
    for (let seq = 1; seq <= N; seq++) await pubB.publishAsync(topic, current(seq), { qos: 1 });

    const backlog: Buffer[] = [];
    const back = await client(hubB, { clientId, clean: false });
    back.on('message', (_t, p) => backlog.push(p));
    await waitFor(() => seqs(backlog).filter((s) => s <= N).length >= N, 'the backlog on hub B');
    expect([...new Set(seqs(backlog).filter((s) => s <= N))].sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    await back.unsubscribeAsync(topic);
  });

  it('each hub stores only the readings of its own clients', async () => {
    const pubA = await client(hubA);
    const pubB = await client(hubB);
    for (let seq = 1; seq <= 5; seq++) {
      await pubA.publishAsync(topicFor(SITE, 'own-a', 'current'), current(seq), { qos: 1 });
      await pubB.publishAsync(topicFor(SITE, 'own-b', 'current'), current(seq), { qos: 1 });
    }
    // QoS 1 is acknowledged once stored (issue 15), so the rows are there now.
    expect(readings(hubA, 'own-a')).toEqual([1, 2, 3, 4, 5]);
    expect(readings(hubB, 'own-b')).toEqual([1, 2, 3, 4, 5]);
    expect(readings(hubA, 'own-b')).toEqual([]);
    expect(readings(hubB, 'own-a')).toEqual([]);
  });

  it("shows a node reporting to hub B live on hub A's dashboard, without storing it or feeding A's rules", async () => {
    const node = 'peer-mill';
    const updates: string[] = [];
    const off = hubA.dataSource.subscribe((u) => u.type === 'node' && u.node.node === node && updates.push(u.node.state?.state ?? 'none'));
    const rulesSaw: string[] = [];
    const offRules = hubA.live.subscribe((u) => u.type === 'node' && u.node.node === node && rulesSaw.push(u.node.node));

    const pubB = await client(hubB);
    const since = Date.now() - 5_000;
    await pubB.publishAsync(topicFor(SITE, node, 'state'), encodePayload('state', { ts: Date.now(), state: 'running', since, irms: [6.5] }), { qos: 1, retain: true });
    await pubB.publishAsync(topicFor(SITE, node, 'current'), current(7), { qos: 1 });
    const onA = () => hubA.dataSource.listNodes().find((n) => n.node === node);
    await waitFor(() => onA()?.current?.seq === 7, "the node's reading on hub A's dashboard");
    expect(onA()?.state).toMatchObject({ state: 'running', since });
    expect(updates).toContain('running');

    // Live only on A: not A's own node (no rule input), no row; B ingested it.
    off();
    offRules();
    expect(hubA.live.get(SITE, node)).toBeUndefined();
    expect(rulesSaw).toEqual([]);
    expect(readings(hubA, node)).toEqual([]);
    expect(readings(hubB, node)).toEqual([7]);
    expect(hubB.live.get(SITE, node)?.current?.seq).toBe(7);
    // And B does not list it twice (its own ingest has it; its mirror skips its own clients).
    expect(hubB.dataSource.listNodes().filter((n) => n.node === node)).toHaveLength(1);
    expect(hubB.peerLive?.get(SITE, node)).toBeUndefined();
  });

  it('bounds the deliveries under way to a subscriber that stops reading, as one hub does: the rest wait in the emitter, then all arrive in order', async () => {
    // Big messages on a topic nothing ingests: ~12 MB, more than loopback's socket buffers hold,
    // so the paused subscriber pushes back on hub A.
    const topic = 'flood/a';
    const N = 6000;
    const body = 'x'.repeat(2000);
    const sub = await client(hubA);
    const got: number[] = [];
    sub.on('message', (_t, p) => got.push(Number(p.toString().split(':')[0])));
    await sub.subscribeAsync(topic, { qos: 0 });
    const pub = await client(hubB);
    await waitFor(async () => {
      await pub.publishAsync(topic, `-1:${body}`, { qos: 0 });
      return got.length > 0;
    }, 'the subscription on hub A known to hub B');
    await waitFor(() => hubA.broker.deliveries().underWay === 0, 'the probes delivered');
    got.length = 0;

    sub.stream.pause();
    let most = 0;
    const sample = setInterval(() => (most = Math.max(most, hubA.broker.deliveries().underWay)), 2);
    try {
      for (let i = 0; i < N; i++) await pub.publishAsync(topic, `${i}:${body}`, { qos: 0 });
      // The backlog forms on hub A: deliveries under way at the bound, the rest waiting once.
      await waitFor(() => hubA.broker.deliveries().waiting > 0, 'messages waiting on hub A for the paused subscriber');
      expect(hubA.broker.deliveries().underWay).toBeLessThanOrEqual(100);
      expect(hubA.queueDepths()['mqtt-deliveries']).toBeGreaterThan(0);
      sub.stream.resume();
      await waitFor(() => got.filter((n) => n >= 0).length >= N, 'every message once the subscriber reads again');
    } finally {
      clearInterval(sample);
      sub.stream.resume();
    }
    // Without the bound every message from Redis started its delivery at once (thousands).
    expect(most).toBeLessThanOrEqual(100);
    expect(got.filter((n) => n >= 0)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(hubA.broker.deliveries()).toEqual({ underWay: 0, waiting: 0 });
  });

  it('loses no acknowledged QoS 1 message when the hub it was published to stops', async () => {
    const topic = topicFor(SITE, 'mill-d', 'current');
    const clientId = 'dashboard-death-1';
    const subA = await client(hubA, { clientId, clean: false });
    const first: Buffer[] = [];
    subA.on('message', (_t, p) => first.push(p));
    await subA.subscribeAsync(topic, { qos: 1 });

    const hubC = await startHub('hub-c');
    const pubC = await client(hubC);
    await waitFor(async () => {
      await pubC.publishAsync(topic, current(900), { qos: 1 });
      return first.length > 0;
    }, 'the session known on hub C');
    await subA.endAsync();
    await waitFor(() => hubA.stats().clientsConnected === 0, 'hub A to see the session leave');

    const N = 20;
    const acked: number[] = [];
    for (let seq = 1; seq <= N; seq++) {
      await pubC.publishAsync(topic, current(seq), { qos: 1 });
      acked.push(seq);
    }
    const storedOnC = readings(hubC, 'mill-d').filter((s) => s <= N);
    await hubC.stop();

    const back = await client(hubA, { clientId, clean: false });
    const got: number[] = [];
    back.on('message', (_t, p) => got.push((JSON.parse(p.toString()) as { seq: number }).seq));
    await waitFor(() => got.filter((s) => s <= N).length >= N, 'the backlog on hub A after hub C stopped');
    expect([...new Set(got.filter((s) => s <= N))].sort((x, y) => x - y)).toEqual(acked);
    expect(storedOnC).toEqual(acked);
    expect(readings(hubA, 'mill-d')).toEqual([]);
    await back.unsubscribeAsync(topic);
  });
});
