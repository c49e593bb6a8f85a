/**
 * An edge agent's link against a real Mosquitto with accounts and TLS (allow_anonymous false,
 * a password_file made by mosquitto_passwd, a certificate from a CA made by the openssl CLI):
 * mqtts:// + user name in the URL + password file + CA file, as `mieruka bridge --mqtt-password-file
 * --mqtt-ca` builds it. An MQTT.js subscriber with a second account sees what the agent publishes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMierukaError } from '@mieruka/protocol';
import { mosquittoPasswordFile, startMosquitto, type RunningMosquitto } from '../../../test/helpers/mosquitto.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { makeTestCerts, type TestCerts } from '../../../test/helpers/tls-certs.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { mqttLinkConnection } from './mqtt-link-config.js';
import { MqttNodeLink } from './mqtt-node-link.js';

const logger = pino({ level: 'silent' });
const TS = 1_764_000_000_000;
const NODE_PASSWORD = 'mill pass: 1';

let dir: Awaited<ReturnType<typeof makeTempDir>>;
let certs: TestCerts;
let broker: RunningMosquitto;
let passwordFile: string;

beforeAll(async () => {
  dir = await makeTempDir();
  certs = await makeTestCerts(dir.path);
  const accounts = join(dir.path, 'mosquitto.passwd');
  await mosquittoPasswordFile(accounts, { 'factory/mill-1': NODE_PASSWORD, grafana: 'observer pass 1' });
  broker = await startMosquitto(dir.path, {
    global: ['per_listener_settings false', 'allow_anonymous false', `password_file ${accounts}`],
    listener: [`cafile ${certs.caCert}`, `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`],
  });
  passwordFile = join(dir.path, 'mill-1.password');
  // The password on the first line; a trailing newline as `echo` writes it.
  await writeFile(passwordFile, `${NODE_PASSWORD}\n`, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  await dir?.remove();
});

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function link(connection: Awaited<ReturnType<typeof mqttLinkConnection>>): MqttNodeLink {
  const l = new MqttNodeLink({ ...connection, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', logger, dataDir: dir.path });
  cleanups.push(() => l.stop());
  return l;
}

describe('MqttNodeLink against Mosquitto with accounts and TLS', () => {
  it('connects with mqtts + user + password file + CA and publishes; a TLS subscriber with another account sees it', async () => {
    const sub: MqttClient = await mqtt.connectAsync(`mqtts://127.0.0.1:${broker.port}`, {
      username: 'grafana',
      password: 'observer pass 1',
      ca: await readFile(certs.caCert),
      reconnectPeriod: 0,
    });
    cleanups.push(() => sub.endAsync(true));
    const seen: Array<{ topic: string; payload: string }> = [];
    sub.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await sub.subscribeAsync('mieruka/v1/#', { qos: 1 });

    // A stale password in the URL: the password file wins.
    const connection = await mqttLinkConnection(
      { mqttUrl: `mqtts://${encodeURIComponent('factory/mill-1')}:old-password@127.0.0.1:${broker.port}`, mqttPasswordFile: passwordFile, mqttCaFile: certs.caCert },
      dir.path,
    );
    const l = link(connection);
    await l.start({ connectTimeoutMs: 20_000 });
    await l.publish('state', { ts: TS, state: 'running', since: TS, irms: [3.2] });
    const state = await waitFor(() => seen.find((m) => m.topic === 'mieruka/v1/factory/mill-1/state'), 'the state at the subscriber');
    expect(JSON.parse(state.payload)).toMatchObject({ state: 'running', irms: [3.2] });
    expect(seen.some((m) => m.topic === 'mieruka/v1/factory/mill-1/status' && JSON.parse(m.payload).online === true)).toBe(true);
  });

  it('a broker certificate from another CA fails the start at once with TLS_UNTRUSTED, not a timeout', async () => {
    const connection = await mqttLinkConnection(
      { mqttUrl: `mqtts://${encodeURIComponent('factory/mill-1')}@127.0.0.1:${broker.port}`, mqttPasswordFile: passwordFile, mqttCaFile: certs.otherCaCert },
      dir.path,
    );
    const err = await link(connection).start({ connectTimeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(isMierukaError(err, 'TLS_UNTRUSTED')).toBe(true);
    expect((err as Error).message).toMatch(/TLS to MQTT broker mqtts:\/\/(\*\*\*@)?127\.0\.0\.1:\d+ failed/);
  });

  it('a wrong password (from the file) is refused by the broker: UNAUTHORIZED', async () => {
    const wrong = join(dir.path, 'wrong.password');
    await writeFile(wrong, 'not the password\n');
    const connection = await mqttLinkConnection(
      { mqttUrl: `mqtts://${encodeURIComponent('factory/mill-1')}@127.0.0.1:${broker.port}`, mqttPasswordFile: wrong, mqttCaFile: certs.caCert },
      dir.path,
    );
    const err = await link(connection).start({ connectTimeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(isMierukaError(err, 'UNAUTHORIZED')).toBe(true);
    expect((err as Error).message).not.toContain('not the password');
  });
});
