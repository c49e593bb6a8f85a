/**
 * PUBACKs skip the persistence lookup only for clients with nothing stored outgoing: a
 * persistent session's queue, read back after a hub restart, is still cleared by its PUBACKs
 * (nothing is re-sent to the next session), and the key parser reads the ids of the store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../hub.js';
import { hubConfig, makeTempDir, silentLogger } from '../test-support/helpers.js';
import { RawMqttClient } from '../test-support/raw-mqtt.js';
import { clientIdOfOutgoingKey } from './outgoing-clears.js';

describe('outgoing clears', () => {
  it('reads the client id of outgoing-queue keys, encoded ids included', () => {
    expect(clientIdOfOutgoingKey(`outgoing:${encodeURIComponent('a:b/c é')}:broker-1:0000000000000001`)).toBe('a:b/c é');
    expect(clientIdOfOutgoingKey('outgoing-id:mieruka-bridge-factory-mill-1:0000000000000042')).toBe('mieruka-bridge-factory-mill-1');
    expect(clientIdOfOutgoingKey('retained:a/b')).toBeNull();
    expect(clientIdOfOutgoingKey('outgoing:no-separator')).toBeNull();
    expect(clientIdOfOutgoingKey('outgoing:%E0%A4%A:x')).toBeNull();
  });

  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a session queued before a hub restart gets its messages once; its PUBACKs clear them', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const config = hubConfig(dir.path);
    let hub = new Hub({ config, logger: silentLogger });
    cleanups.push(() => hub.stop());
    await hub.start();
    const first = await RawMqttClient.connect(hub.mqttPort, { clientId: 'kept-session', clean: false });
    await first.client.subscribe('kept/q1', 1, 1);
    await first.client.disconnect();
    // The hub's own publish resolves once aedes has queued it for the offline session.
    for (let i = 1; i <= 3; i++) await hub.broker.publish({ topic: 'kept/q1', payload: `m${i}`, qos: 1 });
    await hub.stop();

    hub = new Hub({ config, logger: silentLogger });
    await hub.start();
    const second = await RawMqttClient.connect(hub.mqttPort, { clientId: 'kept-session', clean: false });
    cleanups.push(() => second.client.drop());
    expect(second.connack.sessionPresent).toBe(true);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await second.client.next('publish', (x) => !got.includes(x.payload.toString()));
      got.push(p.payload.toString());
      second.client.send({ cmd: 'puback', messageId: p.messageId! });
    }
    expect(got).toEqual(['m1', 'm2', 'm3']);
    // A new message after the acknowledgements: it comes, the acknowledged ones do not again.
    await hub.broker.publish({ topic: 'kept/q1', payload: 'm4', qos: 1 });
    const m4 = await second.client.next('publish', (x) => x.payload.toString() === 'm4');
    second.client.send({ cmd: 'puback', messageId: m4.messageId! });
    await second.client.disconnect();

    const third = await RawMqttClient.connect(hub.mqttPort, { clientId: 'kept-session', clean: false });
    cleanups.push(() => third.client.drop());
    await hub.broker.publish({ topic: 'kept/q1', payload: 'm5', qos: 1 });
    const m5 = await third.client.next('publish', (x) => x.payload.toString() === 'm5');
    third.client.send({ cmd: 'puback', messageId: m5.messageId! });
    // m5 was taken above; m1…m4, had their clears been skipped, would be re-sent before it.
    expect(third.client.publishes('kept/q1')).toEqual([]);
    await third.client.disconnect();
  });
});
