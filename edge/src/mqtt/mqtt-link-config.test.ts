/** How agents build their broker connection from the bridge section: files read, errors clear, secrets unprinted. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMierukaError, parseConfig } from '@mieruka/protocol';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { mqttLinkConnection } from './mqtt-link-config.js';
import { splitMqttUrl } from './mqtt-url.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let dir: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  dir = await makeTempDir();
  await writeFile(join(dir.path, 'pw'), 'first line secret\r\nsecond line\n');
  await writeFile(join(dir.path, 'empty'), '\nsecret on line two\n');
  await writeFile(join(dir.path, 'ca.crt'), PEM);
  await writeFile(join(dir.path, 'not-a-cert'), 'SECRET-ish text\n');
  await writeFile(join(dir.path, 'client.key'), '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n');
});
afterAll(() => dir?.remove());

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => new Error('no error'),
    (e: Error) => e,
  );
  expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
  return err;
}

describe('splitMqttUrl', () => {
  it('takes the user name and password out of the URL, undoing %-escapes', () => {
    expect(splitMqttUrl('mqtts://factory%2Fmill-1:p%40ss%3Aword@hub.local:8883')).toEqual({ url: 'mqtts://hub.local:8883', username: 'factory/mill-1', password: 'p@ss:word' });
    expect(splitMqttUrl('mqtt://factory%2Fmill-1@10.0.0.2:1883')).toEqual({ url: 'mqtt://10.0.0.2:1883', username: 'factory/mill-1' });
    expect(splitMqttUrl('mqtt://127.0.0.1:1883')).toEqual({ url: 'mqtt://127.0.0.1:1883' });
    expect(splitMqttUrl('wss://u:p@hub/mqtt')).toEqual({ url: 'wss://hub/mqtt', username: 'u', password: 'p' });
  });

  it('refuses a bad %-escape without printing the password', () => {
    expect(() => splitMqttUrl('mqtt://u:secret%zz@h:1883')).toThrow(/bad %-escape/);
    try {
      splitMqttUrl('mqtt://u:secret%zz@h:1883');
    } catch (err) {
      expect((err as Error).message).not.toContain('secret');
    }
  });
});

describe('mqttLinkConnection', () => {
  it('without files: the URL as given', async () => {
    expect(await mqttLinkConnection({ mqttUrl: 'mqtt://u:p@127.0.0.1:1883' }, dir.path)).toEqual({ url: 'mqtt://u:p@127.0.0.1:1883' });
  });

  it('carries the bounds of the store-and-forward queue: defaults, the file, the environment; too small is refused', async () => {
    const defaults = parseConfig({});
    expect(defaults.bridge.queue).toEqual({ maxMessages: 1_000_000, maxBytes: 512 * 1024 * 1024 });
    expect((await mqttLinkConnection(defaults.bridge, dir.path)).queue).toEqual({ maxMessages: 1_000_000, maxBytes: 512 * 1024 * 1024 });
    const configured = parseConfig({ text: 'bridge:\n  queue:\n    maxMessages: 5000\n', env: { MIERUKA_BRIDGE__QUEUE__MAX_BYTES: '2097152' } });
    expect((await mqttLinkConnection(configured.bridge, dir.path)).queue).toEqual({ maxMessages: 5000, maxBytes: 2_097_152 });
    expect(() => parseConfig({ text: 'bridge:\n  queue:\n    maxBytes: 1000\n' })).toThrow(/bridge\.queue\.maxBytes/);
    expect(() => parseConfig({ text: 'bridge:\n  queue:\n    maxMessages: 10\n' })).toThrow(/bridge\.queue\.maxMessages/);
  });

  it('reads the first line of the password file (relative to the working directory) and the CA', async () => {
    const c = await mqttLinkConnection({ mqttUrl: 'mqtts://factory%2Fmill-1:old@hub:8883', mqttPasswordFile: 'pw', mqttCaFile: 'ca.crt' }, dir.path);
    expect(c.password).toBe('first line secret');
    expect(c.ca?.toString()).toBe(PEM);
    expect(c.url).toBe('mqtts://factory%2Fmill-1:old@hub:8883');
  });

  it('refuses a missing file, an empty first line, a password file without a user name, naming the key and never the content', async () => {
    const missing = await failure(mqttLinkConnection({ mqttUrl: 'mqtts://u@hub:8883', mqttPasswordFile: 'nope' }, dir.path));
    expect(missing.message).toMatch(/bridge\.mqttPasswordFile \(.*nope\): no such file/);
    const empty = await failure(mqttLinkConnection({ mqttUrl: 'mqtts://u@hub:8883', mqttPasswordFile: 'empty' }, dir.path));
    expect(empty.message).toMatch(/first line is empty/);
    expect(empty.message).not.toContain('secret');
    const noUser = await failure(mqttLinkConnection({ mqttUrl: 'mqtts://hub:8883', mqttPasswordFile: 'pw' }, dir.path));
    expect(noUser.message).toMatch(/needs a user name/);
    expect(noUser.message).not.toContain('secret');
    const dirAsFile = await failure(mqttLinkConnection({ mqttUrl: 'mqtts://u@hub:8883', mqttPasswordFile: '.' }, dir.path));
    expect(dirAsFile.message).toMatch(/cannot be read \(EISDIR\)/);
  });

  it('refuses a CA file that is missing or holds no certificate, and a CA with a plain mqtt:// URL', async () => {
    expect((await failure(mqttLinkConnection({ mqttUrl: 'mqtts://hub:8883', mqttCaFile: 'nope.crt' }, dir.path))).message).toMatch(/bridge\.mqttCaFile .*no such file/);
    const notCert = await failure(mqttLinkConnection({ mqttUrl: 'mqtts://hub:8883', mqttCaFile: 'not-a-cert' }, dir.path));
    expect(notCert.message).toMatch(/no PEM certificate/);
    expect(notCert.message).not.toContain('SECRET');
    expect((await failure(mqttLinkConnection({ mqttUrl: 'mqtt://hub:1883', mqttCaFile: 'ca.crt' }, dir.path))).message).toMatch(/not mqtts:\/\/ or wss:\/\//);
  });

  it('reads a client certificate and key (both or neither, TLS only, PEM, the key never printed)', async () => {
    const c = await mqttLinkConnection({ mqttUrl: 'mqtts://hub:8883', mqttCertFile: 'ca.crt', mqttKeyFile: 'client.key' }, dir.path);
    expect(c.cert?.toString()).toBe(PEM);
    expect(c.key?.toString()).toContain('BEGIN PRIVATE KEY');
    expect((await failure(mqttLinkConnection({ mqttUrl: 'mqtts://hub:8883', mqttCertFile: 'ca.crt' }, dir.path))).message).toMatch(/both or neither/);
    expect((await failure(mqttLinkConnection({ mqttUrl: 'mqtt://hub:1883', mqttCertFile: 'ca.crt', mqttKeyFile: 'client.key' }, dir.path))).message).toMatch(/not mqtts/);
    const badKey = await failure(mqttLinkConnection({ mqttUrl: 'mqtts://hub:8883', mqttCertFile: 'ca.crt', mqttKeyFile: 'not-a-cert' }, dir.path));
    expect(badKey.message).toMatch(/bridge\.mqttKeyFile .*no PEM private key/);
    expect(badKey.message).not.toContain('SECRET');
  });
});

describe('mqttLinkConnection failover URLs', () => {
  const bridge = (mqttUrl: string, mqttFailoverUrls: string[]) => ({ mqttUrl, mqttFailoverUrls });

  it('passes the other hubs of a cluster on, from the config file', async () => {
    const config = parseConfig({ text: 'bridge:\n  mqttUrl: mqtts://factory%2Fmill-1@hub-a:8883\n  mqttFailoverUrls: [mqtts://hub-b:8883, mqtts://hub-c]\n' });
    const c = await mqttLinkConnection(config.bridge, dir.path);
    expect(c.failoverUrls).toEqual(['mqtts://hub-b:8883', 'mqtts://hub-c']);
    expect((await mqttLinkConnection(parseConfig({}).bridge, dir.path)).failoverUrls).toBeUndefined();
  });

  it('refuses a failover URL with credentials, another scheme, another WebSocket path or the primary itself, naming the key and never the password', async () => {
    const withPassword = await failure(mqttLinkConnection(bridge('mqtts://u@hub-a:8883', ['mqtts://u:hunter2@hub-b:8883']), dir.path));
    expect(withPassword.message).toMatch(/bridge\.mqttFailoverUrls: .*user name or password/);
    expect(withPassword.message).not.toContain('hunter2');
    expect((await failure(mqttLinkConnection(bridge('mqtts://hub-a:8883', ['mqtt://hub-b:1883']), dir.path))).message).toMatch(/same scheme/);
    expect((await failure(mqttLinkConnection(bridge('wss://hub-a/mqtt', ['wss://hub-b/other']), dir.path))).message).toMatch(/WebSocket path/);
    expect((await failure(mqttLinkConnection(bridge('mqtt://hub-a:1883', ['mqtt://hub-a:1883']), dir.path))).message).toMatch(/is bridge\.mqttUrl itself/);
    expect(() => parseConfig({ text: 'bridge:\n  mqttFailoverUrls: [http://hub-b]\n' })).toThrow(/bridge\.mqttFailoverUrls/);
  });
});
