/**
 * MqttNodeLink against a real aedes broker on 127.0.0.1 and a real MQTT.js subscriber.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, examplePayloads, type DecodedMessage } from '@mieruka/protocol';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { startTestBroker as startBroker, type TestBroker } from '../../../test/helpers/aedes-broker.js';
import { MqttNodeLink, redactUrl } from './mqtt-node-link.js';

const logger = pino({ level: 'silent' });


type Received = { topic: string; payload: Buffer; retain: boolean; decoded: DecodedMessage | null };

async function subscriber(url: string, filter = 'mieruka/v1/#'): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await connectAsync(url, { clientId: `test-sub-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    const d = decodeMessage(topic, payload);
    received.push({ topic, payload, retain: packet.retain, decoded: d.ok ? d.message : null });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received };
}

const statusOf = (r: Received[]) =>
  r.filter((m) => m.topic.endsWith('/status')).map((m) => JSON.parse(m.payload.toString()) as { online: boolean; agent: string; detail?: string });

describe('MqttNodeLink', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  async function setup(options: Partial<ConstructorParameters<typeof MqttNodeLink>[0]> = {}) {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const link = new MqttNodeLink({ url: broker.url, site: 'factory', node: 'mill-1', agent: 'bridge', version: '0.1.0-test', dataDir: dir.path, logger, reconnect: { initialMs: 100, maxMs: 400 }, ...options });
    cleanups.push(() => link.stop());
    return { broker, dir: dir.path, link };
  }

  it('publishes a retained online status on connect and a retained offline status on stop', async () => {
    const { broker, link } = await setup();
    await link.start();
    expect(link.connected).toBe(true);
    const a = await subscriber(broker.url);
    cleanups.push(() => a.client.endAsync());
    await waitFor(() => statusOf(a.received).length === 1, 'the retained online status');
    expect(a.received[0]?.retain).toBe(true);
    expect(a.received[0]?.decoded).toMatchObject({ site: 'factory', node: 'mill-1', kind: 'status', payload: { online: true, agent: 'bridge', version: '0.1.0-test' } });

    await link.stop();
    await waitFor(() => statusOf(a.received).length === 2, 'the offline status');
    expect(statusOf(a.received)[1]).toMatchObject({ online: false, agent: 'bridge' });
    expect(link.connected).toBe(false);

    // A newcomer sees the last word: offline, retained.
    const b = await subscriber(broker.url);
    cleanups.push(() => b.client.endAsync());
    await waitFor(() => statusOf(b.received).length === 1, 'the retained offline status');
    expect(statusOf(b.received)[0]?.online).toBe(false);
    expect(b.received[0]?.retain).toBe(true);
  });

  it('has its last will delivered when its connection dies, and comes back online by itself', async () => {
    const { broker, link } = await setup();
    await link.start();
    const sub = await subscriber(broker.url);
    cleanups.push(() => sub.client.endAsync());
    await waitFor(() => statusOf(sub.received).some((s) => s.online), 'online');
    const linkSockets = [...broker.sockets].slice(0, 1); // the link connected first
    expect(linkSockets).toHaveLength(1);
    linkSockets[0]?.destroy();

    await waitFor(() => statusOf(sub.received).some((s) => !s.online), 'the last will (offline status)');
    const will = sub.received.find((m) => m.topic.endsWith('/status') && m.decoded?.kind === 'status' && !m.decoded.payload.online);
    expect(will?.decoded).not.toBeNull(); // valid against the contract
    await waitFor(() => statusOf(sub.received).filter((s) => s.online).length >= 2, 'online again after reconnecting');
    expect(link.stats().connects).toBeGreaterThanOrEqual(2);
  });

  it('validates payloads, publishes QoS 1, and retains state but not current', async () => {
    const { broker, link } = await setup();
    await link.start();
    const sub = await subscriber(broker.url);
    cleanups.push(() => sub.client.endAsync());

    await expect(link.publish('current', { ts: 12, seq: -1, irms: [] } as never)).rejects.toMatchObject({ code: 'PAYLOAD_INVALID' });
    await link.publish('current', { ...examplePayloads.current, seq: link.nextSeq() });
    await link.publish('state', examplePayloads.state);
    await link.publish('event', { ...examplePayloads.event, seq: link.nextSeq() });
    await expect(link.publishImage(Buffer.from('not a jpeg'))).rejects.toMatchObject({ code: 'PAYLOAD_INVALID' });
    await link.publishImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    await waitFor(() => sub.received.filter((m) => !m.topic.endsWith('/status')).length >= 4, 'four messages');
    const kinds = sub.received.filter((m) => !m.topic.endsWith('/status')).map((m) => m.decoded?.kind);
    expect(kinds).toEqual(['current', 'state', 'event', 'image']);
    expect(sub.received.every((m) => m.decoded !== null)).toBe(true);
    expect(link.stats()).toMatchObject({ published: 4, publishErrors: 2 });

    const late = await subscriber(broker.url);
    cleanups.push(() => late.client.endAsync());
    await waitFor(() => late.received.length >= 2, 'retained messages');
    expect(late.received.map((m) => m.topic.split('/').at(-1)).sort()).toEqual(['state', 'status']);
  });

  it('keeps seq monotonic across restarts with the same dataDir, even after a crash', async () => {
    const { broker, dir } = await setup();
    const make = () => new MqttNodeLink({ url: broker.url, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'x', dataDir: dir, logger });
    const first = make();
    await first.start();
    const a = Array.from({ length: 5 }, () => first.nextSeq());
    await first.stop();
    expect(a).toEqual([0, 1, 2, 3, 4]);
    expect(JSON.parse(await readFile(join(dir, 'seq-factory-mill-1.json'), 'utf8'))).toEqual({ next: 5 });

    const second = make();
    const b = Array.from({ length: 1500 }, () => second.nextSeq());
    expect(b[0]).toBe(5); // a graceful stop leaves no gap
    // "Crash": second is never stopped; a new instance must not reuse anything it handed out.
    const third = make();
    const c = Array.from({ length: 10 }, () => third.nextSeq());
    expect(c[0]).toBeGreaterThan(b.at(-1) as number);
    const all = [...a, ...b, ...c];
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((v, i) => i === 0 || v > (all[i - 1] as number))).toBe(true);
  });

  it('starts seq from the clock without a dataDir, so it still grows across restarts', async () => {
    const before = Date.now();
    const link = new MqttNodeLink({ url: 'mqtt://127.0.0.1:1', site: 'factory', node: 'mill-1', agent: 'bridge', version: 'x', logger });
    expect(link.nextSeq()).toBeGreaterThanOrEqual(before);
  });

  it('delivers valid commands for its node and drops invalid ones', async () => {
    const { broker, link } = await setup();
    const got: Array<[string, unknown]> = [];
    const off = link.onCommand((action, payload) => got.push([action, payload]));
    await link.start();
    const pub = await subscriber(broker.url, 'nothing/#');
    cleanups.push(() => pub.client.endAsync());
    await waitFor(async () => {
      await pub.client.publishAsync('mieruka/v1/factory/mill-1/cmd/info', JSON.stringify({ ts: Date.now(), id: 'probe' }), { qos: 1 });
      return got.length > 0;
    }, 'the command subscription to be active');
    got.length = 0;
    await pub.client.publishAsync('mieruka/v1/factory/mill-1/cmd/cal', 'not json', { qos: 1 });
    await pub.client.publishAsync('mieruka/v1/factory/mill-1/cmd/cal', JSON.stringify({ ts: 'yesterday' }), { qos: 1 });
    await pub.client.publishAsync('mieruka/v1/factory/lathe-1/cmd/cal', JSON.stringify({ ts: Date.now() }), { qos: 1 });
    await pub.client.publishAsync('mieruka/v1/factory/mill-1/cmd/cal', JSON.stringify({ ts: 1_764_000_000_000, channel: 0, ampsPerVolt: 30 }), { qos: 1 });
    const real = () => got.filter(([, p]) => (p as { id?: string }).id !== 'probe');
    await waitFor(() => real().length >= 1, 'the valid command');
    expect(real()).toEqual([['cal', { ts: 1_764_000_000_000, channel: 0, ampsPerVolt: 30 }]]);
    expect(link.stats().commandsInvalid).toBe(2);

    off();
    await pub.client.publishAsync('mieruka/v1/factory/mill-1/cmd/info', JSON.stringify({ ts: Date.now() }), { qos: 1 });
    await link.publish('motion', { ts: Date.now(), active: true }); // a round trip after the command
    expect(real()).toHaveLength(1);
  });

  it('copes with a broker that is not up yet: keeps retrying, then connects', async () => {
    const probe = await startBroker();
    const port = probe.port;
    await probe.close(); // nothing listens on this port now
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const link = new MqttNodeLink({ url: `mqtt://127.0.0.1:${port}`, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'x', dataDir: dir.path, logger, reconnect: { initialMs: 100, maxMs: 300 } });
    cleanups.push(() => link.stop());
    await link.start({ waitForConnect: false });
    expect(link.connected).toBe(false);
    // Publishing while offline is queued, not lost.
    const queued = link.publish('current', { ts: Date.now(), seq: link.nextSeq(), irms: [1.5] });

    const broker = await startBroker(port);
    cleanups.push(() => broker.close());
    const sub = await subscriber(broker.url);
    cleanups.push(() => sub.client.endAsync());
    await waitFor(() => link.connected, 'the link to connect once the broker is up');
    await queued;
    await waitFor(() => statusOf(sub.received).some((s) => s.online), 'online status');
    // The broker goes away again; stop() must still finish promptly (bounded, not hanging).
    await broker.close();
    await link.stop();
    expect(link.connected).toBe(false);
  });

  it('fails start() clearly when the broker stays unreachable, leaving nothing running', async () => {
    const probe = await startBroker();
    await probe.close();
    const link = new MqttNodeLink({ url: `mqtt://user:secret@127.0.0.1:${probe.port}`, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'x', logger, reconnect: { initialMs: 100 } });
    const err = await link.start({ connectTimeoutMs: 500 }).catch((e: unknown) => e as Error & { code?: string });
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toMatch(/not reachable within 500 ms/);
    expect(err?.message).not.toMatch(/secret/);
    expect(link.connected).toBe(false);
    await link.stop();
    expect(redactUrl('mqtt://user:secret@host:1883')).toBe('mqtt://***@host:1883');
  });

  it('rejects invalid ids before any I/O', () => {
    expect(() => new MqttNodeLink({ url: 'mqtt://127.0.0.1', site: 'Factory 1', node: 'mill-1', agent: 'bridge', version: 'x', logger })).toThrow(/invalid site id/);
  });

  it('adds a status detail and republishes it', async () => {
    const { broker, link } = await setup();
    await link.start();
    const sub = await subscriber(broker.url);
    cleanups.push(() => sub.client.endAsync());
    link.setStatusDetail('serial port /dev/ttyUSB0 missing');
    await waitFor(() => statusOf(sub.received).some((s) => s.detail === 'serial port /dev/ttyUSB0 missing'), 'status with detail');
    link.setStatusDetail(undefined);
    await waitFor(() => statusOf(sub.received).at(-1)?.detail === undefined && statusOf(sub.received).length >= 3, 'status without detail');
  });
});
