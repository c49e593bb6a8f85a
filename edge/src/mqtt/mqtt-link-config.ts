/**
 * How an edge agent reaches its broker, from the `bridge` section (with the command line's
 * --mqtt, --mqtt-password-file, --mqtt-ca, --mqtt-cert and --mqtt-key already merged in): the
 * URL, a password read from a file (its first line; it wins over a password in the URL), a CA
 * file for mqtts:// and a client certificate with its key (mutual TLS); also the bounds of the
 * store-and-forward queue (bridge.queue).
 * The one place every agent command (bridge, station, patlite-relay) builds this. A missing
 * or unusable file is a CONFIG_INVALID at start; no message carries a file's content.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MierukaError, redactUrl } from '@mieruka/protocol';
import type { MqttNodeLinkOptions } from './mqtt-node-link.js';
import { splitMqttUrl } from './mqtt-url.js';

export type MqttLinkConfig = {
  mqttUrl: string;
  mqttFailoverUrls?: readonly string[] | undefined;
  mqttPasswordFile?: string | undefined;
  mqttCaFile?: string | undefined;
  mqttCertFile?: string | undefined;
  mqttKeyFile?: string | undefined;
  /** Bounds of the store-and-forward queue (bridge.queue). */
  queue?: { maxMessages: number; maxBytes: number } | undefined;
};

export type MqttLinkConnection = Pick<MqttNodeLinkOptions, 'url' | 'failoverUrls' | 'username' | 'password' | 'ca' | 'cert' | 'key' | 'queue'>;

const TLS_URL = /^(mqtts|wss):/;

/** A password file is not a document: more than this is a wrong file. */
const MAX_PASSWORD_FILE_BYTES = 4096;

async function readConfigFile(key: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MierukaError('CONFIG_INVALID', `bridge.${key} (${path}): ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (err as Error).message})`}`);
  }
}

/** Relative file paths are relative to `cwd` (the agent's working directory). */
export async function mqttLinkConnection(bridge: MqttLinkConfig, cwd: string): Promise<MqttLinkConnection> {
  const url = bridge.mqttUrl;
  const fromUrl = splitMqttUrl(url);
  const connection: MqttLinkConnection = { url, ...(bridge.queue ? { queue: { ...bridge.queue } } : {}) };
  const failoverUrls = bridge.mqttFailoverUrls ?? [];
  if (failoverUrls.length > 0) connection.failoverUrls = failoverUrls.map((other) => checkFailoverUrl(url, other));

  if (bridge.mqttPasswordFile !== undefined) {
    const path = resolve(cwd, bridge.mqttPasswordFile);
    const text = await readConfigFile('mqttPasswordFile', path);
    if (text.length > MAX_PASSWORD_FILE_BYTES) throw new MierukaError('CONFIG_INVALID', `bridge.mqttPasswordFile (${path}): larger than ${MAX_PASSWORD_FILE_BYTES} bytes; it should hold just the password`);
    const password = text.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
    if (password === '') throw new MierukaError('CONFIG_INVALID', `bridge.mqttPasswordFile (${path}): the first line is empty`);
    if (fromUrl.username === undefined) {
      throw new MierukaError('CONFIG_INVALID', `bridge.mqttPasswordFile needs a user name in the MQTT URL, e.g. mqtts://factory%2Fmill-1@hub:8883 (now ${redactUrl(url)})`);
    }
    connection.password = password;
  }

  if (bridge.mqttCaFile !== undefined) {
    const path = resolve(cwd, bridge.mqttCaFile);
    if (!TLS_URL.test(url)) {
      throw new MierukaError('CONFIG_INVALID', `bridge.mqttCaFile is set but the MQTT URL ${redactUrl(url)} is not mqtts:// or wss://: the connection would not be encrypted`);
    }
    const ca = await readConfigFile('mqttCaFile', path);
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      throw new MierukaError('CONFIG_INVALID', `bridge.mqttCaFile (${path}): holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    }
    connection.ca = ca;
  }

  if (bridge.mqttCertFile !== undefined || bridge.mqttKeyFile !== undefined) {
    if (bridge.mqttCertFile === undefined || bridge.mqttKeyFile === undefined) {
      throw new MierukaError('CONFIG_INVALID', 'bridge.mqttCertFile and bridge.mqttKeyFile (--mqtt-cert, --mqtt-key) go together: give both or neither');
    }
    if (!TLS_URL.test(url)) throw new MierukaError('CONFIG_INVALID', `bridge.mqttCertFile is set but the MQTT URL ${redactUrl(url)} is not mqtts:// or wss://`);
    const certPath = resolve(cwd, bridge.mqttCertFile);
    const keyPath = resolve(cwd, bridge.mqttKeyFile);
    const cert = await readConfigFile('mqttCertFile', certPath);
    const key = await readConfigFile('mqttKeyFile', keyPath);
    if (!cert.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      throw new MierukaError('CONFIG_INVALID', `bridge.mqttCertFile (${certPath}): holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) {
      throw new MierukaError('CONFIG_INVALID', `bridge.mqttKeyFile (${keyPath}): holds no PEM private key`);
    }
    connection.cert = cert;
    connection.key = key;
  }
  return connection;
}

/**
 * MQTT.js rotates through the brokers with one set of options: the scheme decides TLS and the
 * WebSocket path is shared, and credentials come from mqttUrl (a URL's own would be ignored,
 * or worse, sent to the wrong hub). So a failover URL must match mqttUrl in all of that.
 */
function checkFailoverUrl(primary: string, other: string): string {
  let p: URL;
  let o: URL;
  try {
    p = new URL(primary);
    o = new URL(other);
  } catch {
    throw new MierukaError('CONFIG_INVALID', `bridge.mqttFailoverUrls: ${redactUrl(other)} is not a URL`);
  }
  if (o.username !== '' || o.password !== '') {
    throw new MierukaError('CONFIG_INVALID', `bridge.mqttFailoverUrls: ${redactUrl(other)} has a user name or password; every hub of a cluster is reached with the account of bridge.mqttUrl (and bridge.mqttPasswordFile)`);
  }
  if (o.protocol !== p.protocol) {
    throw new MierukaError('CONFIG_INVALID', `bridge.mqttFailoverUrls: ${redactUrl(other)} uses ${o.protocol}// but bridge.mqttUrl uses ${p.protocol}//; use the same scheme (TLS settings are shared)`);
  }
  if (/^wss?:$/.test(o.protocol) && o.pathname !== p.pathname) {
    throw new MierukaError('CONFIG_INVALID', `bridge.mqttFailoverUrls: ${redactUrl(other)} has the WebSocket path ${o.pathname}, bridge.mqttUrl has ${p.pathname}; they must be the same`);
  }
  if (o.host === p.host) throw new MierukaError('CONFIG_INVALID', `bridge.mqttFailoverUrls: ${redactUrl(other)} is bridge.mqttUrl itself`);
  return other;
}
