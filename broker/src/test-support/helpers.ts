/** Test helpers: temp dirs, bounded polling, a hub config on loopback with port 0. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { parseConfig, type Config } from '@mieruka/protocol';

export const silentLogger: Logger = pino({ level: 'silent' });

export async function makeTempDir(prefix = 'mieruka-broker-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls until `check` returns a truthy value; fails with `what` after a bounded time. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
