/**
 * Per-client limits (issue 14, item 6) on real parts: a started hub (aedes, TCP and WebSocket
 * on loopback), raw sockets for packets no client library would send, MQTT.js for the rest.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../hub.js';
import { closeClient, connectClient, fakeJpeg, hubConfig, makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';
import { BrokerPersistence } from './broker-persistence.js';
import { MqttBroker } from './mqtt-broker.js';
import { MqttLimits } from './mqtt-limits.js';
import { MqttServer } from './mqtt-server.js';
import { PacketSizeTracker } from './packet-size-guard.js';

/** MQTT remaining-length bytes (§2.2.3). */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, id.length]), id]);
  return Buffer.concat([Buffer.from([0x10, ...varint(body.length)]), body]);
}

/** Resolves when the socket closes; collects what the hub sent. */
function rawSocket(port: number): Promise<{ socket: Socket; closed: Promise<void>; received: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, closed, received }));
    socket.once('error', reject);
  });
}

describe('PacketSizeTracker', () => {
  it('follows packets across chunk boundaries and refuses a header over the limit', () => {
    const t = new PacketSizeTracker(100);
    const small = Buffer.from([0x30, 3, 1, 2, 3]);
    // Two small packets cut at every possible place pass.
    const two = Buffer.concat([small, small]);
    for (let cut = 0; cut <= two.length; cut++) {
      const tracker = new PacketSizeTracker(100);
      expect(tracker.check(two.subarray(0, cut))).toBeNull();
      expect(tracker.check(two.subarray(cut))).toBeNull();
    }
    // A header announcing 101 bytes is refused on the length byte, its body never needed.
    expect(t.check(Buffer.from([0x30]))).toBeNull();
    expect(t.check(Buffer.from([101]))).toBe('too-large');
    // Five length bytes are malformed (§2.2.3 allows four).
    expect(new PacketSizeTracker(1e9).check(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe('malformed');
  });
});

describe('MQTT limits on the hub', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let client: MqttClient | undefined;

  beforeAll(async () => {
    dir = await makeTempDir();
    hub = new Hub({ config: hubConfig(dir.path, { hub: { mqtt: { limits: { maxTopicLevels: 10 } } } }), logger: silentLogger });
    await hub.start();
  });

  afterAll(async () => {
    await closeClient(client);
    await hub?.stop();
    await dir?.remove();
  });

  it('cuts a TCP client announcing a 64 MB publish from its header, before the body is sent', async () => {
    const { socket, closed } = await rawSocket(hub.mqttPort);
    socket.write(connectPacket('big-sender'));
    const topic = Buffer.from('mieruka/v1/factory/x/state');
    const remaining = 2 + topic.length + 64 * 1024 * 1024;
    // Only the fixed header, the topic and 1 KiB of the body: the hub must hang up on that alone.
    socket.write(Buffer.concat([Buffer.from([0x31, ...varint(remaining), 0, topic.length]), topic, Buffer.alloc(1024)]));
    await closed;
    expect(hub.stats().mqttRefused.limits['too-large']).toBe(1);
    expect(hub.stats().clientsConnected).toBe(0);
  });

  it('still takes a 512 KiB image from MQTT.js, over TCP and WebSocket', async () => {
    client = await connectClient(hub.mqttUrl, { clientId: 'image-sender' });
    await client.publishAsync('mieruka/v1/factory/bench-1/image', fakeJpeg(0x42, 512 * 1024), { qos: 1 });
    await client.endAsync();
    client = await connectClient(hub.mqttWsUrl, { clientId: 'image-sender-ws' });
    await client.publishAsync('mieruka/v1/factory/bench-2/image', fakeJpeg(0x42, 512 * 1024), { qos: 1 });
    await client.endAsync();
    client = undefined;
    await waitFor(() => hub.live.get('factory', 'bench-2') !== undefined, 'the WebSocket image');
    expect(hub.live.get('factory', 'bench-1')).toBeDefined();
  });

  it('cuts a WebSocket client sending more than the limit, and counts it', async () => {
    const before = hub.stats().mqttRefused.limits['too-large'] ?? 0;
    client = await connectClient(hub.mqttWsUrl, { clientId: 'big-ws' });
    const closed = new Promise<void>((r) => client!.once('close', () => r()));
    client.publish('other/flow', Buffer.alloc(1024 * 1024 + 100), { qos: 0 });
    await closed;
    await closeClient(client);
    client = undefined;
    await waitFor(() => (hub.stats().mqttRefused.limits['too-large'] ?? 0) > before, 'the WebSocket refusal counted');
  });

  it('cuts a client publishing to a topic deeper than maxTopicLevels and counts it', async () => {
    client = await connectClient(hub.mqttUrl, { clientId: 'deep' });
    const closed = new Promise<void>((r) => client!.once('close', () => r()));
    client.publish(Array.from({ length: 11 }, (_, i) => `l${i}`).join('/'), 'x', { qos: 1 });
    await closed;
    await closeClient(client);
    client = undefined;
    await waitFor(() => (hub.stats().mqttRefused.limits['topic-levels'] ?? 0) === 1, 'the topic-levels refusal counted');
  });

  it('counts a malformed packet (reserved packet type 0) instead of only debug-logging it', async () => {
    const { socket, closed } = await rawSocket(hub.mqttPort);
    socket.write(Buffer.from([0x00, 0x00]));
    await closed;
    await waitFor(() => (hub.stats().mqttRefused.limits.malformed ?? 0) === 1, 'the malformed packet counted');
  });

  it('keeps serving well-behaved clients after all of that', async () => {
    client = await connectClient(hub.mqttUrl, { clientId: 'good' });
    await client.publishAsync('mieruka/v1/factory/mill-9/status', JSON.stringify({ online: true, ts: Date.now(), agent: 'bridge', version: '1' }), { qos: 1 });
    await waitFor(() => hub.live.get('factory', 'mill-9')?.online === true, 'the good client');
  });
});

describe('connections per IP per second', () => {
  it('refuses the connection past the limit within one second and counts it', async () => {
    const dir = await makeTempDir();
    const persistence = new BrokerPersistence({ dir: join(dir.path, 'mqtt'), logger: silentLogger });
    const at = Date.now();
    const limits = new MqttLimits({
      limits: { maxPayloadBytes: 1024 * 1024, maxTopicLevels: 32, connectionsPerIpPerSecond: 2, maxInflight: 100, queueLimit: 42 },
      logger: silentLogger,
      now: () => at, // a stopped clock: every connection falls into the same second
      rateLimitLoopback: true,
    });
    const broker = new MqttBroker({ persistence, logger: silentLogger, limits });
    const server = new MqttServer({ broker, host: '127.0.0.1', port: 0, logger: silentLogger });
    const clients: MqttClient[] = [];
    try {
      await persistence.start();
      await broker.start();
      await server.start();
      const url = `mqtt://127.0.0.1:${server.port}`;
      clients.push(await connectClient(url, { clientId: 'a' }), await connectClient(url, { clientId: 'b' }));
      const third = await rawSocket(server.port);
      third.socket.write(connectPacket('c'));
      await third.closed;
      expect(third.received).toEqual([]); // not even a CONNACK
      expect(limits.stats()['connection-rate']).toBe(1);
      expect(broker.clientsConnected).toBe(2);
    } finally {
      for (const c of clients) await closeClient(c);
      await server.stop();
      await broker.stop();
      await persistence.stop();
      await dir.remove();
    }
  });
});
