/**
 * The hub acknowledges a client's QoS 1 message only once it is stored (issue 15): an agent
 * deletes a message from its on-disk queue on the PUBACK, so a hub killed right after must
 * still have it. aedes writes the PUBACK before routing a QoS 1 message; ingest therefore takes
 * it in authorizePublish (MqttBroker's beforeAck).
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { Hub } from '../hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger } from '../test-support/helpers.js';
import { stoppedClock } from '../../../test/helpers/test-clock.js';

describe('QoS 1 is acknowledged after the message is stored', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  let hub: Hub | undefined;
  let client: MqttClient | undefined;
  afterEach(async () => {
    await closeClient(client);
    await hub?.stop();
    await dir?.remove();
  });

  it('every reading and event is in the database when its PUBACK arrives, once, and a QoS 0 one is not held', async () => {
    dir = await makeTempDir();
    const clock = stoppedClock();
    // A long flush interval: only the acknowledgement path can have written the rows this soon.
    hub = new Hub({ config: hubConfig(dir.path, { hub: { ingest: { flushIntervalMs: 60_000 } } }), logger: silentLogger, now: clock });
    await hub.start();
    client = await connectClient(hub.mqttUrl, { clientId: 'mieruka-bridge-factory-mill-1' });
    const count = (table: string) => (hub?.store.database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const ts = clock() - 60_000;

    for (let seq = 1; seq <= 50; seq++) {
      await client.publishAsync(topicFor('factory', 'mill-1', 'current'), encodePayload('current', { ts: ts + seq, seq, irms: [2.5] }), { qos: 1 });
      expect(count('readings')).toBe(seq);
    }
    await client.publishAsync(topicFor('factory', 'mill-1', 'event'), encodePayload('event', { ts: ts + 100, seq: 100, type: 'run_finished', durationS: 60 }), { qos: 1 });
    expect(count('events')).toBe(1);
    // Nothing was ingested twice (the 'publish' event that follows skips what was taken).
    expect(hub.stats().messagesReceived).toBe(51);
    expect(hub.stats().messagesDuplicate ?? 0).toBe(0);

    // QoS 0 has no acknowledgement to hold: it is stored at the flush interval as before.
    await client.publishAsync(topicFor('factory', 'mill-1', 'current'), encodePayload('current', { ts: ts + 200, seq: 200, irms: [2.5] }), { qos: 0 });
    expect(count('readings')).toBe(50);
  });
});
