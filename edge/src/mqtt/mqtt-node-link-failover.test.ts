/**
 * An agent with a list of brokers (hubs of one cluster) against two real aedes brokers on
 * 127.0.0.1: it reaches the second when the first is down at start, moves back when the one in
 * use dies, and every reading arrives at one of them (none lost, each stored once by seq).
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage } from '@mieruka/protocol';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { startTestBroker, type TestBroker } from '../../../test/helpers/aedes-broker.js';
import { MqttNodeLink } from './mqtt-node-link.js';

const silent = pino({ level: 'silent' });

/** The seqs of the readings of factory/mill-1 that reached this broker. */
function readingsAt(broker: TestBroker): number[] {
  const seqs: number[] = [];
  broker.aedes.on('publish', (packet, client) => {
    if (!client || packet.topic !== 'mieruka/v1/factory/mill-1/current') return;
    const d = decodeMessage(packet.topic, packet.payload as Buffer);
    if (d.ok && d.message.kind === 'current') seqs.push(d.message.payload.seq);
  });
  return seqs;
}

describe('MqttNodeLink with failover brokers', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  it('starts on the second broker when the first is down, moves back when that one dies, and loses no reading', async () => {
    // A port nobody listens on (yet): the primary hub is down.
    const probe = await startTestBroker();
    const primaryPort = probe.port;
    await probe.close();
    const second = await startTestBroker();
    cleanups.push(() => second.close());
    const atSecond = readingsAt(second);

    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const t = Date.now();
    const link = new MqttNodeLink({
      url: `mqtt://127.0.0.1:${primaryPort}`,
      failoverUrls: [second.url],
      site: 'factory',
      node: 'mill-1',
      agent: 'bridge',
      version: 'test',
      dataDir: dir.path,
      logger: silent,
      now: () => t,
      reconnect: { initialMs: 50, maxMs: 100 },
    });
    cleanups.push(() => link.stop());
    await link.start({ connectTimeoutMs: 20_000 });
    const sent: number[] = [];
    for (let i = 0; i < 10; i++) {
      const seq = link.nextSeq();
      sent.push(seq);
      await link.publish('current', { ts: t, seq, irms: [i] });
    }
    await waitFor(() => atSecond.length === 10, 'the first readings at the second broker');

    // The second hub dies; the first comes up on its port. Readings meanwhile wait in the outbox.
    await second.close();
    for (let i = 10; i < 20; i++) {
      const seq = link.nextSeq();
      sent.push(seq);
      await link.publish('current', { ts: t, seq, irms: [i] });
    }
    const primary = await startTestBroker(primaryPort);
    cleanups.push(() => primary.close());
    const atPrimary = readingsAt(primary);
    await waitFor(() => link.stats().queued === 0 && new Set([...atSecond, ...atPrimary]).size === 20, 'every reading at one broker or the other', 20_000);

    expect([...new Set([...atSecond, ...atPrimary])].sort((a, b) => a - b)).toEqual(sent);
    expect(atPrimary.length).toBeGreaterThanOrEqual(10);
    expect(link.stats().connects).toBeGreaterThanOrEqual(2);
  });
});
