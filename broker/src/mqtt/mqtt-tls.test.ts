/**
 * MQTT over TLS in a real hub: node:tls + aedes + SQLite, MQTT.js over mqtts:// on 127.0.0.1,
 * certificates made by the openssl CLI at test time. The TLS port admits exactly like the TCP
 * one (accounts, anonymous rule, limits), refuses what is not TLS or not trusted without
 * harm, and a bad file in hub.mqtt.tls stops the start with CONFIG_INVALID.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, isMierukaError, parseConfig } from '@mieruka/protocol';
import { makeTestCerts, type TestCerts } from '../../../test/helpers/tls-certs.js';
import { DeviceAccounts } from '../auth/device-accounts.js';
import { SqliteSqlStore } from '../store/sql/sqlite-sql-store.js';
import { Hub } from '../hub.js';
import { openDatabase } from '../store/database.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../test-support/helpers.js';
import { loadMqttTlsFiles } from './mqtt-tls-files.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const PASSWORD = 'tls pass 1';

let certs: TestCerts;
let certDir: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  certDir = await makeTempDir();
  certs = await makeTestCerts(certDir.path);
});
afterAll(() => certDir?.remove());

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startHub(mqttConfig: Record<string, unknown>): Promise<Hub> {
  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  const hub = new Hub({ config: hubConfig(dir.path, { hub: { mqtt: mqttConfig } }), logger: silentLogger });
  cleanups.push(() => hub.stop());
  await hub.start();
  const db = openDatabase(join(dir.path, 'mieruka.db'));
  cleanups.push(() => db.close());
  await new DeviceAccounts({ sql: new SqliteSqlStore(db), logger: silentLogger, scryptParams: FAST }).add('factory/mill-1', PASSWORD, 'node');
  return hub;
}

const tlsConfig = (extra: Record<string, unknown> = {}) => ({ port: 0, cert: certs.serverCert, key: certs.serverKey, ...extra });

async function tlsClient(hub: Hub, options: IClientOptions): Promise<MqttClient> {
  // A node account may only use its own agents' client ids.
  const c = await connectClient(hub.mqttsUrl ?? '', { clientId: 'mieruka-bridge-factory-mill-1', ...options });
  cleanups.push(() => closeClient(c));
  return c;
}

/** What a client that does not get in sees: the CONNACK code, or the error that ended it. */
async function refusal(url: string, options: IClientOptions): Promise<{ code?: number | string; message: string }> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, clientId: 'mieruka-bridge-factory-mill-1', ...options });
  cleanups.push(() => closeClient(c));
  return new Promise((resolve, reject) => {
    c.once('connect', () => reject(new Error('connected')));
    c.once('error', (err: Error & { code?: number | string }) => resolve({ code: err.code, message: err.message }));
    // A peer that just hangs up (no error) ends as 'close' without 'connect'.
    c.once('close', () => resolve({ message: 'closed' }));
  });
}

describe('hub.mqtt.tls config', () => {
  it('comes from MIERUKA_HUB__MQTT__TLS__* environment keys', () => {
    const config = parseConfig({
      env: {
        MIERUKA_HUB__MQTT__TLS__PORT: '8883',
        MIERUKA_HUB__MQTT__TLS__CERT: '/etc/mieruka/tls/server.crt',
        MIERUKA_HUB__MQTT__TLS__KEY: '/etc/mieruka/tls/server.key',
        MIERUKA_HUB__MQTT__TLS__CA: '/etc/mieruka/tls/ca.crt',
      },
    });
    expect(config.hub.mqtt.tls).toEqual({ port: 8883, cert: '/etc/mieruka/tls/server.crt', key: '/etc/mieruka/tls/server.key', ca: '/etc/mieruka/tls/ca.crt' });
    expect(parseConfig({}).hub.mqtt.tls).toBeUndefined();
  });

  it('refuses a TLS port equal to the TCP port', () => {
    expect(() => parseConfig({ overrides: { hub: { mqtt: { port: 1883, tls: { port: 1883, cert: 'c', key: 'k' } } } } })).toThrow(/hub\.mqtt\.tls\.port: the TLS port must differ/);
  });

  it('needs cert and key with a port', () => {
    expect(() => parseConfig({ env: { MIERUKA_HUB__MQTT__TLS__PORT: '8883' } })).toThrow(/hub\.mqtt\.tls\.cert[\s\S]*hub\.mqtt\.tls\.key/);
  });
});

describe('a hub with MQTT over TLS and anonymous: off', () => {
  it('admits a node account over mqtts:// with the CA; its reading reaches the live state; stop closes the port', async () => {
    const hub = await startHub({ anonymous: 'off', tls: tlsConfig() });
    expect(hub.mqttsUrl).toBe(`mqtts://127.0.0.1:${hub.mqttTlsPort}`);
    expect(hub.mqttTlsPort).not.toBe(hub.mqttPort);
    const c = await tlsClient(hub, { username: 'factory/mill-1', password: PASSWORD, ca: await readFile(certs.caCert) });
    await c.publishAsync('mieruka/v1/factory/mill-1/state', encodePayload('state', { ts: TS, state: 'running', since: TS, irms: [3.1] }), { qos: 1 });
    await waitFor(() => hub.live.get('factory', 'mill-1')?.state?.state === 'running', 'the state at the hub');
    expect(hub.stats().mqttRefused).toEqual({ connect: {}, publish: {}, subscribe: {}, limits: {} });

    const port = hub.mqttTlsPort as number;
    await hub.stop();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => s.destroy());
      s.once('error', resolve);
      s.once('close', () => resolve(Object.assign(new Error('closed'), { code: 'CLOSED' })));
    });
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('answers a wrong password over TLS with CONNACK 4', async () => {
    const hub = await startHub({ anonymous: 'off', tls: tlsConfig() });
    const r = await refusal(hub.mqttsUrl ?? '', { username: 'factory/mill-1', password: 'wrong password', ca: await readFile(certs.caCert) });
    expect(r.code).toBe(4);
    expect(hub.stats().mqttRefused.connect['bad-credentials']).toBe(1);
  });

  it('with anonymous: loopback, admits an anonymous TLS client from 127.0.0.1 (the access control sees the TLS socket\'s address)', async () => {
    const hub = await startHub({ anonymous: 'loopback', tls: tlsConfig() });
    const c = await tlsClient(hub, { clientId: 'watcher', ca: await readFile(certs.caCert) });
    expect(c.connected).toBe(true);
    expect(hub.stats().mqttRefused.connect).toEqual({});
  });

  it('refuses an anonymous TLS client (the anonymous rule sees the TLS socket)', async () => {
    const hub = await startHub({ anonymous: 'off', tls: tlsConfig() });
    const r = await refusal(hub.mqttsUrl ?? '', { ca: await readFile(certs.caCert) });
    expect(r.code).toBe(5);
  });

  it('a client that does not trust the certificate (another CA) gets a clear TLS error, not a hang', async () => {
    const hub = await startHub({ anonymous: 'off', tls: tlsConfig() });
    const r = await refusal(hub.mqttsUrl ?? '', { username: 'factory/mill-1', password: PASSWORD, ca: await readFile(certs.otherCaCert) });
    expect(String(r.code)).toMatch(/CERT|SIGNATURE|ISSUER/);
    // The hub sees an aborted handshake: counted, never fatal.
    await waitFor(() => hub.stats().mqttRefused.limits['tls-handshake'], 'the failed handshake counted');
  });

  it('does not let plain MQTT in on the TLS port; the failed handshake is counted', async () => {
    const hub = await startHub({ anonymous: 'off', tls: tlsConfig() });
    const r = await refusal(`mqtt://127.0.0.1:${hub.mqttTlsPort}`, { username: 'factory/mill-1', password: PASSWORD });
    expect(r.code).not.toBe(0);
    await waitFor(() => hub.stats().mqttRefused.limits['tls-handshake'], 'the failed handshake counted');
    expect(hub.broker.clientsConnected).toBe(0);
  });

  it('applies the limits to TLS connections (a packet over maxPayloadBytes is refused)', async () => {
    const hub = await startHub({ anonymous: 'off', tls: tlsConfig(), limits: { maxPayloadBytes: 600 * 1024 } });
    const c = await tlsClient(hub, { username: 'factory/mill-1', password: PASSWORD, ca: await readFile(certs.caCert) });
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('mieruka/v1/factory/mill-1/image', Buffer.alloc(700 * 1024, 1), { qos: 0 });
    await closed;
    await waitFor(() => hub.stats().mqttRefused.limits['too-large'], 'the refusal counted');
  });
});

describe('mutual TLS (hub.mqtt.tls.ca)', () => {
  it('admits a client whose certificate the CA signed (password still checked), refuses one without', async () => {
    const hub = await startHub({ anonymous: 'off', tls: tlsConfig({ ca: certs.caCert }) });
    const ca = await readFile(certs.caCert);
    const withCert = { ca, cert: await readFile(certs.clientCert), key: await readFile(certs.clientKey) };
    await tlsClient(hub, { ...withCert, username: 'factory/mill-1', password: PASSWORD });
    expect((await refusal(hub.mqttsUrl ?? '', { ...withCert, username: 'factory/mill-1', password: 'wrong password' })).code).toBe(4);
    const r = await refusal(hub.mqttsUrl ?? '', { ca, username: 'factory/mill-1', password: PASSWORD });
    expect(r.code).not.toBe(0);
    await waitFor(() => hub.stats().mqttRefused.limits['tls-handshake'], 'the certificate-less handshake counted');
  });

  it('refuses a client certificate from another CA', async () => {
    const hub = await startHub({ anonymous: 'off', tls: tlsConfig({ ca: certs.caCert }) });
    // The other CA's own (self-signed) certificate and key, as a client certificate the hub's CA did not sign.
    const otherKey = certs.otherCaCert.replace(/\.crt$/, '.key');
    const r = await refusal(hub.mqttsUrl ?? '', {
      ca: await readFile(certs.caCert),
      cert: await readFile(certs.otherCaCert),
      key: await readFile(otherKey),
      username: 'factory/mill-1',
      password: PASSWORD,
    });
    expect(r.code).not.toBe(0);
    await waitFor(() => hub.stats().mqttRefused.limits['tls-handshake'], 'the untrusted client certificate counted');
    expect(hub.broker.clientsConnected).toBe(0);
  });
});

describe('bad files in hub.mqtt.tls', () => {
  async function startError(tls: Record<string, unknown>): Promise<Error> {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const hub = new Hub({ config: hubConfig(dir.path, { hub: { mqtt: { tls } } }), logger: silentLogger });
    cleanups.push(() => hub.stop());
    return hub.start().then(
      () => {
        throw new Error('the hub started');
      },
      (err: Error) => err,
    );
  }

  it('a missing certificate stops the start with CONFIG_INVALID naming the key and the path', async () => {
    const missing = join(certs.dir, 'nope.crt');
    const err = await startError(tlsConfig({ cert: missing }));
    expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toContain('hub.mqtt.tls.cert');
    expect(err.message).toContain(missing);
  });

  it('a key that is not PEM is refused without printing its content', async () => {
    const bad = join(certs.dir, 'bad.key');
    await writeFile(bad, 'SECRET-KEY-MATERIAL-not-pem\n');
    const err = await startError(tlsConfig({ key: bad }));
    expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
    expect(err.message).toContain('hub.mqtt.tls.key');
    expect(err.message).toContain(bad);
    expect(err.message).not.toContain('SECRET-KEY-MATERIAL');
  });

  it('a key of another certificate, a CA file without a certificate, an empty certificate', async () => {
    const mismatch = await loadMqttTlsFiles(tlsConfig({ key: certs.clientKey }) as never).catch((e: Error) => e);
    expect(isMierukaError(mismatch, 'CONFIG_INVALID') && mismatch.message).toMatch(/hub\.mqtt\.tls\.key .*does not belong/);
    const empty = join(certs.dir, 'empty.pem');
    await writeFile(empty, '');
    const noCa = await loadMqttTlsFiles(tlsConfig({ ca: empty }) as never).catch((e: Error) => e);
    expect(isMierukaError(noCa, 'CONFIG_INVALID') && noCa.message).toMatch(/hub\.mqtt\.tls\.ca .*no PEM certificate/);
    const noCert = await loadMqttTlsFiles(tlsConfig({ cert: empty }) as never).catch((e: Error) => e);
    expect(isMierukaError(noCert, 'CONFIG_INVALID') && noCert.message).toMatch(/hub\.mqtt\.tls\.cert /);
  });
});
