/**
 * A flood through the hub's broker: several publishers faster than one subscriber reads
 * (messages wait in the broker's queues, deliveries are written to the socket in batches).
 * Every message reaches a QoS 0 and a QoS 1 subscriber, once, in each publisher's order.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';

const PUBLISHERS = 5;
const EACH = 400;

describe('fan-out under load', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('delivers every message of a flood to each subscriber once and in order per publisher', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const hub = new Hub({ config: hubConfig(dir.path), logger: silentLogger });
    cleanups.push(() => hub.stop());
    await hub.start();
    const received = new Map<string, number[][]>();
    const subscribe = async (name: string, qos: 0 | 1): Promise<MqttClient> => {
      const lists: number[][] = Array.from({ length: PUBLISHERS }, () => []);
      received.set(name, lists);
      const client = await connectClient(hub.mqttUrl, { clientId: name });
      cleanups.push(() => closeClient(client));
      client.on('message', (topic, payload) => lists[Number(topic.split('/')[1])]?.push(Number(payload.toString())));
      await client.subscribeAsync('flood/#', { qos });
      return client;
    };
    await subscribe('sub-q0', 0);
    await subscribe('sub-q1', 1);
    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => connectClient(hub.mqttUrl, { clientId: `flood-${i}` })));
    for (const p of publishers) cleanups.push(() => closeClient(p));

    // QoS 0 for the flood (nothing holds the publishers back), the last one at QoS 1 as a marker.
    publishers.forEach((p, i) => {
      for (let n = 0; n < EACH; n++) p.publish(`flood/${i}`, String(n), { qos: n === EACH - 1 ? 1 : 0 });
    });
    const complete = (name: string) => received.get(name)!.every((list) => list.length >= EACH);
    await waitFor(() => complete('sub-q0') && complete('sub-q1'), 'every message at both subscribers', 20_000);
    const expected = Array.from({ length: PUBLISHERS }, () => Array.from({ length: EACH }, (_, n) => n));
    expect(received.get('sub-q0')).toEqual(expected);
    expect(received.get('sub-q1')).toEqual(expected);
  });
});
