/**
 * Store-and-forward through MqttNodeLink against a real aedes broker on 127.0.0.1 (what the
 * broker received is read from aedes itself, so nothing races a subscriber's connect): an
 * outage across an agent restart, a full queue, and the backlog in `status`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthorizePublishHandler } from 'aedes';
import { decodeMessage, examplePayloads, type StatusPayload } from '@mieruka/protocol';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { startTestBroker, type TestBroker } from '../../../test/helpers/aedes-broker.js';
import { startMosquitto } from '../../../test/helpers/mosquitto.js';
import { MqttNodeLink, type MqttNodeLinkOptions } from './mqtt-node-link.js';

const silent = pino({ level: 'silent' });

type Got = { kind: string; payload: Record<string, unknown>; retain: boolean };

/** Everything the link's node published that reached the broker, in arrival order. */
function record(broker: TestBroker): Got[] {
  const got: Got[] = [];
  broker.aedes.on('publish', (packet, client) => {
    if (!client || !packet.topic.startsWith('mieruka/v1/factory/mill-1/')) return;
    const d = decodeMessage(packet.topic, packet.payload as Buffer);
    if (!d.ok) throw new Error(`invalid message on ${packet.topic}`);
    got.push({ kind: d.message.kind, payload: (d.message.kind === 'image' ? {} : d.message.payload) as Record<string, unknown>, retain: packet.retain });
  });
  return got;
}

const statuses = (got: Got[]) => got.filter((g) => g.kind === 'status').map((g) => g.payload as unknown as StatusPayload);
const seqs = (got: Got[]) => got.filter((g) => g.kind === 'current').map((g) => g.payload.seq as number);

function recordingLogger(): { logger: Logger; lines: Array<{ level: number; msg: string; [k: string]: unknown }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger: Logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { logger, lines };
}

describe('MqttNodeLink store-and-forward', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  /** A port nothing listens on yet (the broker comes up later). */
  async function downBrokerPort(): Promise<number> {
    const probe = await startTestBroker();
    await probe.close();
    return probe.port;
  }

  async function setup(port: number, extra: Partial<MqttNodeLinkOptions> = {}) {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    let t = 1_764_000_000_000;
    const now = () => t;
    const make = (more: Partial<MqttNodeLinkOptions> = {}) => {
      const link = new MqttNodeLink({
        url: `mqtt://127.0.0.1:${port}`,
        site: 'factory',
        node: 'mill-1',
        agent: 'bridge',
        version: 'test',
        dataDir: dir.path,
        logger: silent,
        now,
        reconnect: { initialMs: 100, maxMs: 200 },
        ...extra,
        ...more,
      });
      cleanups.push(() => link.stop());
      return link;
    };
    return { make, dir: dir.path, tick: (ms = 1000) => (t += ms), now };
  }

  it('keeps readings through a broker outage and an agent restart, and delivers all of them once, in order', async () => {
    const port = await downBrokerPort();
    const { make, tick, now } = await setup(port);
    const first = make();
    await first.start({ waitForConnect: false });
    const t0 = now();
    for (let i = 0; i < 40; i++) {
      await first.publish('current', { ts: now(), seq: first.nextSeq(), irms: [i / 10] });
      tick();
    }
    await first.publish('state', { ...examplePayloads.state, ts: now() });
    expect(first.stats()).toMatchObject({ queued: 41, oldestTs: t0, delivered: 0, dropped: 0, outboxPersistent: true });
    await first.stop(); // the agent restarts while the hub is still down

    const second = make();
    await second.start({ waitForConnect: false });
    for (let i = 40; i < 60; i++) {
      await second.publish('current', { ts: now(), seq: second.nextSeq(), irms: [i / 10] });
      tick();
    }
    expect(second.stats()).toMatchObject({ queued: 61, oldestTs: t0 });

    const broker = await startTestBroker(port);
    cleanups.push(() => broker.close());
    const got = record(broker);
    await waitFor(() => second.stats().queued === 0, 'the backlog to drain');
    await waitFor(() => statuses(got).some((s) => s.backlog?.queued === 0), 'the status after draining');

    expect(seqs(got)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const data = got.filter((g) => g.kind !== 'status');
    expect(data.map((g) => g.kind)).toEqual([...Array(40).fill('current'), 'state', ...Array(20).fill('current')]);
    expect(data.find((g) => g.kind === 'state')?.retain).toBe(true);
    expect(data.filter((g) => g.kind === 'current').every((g) => !g.retain)).toBe(true);

    // The status on connect said how much waited and since when; the one after said it is gone.
    const online = statuses(got).filter((s) => s.online);
    expect(online[0]?.backlog).toEqual({ queued: 61, oldestTs: t0, dropped: 0 });
    expect(online.at(-1)?.backlog).toEqual({ queued: 0, oldestTs: null, dropped: 0 });
    expect(second.stats()).toMatchObject({ delivered: 61, queued: 0, oldestTs: null });

    // Live readings now go straight through.
    await second.publish('current', { ts: now(), seq: second.nextSeq(), irms: [9] });
    await waitFor(() => seqs(got).length === 61, 'a live reading');
    expect(seqs(got).at(-1)).toBe(60);
  });

  it('drops the oldest when the queue is full, counts them, logs at most once a minute and reports them in status', async () => {
    const port = await downBrokerPort();
    const { logger, lines } = recordingLogger();
    const { make, tick, now } = await setup(port, { queue: { maxMessages: 100 }, logger });
    const link = make();
    await link.start({ waitForConnect: false });
    for (let i = 0; i < 130; i++) await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [1] });
    expect(link.stats()).toMatchObject({ queued: 100, dropped: 30 });
    const fullLines = () => lines.filter((l) => l.msg.startsWith('outbox full'));
    expect(fullLines()).toHaveLength(1);
    expect(fullLines()[0]).toMatchObject({ droppedNow: 1, droppedTotal: 1 });
    tick(60_000);
    await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [1] });
    expect(fullLines()).toHaveLength(2);
    // The line a minute later sums up the drops it kept quiet about.
    expect(fullLines()[1]).toMatchObject({ droppedNow: 30, droppedTotal: 31, queued: 100 });

    const broker = await startTestBroker(port);
    cleanups.push(() => broker.close());
    const got = record(broker);
    await waitFor(() => link.stats().queued === 0 && statuses(got).some((s) => s.backlog?.queued === 0), 'the backlog to drain');
    expect(seqs(got)).toEqual(Array.from({ length: 100 }, (_, i) => 31 + i));
    expect(statuses(got)[0]?.backlog).toMatchObject({ queued: 100, dropped: 31 });
    expect(statuses(got).at(-1)?.backlog).toEqual({ queued: 0, oldestTs: null, dropped: 31 });
  });

  it('republishes its status while a backlog waits, and once more when it is gone', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    // The broker holds back the acknowledgement of the data messages until told.
    const held: Array<() => void> = [];
    const authorize: AuthorizePublishHandler = (_client, packet, callback) => {
      if (packet.topic.endsWith('/current')) held.push(() => callback(null));
      else callback(null);
    };
    broker.aedes.authorizePublish = authorize;
    const got = record(broker);
    const { make, now } = await setup(broker.port, { statusEveryMs: 50 });
    const link = make();
    await link.start();
    await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [2] });
    await waitFor(() => statuses(got).filter((s) => s.online && s.backlog?.queued === 1).length >= 3, 'the status repeated while a message waits');
    expect(held.length).toBeGreaterThanOrEqual(1);
    for (const release of held.splice(0)) release();
    await waitFor(() => statuses(got).at(-1)?.backlog?.queued === 0, 'the status with an empty backlog');
    expect(link.stats()).toMatchObject({ queued: 0, delivered: 1 });
  });

  it('does not republish its status each time a live stream empties the queue', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const got = record(broker);
    const { make, now } = await setup(broker.port);
    const link = make();
    await link.start();
    // Each publish resolves on disk; its PUBACK then empties the queue (one drain per message).
    for (let i = 0; i < 20; i++) {
      await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [2] });
      await waitFor(() => link.stats().queued === 0, 'the message delivered');
    }
    await waitFor(() => seqs(got).length === 20, 'the readings at the broker');
    // The online status of the connect only: no backlog was ever announced.
    expect(statuses(got).filter((s) => s.online)).toHaveLength(1);
  });

  it('stops with messages unacknowledged and keeps them for the next start', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    // This broker never acknowledges data messages.
    const held: Array<() => void> = [];
    broker.aedes.authorizePublish = (_client, packet, callback) => {
      if (packet.topic.endsWith('/current')) held.push(() => callback(null));
      else callback(null);
    };
    const { make, now } = await setup(broker.port);
    const link = make();
    await link.start();
    for (let i = 0; i < 3; i++) await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [2] });
    // At least: a reconnect under load makes MQTT.js send the unacknowledged ones again.
    await waitFor(() => held.length >= 3, 'the messages at the broker');
    await link.stop(); // gives up waiting for the PUBACKs after a bounded time
    expect(link.stats()).toMatchObject({ queued: 0, delivered: 0 }); // closed: nothing to report

    // The next process finds them and sends them again (the hub drops such duplicates by seq).
    const fresh = await startTestBroker();
    cleanups.push(() => fresh.close());
    const got = record(fresh);
    const next = make({ url: fresh.url });
    await next.start();
    await waitFor(() => next.stats().queued === 0 && statuses(got).some((s) => s.backlog?.queued === 0), 'the queue to drain after the restart');
    expect(statuses(got)[0]?.backlog?.queued).toBe(3);
    expect(seqs(got)).toEqual([0, 1, 2]);
  });

  it('against Mosquitto: a backlog left by earlier processes arrives once and in order, live readings after it', async () => {
    const mdir = await makeTempDir();
    cleanups.push(() => mdir.remove());
    const mosquitto = await startMosquitto(mdir.path, { global: ['allow_anonymous true'] });
    cleanups.push(() => mosquitto.stop());
    const sub = await connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`, { clientId: `sub-${process.pid}`, reconnectPeriod: 0 });
    cleanups.push(() => sub.endAsync());
    const got: number[] = [];
    sub.on('message', (_topic, payload) => got.push((JSON.parse(payload.toString()) as { seq: number }).seq));
    await sub.subscribeAsync('mieruka/v1/factory/mill-1/current', { qos: 1 });

    // Two processes in turn, with no broker to reach, leave 300 readings queued.
    const port = await downBrokerPort();
    const { make, now } = await setup(port);
    for (const _process of [1, 2]) {
      const link = make();
      await link.start({ waitForConnect: false });
      for (let i = 0; i < 150; i++) await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [1] });
      await link.stop();
    }
    const link = make({ url: `mqtt://127.0.0.1:${mosquitto.port}` });
    await link.start();
    for (let i = 0; i < 5; i++) await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [2] });
    await waitFor(() => got.length >= 305 && link.stats().queued === 0, `all readings at the subscriber (${got.length})`);
    expect(got).toEqual(Array.from({ length: 305 }, (_, i) => i));
  });

  it('starts with a fresh queue when the outbox file is damaged, and counts it', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const got = record(broker);
    const { make, dir, now } = await setup(broker.port);
    await writeFile(join(dir, 'outbox-factory-mill-1.db'), 'this is not a database, it was cut off mid-write'.repeat(100));
    const link = make();
    await link.start();
    await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [1] });
    await waitFor(() => seqs(got).length === 1, 'the reading through the fresh queue');
    expect(link.stats()).toMatchObject({ outboxCorrupt: 1, outboxPersistent: true });
  });

  it('loses nothing when the connection drops in the middle of a drain: MQTT.js resends what was in flight, the queue follows', async () => {
    const port = await downBrokerPort();
    const { make, now } = await setup(port);
    const link = make();
    await link.start({ waitForConnect: false });
    for (let i = 0; i < 3000; i++) await link.publish('current', { ts: now(), seq: link.nextSeq(), irms: [1] });
    const broker = await startTestBroker(port);
    cleanups.push(() => broker.close());
    const got = record(broker);
    // Cut the link's connection twice while the backlog drains, with messages in flight.
    let cuts = 0;
    broker.aedes.on('publish', (packet, client) => {
      if (!client || !packet.topic.endsWith('/current')) return;
      const n = seqs(got).length;
      if ((n === 700 && cuts === 0) || (n === 1800 && cuts === 1)) {
        cuts++;
        for (const socket of broker.sockets) socket.destroy();
      }
    });
    await waitFor(() => link.stats().queued === 0 && seqs(got).length >= 3000, 'the backlog to drain after the cuts');
    expect(cuts).toBe(2);
    expect(link.stats().connects).toBeGreaterThanOrEqual(3);
    const all = seqs(got);
    console.log(`connection cut twice mid-drain: ${all.length - 3000} duplicates`);
    const firstSeen = all.filter((seq, i) => all.indexOf(seq) === i);
    expect(firstSeen).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    // Resent after a cut: at most what was in flight each time.
    expect(all.length - 3000).toBeLessThanOrEqual(2 * 128);
  });
});
