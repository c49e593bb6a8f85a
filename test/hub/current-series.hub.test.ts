/**
 * The current chart's API through the whole hub: readings published over real MQTT, stored in
 * SQLite, read back over real HTTP for the machine's configured channel.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, hubConfig, makeTempDir, silentLogger } from '../../broker/src/test-support/helpers.js';

const SITE = 'factory';
const NODE = 'lathe-1';

describe('current readings on a running hub', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let edge: MqttClient;
  let cookie = '';
  const base = Date.now() - 10 * 60_000;

  beforeAll(async () => {
    dir = await makeTempDir();
    hub = createHub({
      config: hubConfig(dir.path, { machines: { [NODE]: { name: 'Lathe', channel: 1 } }, dashboard: { adminUser: 'boss', adminPassword: 'boss-password-1' } }),
      logger: silentLogger,
    });
    await hub.start();
    edge = mqtt.connect(hub.mqttUrl, { clientId: 'edge-lathe-1', reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      edge.once('connect', () => resolve());
      edge.once('error', reject);
    });
    // Channel 0 is another clamp; the machine's own current is channel 1.
    for (let i = 0; i < 20; i++) {
      await edge.publishAsync(topicFor(SITE, NODE, 'current'), encodePayload('current', { ts: base + i * 1000, seq: i + 1, irms: [99, i / 2] }), { qos: 1 });
    }
    await hub.flush();
    const login = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'boss', password: 'boss-password-1' }) });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  });

  afterAll(async () => {
    await closeClient(edge);
    await hub?.stop();
    await dir?.remove();
  });

  type Body = { channel: number; bucketMs: number; points: Array<{ ts: number; avg: number; min: number; max: number }> };
  const get = (query: string) => fetch(`${hub.httpUrl}/api/machines/${SITE}/${NODE}/current?${query}`, { headers: { cookie } });

  it('answers the readings of the configured channel, raw or in buckets', async () => {
    const raw = (await (await get(`from=${base}&to=${base + 60_000}`)).json()) as Body;
    expect(raw.channel).toBe(1);
    expect(raw.bucketMs).toBe(0);
    expect(raw.points.map((p) => p.avg)).toEqual(Array.from({ length: 20 }, (_v, i) => i / 2));
    // 60 s in 6 points: 10 s buckets of ten readings each.
    const bucketed = (await (await get(`from=${base}&to=${base + 60_000}&points=6`)).json()) as Body;
    expect(bucketed.bucketMs).toBe(10_000);
    expect(bucketed.points).toEqual([
      { ts: base, avg: 2.25, min: 0, max: 4.5 },
      { ts: base + 10_000, avg: 7.25, min: 5, max: 9.5 },
    ]);
  });

  it('answers 404 for a node that is no machine and 401 without a session', async () => {
    expect((await fetch(`${hub.httpUrl}/api/machines/${SITE}/nobody/current`, { headers: { cookie } })).status).toBe(404);
    expect((await fetch(`${hub.httpUrl}/api/machines/${SITE}/${NODE}/current`)).status).toBe(401);
  });
});
