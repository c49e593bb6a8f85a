/** Test helpers: temp dirs, bounded polling, a hub config on loopback with port 0. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { parseConfig, type Config } from '@mieruka/protocol';

export const silentLogger: Logger = pino({ level: 'silent' });

// One implementation of these for every package's tests.
export { makeTempDir } from '../../../test/helpers/temp-dir.js';
export { waitFor } from '../../../test/helpers/wait-for.js';

/** Loopback, port 0, a fast flush; `overrides` are merged over it (JSON is YAML, so the base goes in as text). */
export function hubConfig(dataDir: string, overrides: Record<string, unknown> = {}): Readonly<Config> {
  const base = {
    site: 'factory',
    hub: { dataDir, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, ingest: { flushIntervalMs: 20 } },
  };
  return parseConfig({ text: JSON.stringify(base), overrides });
}

export async function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

export async function closeClient(client: MqttClient | undefined): Promise<void> {
  if (client) await client.endAsync(true).catch(() => undefined);
}

/** A minimal valid JPEG header (SOI + APP0 marker) followed by filler bytes. */
export function fakeJpeg(fill = 0x42, length = 64): Buffer {
  const buf = Buffer.alloc(length, fill);
  buf.set([0xff, 0xd8, 0xff, 0xe0], 0);
  buf.set([0xff, 0xd9], length - 2);
  return buf;
}

export const TS = 1_764_000_000_000;
