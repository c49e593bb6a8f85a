/**
 * MQTT accounts, the anonymous rule, the built-in ACL, client-id binding and the ACL file in
 * a real hub: aedes, SQLite and MQTT.js over TCP on 127.0.0.1. Accounts are written through
 * their own connection to the hub's database file, the way `mieruka device` does it.
 */
import { writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, isMierukaError, topicFor } from '@mieruka/protocol';
import { DeviceAccounts } from '../auth/device-accounts.js';
import { SqliteSqlStore } from '../store/sql/sqlite-sql-store.js';
import { openDatabase } from '../store/database.js';
import { Hub } from '../hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../test-support/helpers.js';
import { isLoopbackAddress } from './remote-address.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startHub(mqtt: Record<string, unknown> = {}): Promise<{ hub: Hub; accounts: DeviceAccounts; dir: string }> {
  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  const hub = new Hub({ config: hubConfig(dir.path, { hub: { mqtt } }), logger: silentLogger });
  cleanups.push(() => hub.stop());
  await hub.start();
  const db = openDatabase(join(dir.path, 'mieruka.db'));
  cleanups.push(() => db.close());
  return { hub, accounts: new DeviceAccounts({ sql: new SqliteSqlStore(db), logger: silentLogger, scryptParams: FAST }), dir: dir.path };
}

async function client(hub: Hub, options: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectClient(hub.mqttUrl, options);
  cleanups.push(() => closeClient(c));
  return c;
}

/** The CONNACK return code of a refused CONNECT. */
async function refusedWith(hub: Hub, options: IClientOptions): Promise<number> {
  const c = mqtt.connect(hub.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  cleanups.push(() => closeClient(c));
  return new Promise((resolve, reject) => {
    c.once('connect', () => reject(new Error('connected')));
    c.once('error', (err) => resolve((err as Error & { code?: number }).code ?? -1));
  });
}

const state = (ts = TS) => encodePayload('state', { ts, state: 'running', since: ts, irms: [3.1] });

/** The granted QoS per filter (128: refused); MQTT.js rejects a SUBACK with any 128, carrying the packet. */
async function granted(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw err;
    return packet.granted;
  }
}

/** Everything a loopback observer (anonymous) receives on `filter`. */
async function watch(hub: Hub, filter: string): Promise<Array<{ topic: string; retain: boolean }>> {
  const seen: Array<{ topic: string; retain: boolean }> = [];
  const c = await client(hub);
  c.on('message', (topic, _payload, packet) => seen.push({ topic, retain: packet.retain }));
  await c.subscribeAsync(filter, { qos: 1 });
  return seen;
}

describe('isLoopbackAddress', () => {
  it('is true only for this machine', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['192.168.1.10', '10.0.0.1', '::ffff:192.168.1.10', 'fe80::1', '0.0.0.0', '128.0.0.1', '127.0.0.1.evil', '', undefined]) {
      expect(isLoopbackAddress(a)).toBe(false);
    }
  });
});

describe('MQTT accounts and ACL', () => {
  it('anonymous: off admits only accounts; wrong passwords and anonymous clients are refused and counted', async () => {
    const { hub, accounts } = await startHub({ anonymous: 'off' });
    await accounts.add('factory/mill-1', 'mill-1 secret', 'node');
    await accounts.add('grafana', 'grafana secret', 'observer');

    expect(await refusedWith(hub, {})).toBe(5);
    expect(await refusedWith(hub, { username: 'factory/mill-1', password: 'wrong', clientId: 'mieruka-bridge-factory-mill-1' })).toBe(4);
    expect(await refusedWith(hub, { username: 'nobody', password: 'x' })).toBe(4);
    await client(hub, { username: 'factory/mill-1', password: 'mill-1 secret', clientId: 'mieruka-bridge-factory-mill-1' });
    await client(hub, { username: 'grafana', password: 'grafana secret', clientId: 'grafana-1' });
    expect(hub.stats().mqttRefused.connect).toEqual({ anonymous: 1, 'bad-credentials': 2 });
  });

  it('a node publishes only its own readings: another node and every command are acknowledged and dropped', async () => {
    const { hub, accounts } = await startHub({ anonymous: 'loopback' });
    await accounts.add('factory/mill-1', 'mill-1 secret', 'node');
    const seen = await watch(hub, 'mieruka/v1/#');
    const node = await client(hub, { username: 'factory/mill-1', password: 'mill-1 secret', clientId: 'mieruka-bridge-factory-mill-1' });

    // QoS 1: each is acknowledged (the promise settles) and the connection stays.
    await node.publishAsync(topicFor('factory', 'mill-2', 'state'), state(), { qos: 1, retain: true });
    await node.publishAsync('mieruka/v1/factory/mill-1/cmd/thresholds', '{"runningAboveA":99}', { qos: 1, retain: true });
    await node.publishAsync('mieruka/v1/factory/mill-2/cmd/patlite', '{}', { qos: 1 });
    await node.publishAsync(topicFor('factory', 'mill-1', 'state'), state(), { qos: 1, retain: true });
    await waitFor(() => seen.some((m) => m.topic === topicFor('factory', 'mill-1', 'state')), 'own state');
    expect(seen.map((m) => m.topic)).toEqual([topicFor('factory', 'mill-1', 'state')]);
    expect(node.connected).toBe(true);
    expect(hub.stats().mqttRefused.publish).toEqual({ acl: 3 });
    expect(hub.live.get('factory', 'mill-2')).toBeUndefined();

    // Nothing refused was retained: a new subscriber gets only the node's own state.
    const later = await watch(hub, 'mieruka/v1/#');
    await waitFor(() => later.length > 0, 'retained state');
    expect(later).toEqual([{ topic: topicFor('factory', 'mill-1', 'state'), retain: true }]);
  });

  it('a node reads only its own commands (SUBACK 0x80 for others) and gets what the hub sends', async () => {
    const { hub, accounts } = await startHub({ anonymous: 'off' });
    await accounts.add('factory/mill-1', 'mill-1 secret', 'node');
    // Retained messages of other nodes are not delivered through a broad filter either.
    await hub.broker.publish({ topic: topicFor('factory', 'mill-2', 'state'), payload: state(), retain: true });
    await hub.broker.publish({ topic: 'mieruka/v1/factory/mill-2/cmd/thresholds', payload: '{}', retain: true });
    const node = await client(hub, { username: 'factory/mill-1', password: 'mill-1 secret', clientId: 'mieruka-bridge-factory-mill-1' });
    const got: string[] = [];
    node.on('message', (topic) => got.push(topic));
    expect(await granted(node, ['mieruka/v1/factory/mill-2/cmd/+', 'mieruka/v1/factory/+/state', 'mieruka/v1/factory/mill-1/cmd/+', '#'])).toEqual([128, 128, 1, 1]);
    expect(hub.stats().mqttRefused.subscribe).toEqual({ acl: 2 });

    await hub.broker.publish({ topic: 'mieruka/v1/factory/mill-2/cmd/patlite', payload: '{}' });
    await hub.broker.publish({ topic: 'plant/other-flow', payload: 'x' });
    await hub.broker.publish({ topic: 'mieruka/v1/factory/mill-1/cmd/info', payload: '{}' });
    await waitFor(() => got.includes('mieruka/v1/factory/mill-1/cmd/info'), 'own command');
    // `#` still carries topics outside mieruka/v1, never another node's command.
    expect(got).toEqual(['plant/other-flow', 'mieruka/v1/factory/mill-1/cmd/info']);
  });

  it('an observer reads everything and publishes nothing under mieruka/v1 (other topics stay usable)', async () => {
    const { hub, accounts } = await startHub({ anonymous: 'off' });
    await accounts.add('grafana', 'grafana secret', 'observer');
    await accounts.add('factory/mill-1', 'mill-1 secret', 'node');
    const observer = await client(hub, { username: 'grafana', password: 'grafana secret', clientId: 'grafana-1' });
    const got: string[] = [];
    observer.on('message', (topic) => got.push(topic));
    await observer.subscribeAsync('#', { qos: 1 });
    const node = await client(hub, { username: 'factory/mill-1', password: 'mill-1 secret', clientId: 'mieruka-bridge-factory-mill-1' });
    await node.publishAsync(topicFor('factory', 'mill-1', 'state'), state(), { qos: 1 });
    await observer.publishAsync(topicFor('factory', 'mill-1', 'state'), state(TS + 1), { qos: 1 });
    await observer.publishAsync('mieruka/v1/factory/mill-1/cmd/light', '{"on":true}', { qos: 1 });
    await observer.publishAsync('node-red/flow', 'hello', { qos: 1 });
    await waitFor(() => got.includes('node-red/flow'), 'own flow');
    expect(got).toEqual([topicFor('factory', 'mill-1', 'state'), 'node-red/flow']);
    expect(hub.stats().mqttRefused.publish).toEqual({ acl: 2 });
  });

  it('client ids are bound: a node uses its own, nobody takes over a node\'s or another account\'s session', async () => {
    const { hub, accounts } = await startHub({ anonymous: 'loopback' });
    // The agent ran anonymously before its account existed (a one-Pi setup being locked down).
    const anonymousAgent = await client(hub, { clientId: 'mieruka-bridge-factory-mill-1', clean: false });
    await accounts.add('factory/mill-1', 'mill-1 secret', 'node');
    await accounts.add('grafana', 'grafana secret', 'observer');
    await accounts.add('node-red', 'node-red secret', 'observer');
    const mill = { username: 'factory/mill-1', password: 'mill-1 secret' };

    expect(await refusedWith(hub, { ...mill, clientId: 'mieruka-bridge-factory-mill-2' })).toBe(2);
    expect(await refusedWith(hub, { ...mill, clientId: 'my-own-id' })).toBe(2);
    const agent = await client(hub, { ...mill, clientId: 'mieruka-bridge-factory-mill-1' });
    await waitFor(() => !anonymousAgent.connected, 'the anonymous agent replaced by the account');
    // An anonymous loopback client or another account cannot use (and so kick off) the agent's id.
    expect(await refusedWith(hub, { clientId: 'mieruka-bridge-factory-mill-1' })).toBe(5);
    expect(await refusedWith(hub, { username: 'grafana', password: 'grafana secret', clientId: 'mieruka-bridge-factory-mill-1' })).toBe(5);
    const grafana = await client(hub, { username: 'grafana', password: 'grafana secret', clientId: 'dash-1' });
    expect(await refusedWith(hub, { username: 'node-red', password: 'node-red secret', clientId: 'dash-1' })).toBe(5);
    expect(await refusedWith(hub, { clientId: 'dash-1' })).toBe(5);
    expect([agent.connected, grafana.connected]).toEqual([true, true]);
    expect(hub.stats().mqttRefused.connect).toEqual({ 'client-id-not-own': 2, 'client-id-reserved': 2, 'client-id-taken': 2 });

    // The node's own restart takes its session over, as MQTT wants.
    const restarted = await client(hub, { ...mill, clientId: 'mieruka-bridge-factory-mill-1', clean: false });
    await waitFor(() => !agent.connected, 'old agent connection replaced');
    expect(restarted.connected).toBe(true);
  });

  it('loopback anonymous clients (the demo) read and publish readings but never commands; $SYS is readable', async () => {
    const { hub } = await startHub();
    const anon = await client(hub, { clientId: 'mieruka-bridge-factory-mill-9' });
    const got: string[] = [];
    anon.on('message', (topic) => got.push(topic));
    expect(await granted(anon, ['mieruka/v1/#', '$SYS/+/new/clients'])).toEqual([1, 1]);
    await anon.publishAsync('mieruka/v1/factory/mill-9/cmd/patlite', '{}', { qos: 1 });
    await anon.publishAsync(topicFor('factory', 'mill-9', 'state'), state(), { qos: 1 });
    await waitFor(() => got.includes(topicFor('factory', 'mill-9', 'state')), 'own reading');
    await client(hub, { clientId: 'someone-else' });
    await waitFor(() => got.some((t) => t.startsWith('$SYS/')), '$SYS message');
    expect(got.filter((t) => t.startsWith('mieruka/'))).toEqual([topicFor('factory', 'mill-9', 'state')]);
    await waitFor(() => hub.live.get('factory', 'mill-9')?.state, 'ingested');
  });

  it('without a front end, MQTT over WebSocket follows the anonymous rule and accepts accounts', async () => {
    const off = await startHub({ anonymous: 'off' });
    await off.accounts.add('grafana', 'grafana secret', 'observer');
    const refused = mqtt.connect(off.hub.mqttWsUrl, { reconnectPeriod: 0, connectTimeout: 5000 });
    cleanups.push(() => closeClient(refused));
    expect(await new Promise((resolve) => refused.once('error', (err) => resolve((err as Error & { code?: number }).code)))).toBe(5);
    const observer = await connectClient(off.hub.mqttWsUrl, { username: 'grafana', password: 'grafana secret', clientId: 'g-ws' });
    cleanups.push(() => closeClient(observer));
    expect(off.hub.stats().mqttRefused.connect).toEqual({ anonymous: 1 });

    const loopback = await startHub();
    const anon = await connectClient(loopback.hub.mqttWsUrl, { clientId: 'ws-anon' });
    cleanups.push(() => closeClient(anon));
    expect(anon.connected).toBe(true);
  });

  it('anonymous: on admits anonymous clients and says so loudly at start', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const hub = new Hub({ config: hubConfig(dir.path, { hub: { mqtt: { anonymous: 'on' } } }), logger });
    cleanups.push(() => hub.stop());
    await hub.start();
    expect(lines.filter((l) => l.level === 40 && l.msg.includes('hub.mqtt.anonymous is "on"'))).toHaveLength(1);
    await client(hub, { clientId: 'anyone' });
  });

  it('zero-length client id with clean session 0 gets CONNACK 0x02 [MQTT-3.1.3-8]', async () => {
    const { hub } = await startHub();
    const socket = tcpConnect(hub.mqttPort, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    // CONNECT, MQTT 3.1.1, flags 0 (clean session 0), keep-alive 60, client id "".
    socket.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x3c, 0x00, 0x00]));
    const reply = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    expect([...reply.subarray(0, 4)]).toEqual([0x20, 0x02, 0x00, 0x02]);
    expect(hub.stats().mqttRefused.connect).toEqual({ 'empty-client-id': 1 });
    // With clean session 1 a zero-length id is fine (the broker assigns one).
    await client(hub, { clientId: '', clean: true });
  });

  it('a removed account or a new password takes effect while the hub runs', async () => {
    const { hub, accounts } = await startHub({ anonymous: 'off' });
    await accounts.add('factory/mill-1', 'mill-1 secret', 'node');
    await accounts.add('grafana', 'grafana secret', 'observer');
    const mill = { username: 'factory/mill-1', clientId: 'mieruka-bridge-factory-mill-1' };
    const offline = encodePayload('status', { online: false, ts: TS, agent: 'bridge', version: 'test' });
    const node = await client(hub, { ...mill, password: 'mill-1 secret', will: { topic: topicFor('factory', 'mill-1', 'status'), payload: offline, qos: 1, retain: true } });
    await node.publishAsync(topicFor('factory', 'mill-1', 'status'), encodePayload('status', { online: true, ts: TS, agent: 'bridge', version: 'test' }), { qos: 1, retain: true });
    await waitFor(() => hub.live.get('factory', 'mill-1')?.online === true, 'online');
    await accounts.changePassword('factory/mill-1', 'new secret');
    expect(await refusedWith(hub, { ...mill, password: 'mill-1 secret' })).toBe(4);
    // The connection made with the old password ends at its next packet.
    const closed = new Promise<void>((resolve) => node.once('close', () => resolve()));
    node.publish(topicFor('factory', 'mill-1', 'state'), state(), { qos: 0 });
    await closed;
    expect(hub.stats().mqttRefused.publish).toEqual({ 'account-changed': 1 });
    // Its will still goes out: the hub sees the node go offline.
    await waitFor(() => hub.live.get('factory', 'mill-1')?.online === false, 'offline by the will');
    await client(hub, { ...mill, password: 'new secret' });

    expect(await accounts.remove('grafana')).toBe(true);
    expect(await refusedWith(hub, { username: 'grafana', password: 'grafana secret', clientId: 'g' })).toBe(4);
  });

  it('an ACL file narrows the built-in rules (never widens them); a malformed one stops the start with its line', async () => {
    const aclDir = await makeTempDir();
    cleanups.push(() => aclDir.remove());
    const aclFile = join(aclDir.path, 'acl');
    await writeFile(
      aclFile,
      [
        '# anonymous clients: readings of mill-1 only',
        'topic read mieruka/v1/factory/mill-1/#',
        'topic readwrite mieruka/v1/factory/+/cmd/#',
        'user grafana',
        'topic read mieruka/v1/#',
        'topic deny mieruka/v1/factory/secret/#',
        'pattern readwrite flows/%u/#',
      ].join('\n'),
    );
    const { hub, accounts } = await startHub({ anonymous: 'loopback', aclFile });
    await accounts.add('grafana', 'grafana secret', 'observer');
    const publisher = await client(hub, { clientId: 'sim' });
    const grafana = await client(hub, { username: 'grafana', password: 'grafana secret', clientId: 'grafana-1' });
    const got: string[] = [];
    grafana.on('message', (topic) => got.push(topic));
    expect(await granted(grafana, ['mieruka/v1/#', 'flows/grafana/#', 'flows/other/#'])).toEqual([1, 1, 128]);
    // The file grants anonymous write on commands: the built-in rules still refuse it.
    await publisher.publishAsync('mieruka/v1/factory/mill-1/cmd/patlite', '{}', { qos: 1 });
    // Anonymous may not write readings any more (the file grants only read).
    await publisher.publishAsync(topicFor('factory', 'mill-1', 'state'), state(), { qos: 1 });
    await hub.broker.publish({ topic: topicFor('factory', 'secret', 'state'), payload: state() });
    await hub.broker.publish({ topic: topicFor('factory', 'mill-2', 'state'), payload: state() });
    await grafana.publishAsync('flows/grafana/x', 'mine', { qos: 1 });
    await waitFor(() => got.includes('flows/grafana/x'), 'own flow');
    expect(got).toEqual([topicFor('factory', 'mill-2', 'state'), 'flows/grafana/x']);
    expect(hub.stats().mqttRefused.publish).toEqual({ acl: 2 });

    await writeFile(aclFile, 'user grafana\ntopic read mieruka/v1/#\ntopic sometimes mieruka/v1/x\n');
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const broken = new Hub({ config: hubConfig(dir.path, { hub: { mqtt: { aclFile } } }), logger: silentLogger });
    cleanups.push(() => broken.stop());
    const err = await broken.start().catch((e: unknown) => e);
    expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/line 3: access must be read, write, readwrite or deny/);
  });
});
