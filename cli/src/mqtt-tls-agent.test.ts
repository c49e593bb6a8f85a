/**
 * Edge agents to a hub over MQTT with TLS and accounts only (anonymous: off): an MqttNodeLink
 * built by mqttLinkConnection (mqtts + user in the URL + password file + CA) gets a reading into
 * the hub's live state; `mieruka patlite-relay --mqtt-password-file --mqtt-ca` through the real
 * commander program comes online; the flags and config keys of bridge, station and
 * patlite-relay end in a clear CONFIG_INVALID when a file is missing.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceAccounts, Hub, openDatabase, SqliteSqlStore } from '@mieruka/broker';
import { MqttNodeLink, mqttLinkConnection } from '@mieruka/edge';
import { isMierukaError } from '@mieruka/protocol';
import { hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../../broker/src/test-support/helpers.js';
import { makeTestCerts, type TestCerts } from '../../test/helpers/tls-certs.js';
import type { CliContext, Runnable } from './context.js';
import { buildProgram } from './program.js';

const PASSWORD = 'node pass 1';
let dir: Awaited<ReturnType<typeof makeTempDir>>;
let certs: TestCerts;
let hub: Hub;
let passwordFile: string;

beforeAll(async () => {
  dir = await makeTempDir();
  certs = await makeTestCerts(dir.path);
  hub = new Hub({
    config: hubConfig(join(dir.path, 'hub'), { hub: { mqtt: { anonymous: 'off', tls: { port: 0, cert: certs.serverCert, key: certs.serverKey } } } }),
    logger: silentLogger,
  });
  await hub.start();
  const db = openDatabase(join(dir.path, 'hub', 'mieruka.db'));
  const accounts = new DeviceAccounts({ sql: new SqliteSqlStore(db), logger: silentLogger, scryptParams: { N: 2 ** 10, r: 8, p: 1 } });
  await accounts.add('factory/mill-1', PASSWORD, 'node');
  await accounts.add('factory/tower-1', PASSWORD, 'node');
  db.close();
  passwordFile = join(dir.path, 'mqtt.password');
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  await dir?.remove();
});

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const urlFor = (node: string) => `mqtts://${encodeURIComponent(`factory/${node}`)}@127.0.0.1:${hub.mqttTlsPort}`;

async function run(args: string[], env: Record<string, string> = {}): Promise<{ out: string[]; services: Runnable[] }> {
  const out: string[] = [];
  const services: Runnable[] = [];
  const ctx: CliContext = { env, cwd: dir.path, print: (l) => out.push(l), keepRunning: (s) => services.push(s) };
  await buildProgram(ctx).parseAsync(['node', 'mieruka', ...args]);
  for (const s of services) cleanups.push(() => s.stop());
  return { out, services };
}

async function configError(args: string[], env: Record<string, string> = {}): Promise<Error> {
  const err = await run(args, env).then(
    () => new Error('the command started'),
    (e: Error) => e,
  );
  expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
  return err;
}

describe('edge agents to a hub with TLS and accounts only', () => {
  it('MqttNodeLink with mqtts + password file + CA: a reading reaches the hub\'s live state', async () => {
    const connection = await mqttLinkConnection({ mqttUrl: urlFor('mill-1'), mqttPasswordFile: passwordFile, mqttCaFile: certs.caCert }, dir.path);
    const link = new MqttNodeLink({ ...connection, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', logger: silentLogger, dataDir: dir.path });
    cleanups.push(() => link.stop());
    await link.start({ connectTimeoutMs: 20_000 });
    await link.publish('state', { ts: TS, state: 'idle', since: TS, irms: [0.8] });
    await waitFor(() => hub.live.get('factory', 'mill-1')?.state?.state === 'idle', 'the reading in the live state');
    expect(hub.live.get('factory', 'mill-1')?.online).toBe(true);
  });

  it('MqttNodeLink without the CA: a clear TLS_UNTRUSTED, not a hang', async () => {
    const connection = await mqttLinkConnection({ mqttUrl: urlFor('mill-1'), mqttPasswordFile: passwordFile }, dir.path);
    const link = new MqttNodeLink({ ...connection, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', logger: silentLogger });
    cleanups.push(() => link.stop());
    const err = await link.start({ connectTimeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(isMierukaError(err, 'TLS_UNTRUSTED')).toBe(true);
    expect((err as Error).message).toMatch(/--mqtt-ca/);
  });

  it('mieruka patlite-relay --mqtt mqtts://… --mqtt-password-file --mqtt-ca comes online at the hub; the banner shows no password', async () => {
    const { out } = await run([
      'patlite-relay',
      '--pins', 'red=17,amber=27,green=22',
      '--node', 'tower-1',
      '--site', 'factory',
      '--mqtt', urlFor('tower-1'),
      '--mqtt-password-file', 'mqtt.password', // relative to the working directory
      '--mqtt-ca', certs.caCert,
      '--data-dir', join(dir.path, 'relay'),
      '--log-level', 'silent',
    ]);
    await waitFor(() => hub.live.get('factory', 'tower-1')?.online, 'the relay agent online at the hub');
    expect(out.join('\n')).toMatch(/PATLITE relay agent factory\/tower-1 → mqtts:\/\//);
    expect(out.join('\n')).not.toContain(PASSWORD);
  });

  it('patlite-relay takes bridge.mqttPasswordFile and bridge.mqttCaFile from the environment too', async () => {
    const env = { MIERUKA_BRIDGE__MQTT_PASSWORD_FILE: passwordFile, MIERUKA_BRIDGE__MQTT_CA_FILE: join(dir.path, 'missing-ca.crt') };
    const err = await configError(['patlite-relay', '--pins', 'red=17,amber=27,green=22', '--node', 'tower-1', '--mqtt', urlFor('tower-1'), '--log-level', 'silent'], env);
    expect(err.message).toMatch(/bridge\.mqttCaFile \(.*missing-ca\.crt\): no such file/);
  });

  it('bridge and station refuse a missing --mqtt-password-file / --mqtt-ca at start', async () => {
    const bridgeErr = await configError(['bridge', '--port', '/dev/null', '--node', 'mill-1', '--mqtt', urlFor('mill-1'), '--mqtt-password-file', 'nope.password', '--log-level', 'silent']);
    expect(bridgeErr.message).toMatch(/bridge\.mqttPasswordFile \(.*nope\.password\): no such file/);
    const stationErr = await configError(['station', '--station', 'bench-1', '--mqtt', urlFor('bench-1'), '--mqtt-ca', 'nope.crt', '--log-level', 'silent']);
    expect(stationErr.message).toMatch(/bridge\.mqttCaFile \(.*nope\.crt\): no such file/);
  });
});

describe('edge agents to a hub with mutual TLS (hub.mqtt.tls.ca)', () => {
  let mtlsHub: Hub;
  beforeAll(async () => {
    mtlsHub = new Hub({
      config: hubConfig(join(dir.path, 'mtls-hub'), {
        hub: { mqtt: { anonymous: 'off', tls: { port: 0, cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert } } },
      }),
      logger: silentLogger,
    });
    await mtlsHub.start();
    const db = openDatabase(join(dir.path, 'mtls-hub', 'mieruka.db'));
    await new DeviceAccounts({ sql: new SqliteSqlStore(db), logger: silentLogger, scryptParams: { N: 2 ** 10, r: 8, p: 1 } }).add('factory/tower-2', PASSWORD, 'node');
    db.close();
  });
  afterAll(() => mtlsHub?.stop());

  const mtlsUrl = () => `mqtts://${encodeURIComponent('factory/tower-2')}@127.0.0.1:${mtlsHub.mqttTlsPort}`;

  it('patlite-relay with --mqtt-cert and --mqtt-key comes online', async () => {
    await run([
      'patlite-relay', '--pins', 'red=17,amber=27,green=22', '--node', 'tower-2', '--site', 'factory',
      '--mqtt', mtlsUrl(), '--mqtt-password-file', passwordFile, '--mqtt-ca', certs.caCert,
      '--mqtt-cert', certs.clientCert, '--mqtt-key', certs.clientKey,
      '--data-dir', join(dir.path, 'relay-2'), '--log-level', 'silent',
    ]);
    await waitFor(() => mtlsHub.live.get('factory', 'tower-2')?.online, 'the relay agent online at the mutual-TLS hub');
  });

  it('without a client certificate the link fails at once (TLS_UNTRUSTED), not after the connect timeout', async () => {
    const connection = await mqttLinkConnection({ mqttUrl: mtlsUrl(), mqttPasswordFile: passwordFile, mqttCaFile: certs.caCert }, dir.path);
    const link = new MqttNodeLink({ ...connection, site: 'factory', node: 'tower-2', agent: 'patlite-relay', version: 'test', logger: silentLogger });
    cleanups.push(() => link.stop());
    const err = await link.start({ connectTimeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(isMierukaError(err, 'TLS_UNTRUSTED')).toBe(true);
    await waitFor(() => mtlsHub.stats().mqttRefused.limits['tls-handshake'], 'the refused handshake counted at the hub');
  });

  it('--mqtt-cert without --mqtt-key is refused at start', async () => {
    const err = await configError(['patlite-relay', '--pins', 'red=17,amber=27,green=22', '--node', 'tower-2', '--mqtt', mtlsUrl(), '--mqtt-cert', certs.clientCert, '--log-level', 'silent']);
    expect(err.message).toMatch(/give both or neither/);
  });
});
