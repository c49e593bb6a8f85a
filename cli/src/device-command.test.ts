/**
 * `mieruka device` against a real SQLite file in a temp dir, while a real hub (anonymous: off)
 * serves MQTT on 127.0.0.1 from the same data dir: accounts added, changed and removed by the
 * command take effect without a restart. Passwords come from stdin streams.
 */
import { PassThrough } from 'node:stream';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '@mieruka/broker';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger } from '../../broker/src/test-support/helpers.js';
import type { CliContext } from './context.js';
import { buildProgram } from './program.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function device(dir: string, args: string[], text = ''): Promise<string[]> {
  const out: string[] = [];
  const input = new PassThrough();
  input.end(text);
  const ctx: CliContext = { env: {}, cwd: dir, print: (l) => out.push(l), keepRunning: () => undefined, stdin: input, stderr: new PassThrough() };
  await buildProgram(ctx).parseAsync(['node', 'mieruka', 'device', ...args, '--data-dir', dir]);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the command to fail');
}

/** Connects and returns 0, or the CONNACK return code of the refusal. */
async function connackOf(url: string, options: IClientOptions): Promise<number> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  cleanups.push(() => closeClient(c));
  return new Promise((resolve) => {
    c.once('connect', () => resolve(0));
    c.once('error', (err) => resolve((err as Error & { code?: number }).code ?? -1));
  });
}

describe('mieruka device', () => {
  it('add, list, passwd and remove while the hub runs; names are checked; never a hash in the output', async () => {
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const dir = tmp.path;
    const hub = new Hub({ config: hubConfig(dir, { hub: { mqtt: { anonymous: 'off' } } }), logger: silentLogger });
    cleanups.push(() => hub.stop());
    await hub.start();
    const url = hub.mqttUrl;
    const mill = { username: 'factory/mill-1', clientId: 'mieruka-bridge-factory-mill-1' };

    expect(await connackOf(url, { ...mill, password: 'mill password 1' })).toBe(4);
    expect(await device(dir, ['add', 'factory/mill-1', '--password-stdin'], 'mill password 1\n')).toEqual([
      'added node factory/mill-1: MQTT user name "factory/mill-1", client ids mieruka-<agent>-factory-mill-1',
      "agents on that node: --mqtt 'mqtt://factory%2Fmill-1@<hub>:1883' --mqtt-password-file <file with the password>",
    ]);
    expect(await device(dir, ['add', 'grafana', '--observer', '--password-stdin'], 'grafana password\n')).toEqual([
      'added observer grafana: MQTT user name "grafana", reads mieruka/v1/#',
    ]);
    expect(await failure(device(dir, ['add', 'grafana2', '--password-stdin'], 'long enough pw\n'))).toMatch(/not <site>\/<node>.*--observer/);
    expect(await failure(device(dir, ['add', 'a/b', '--observer', '--password-stdin'], 'long enough pw\n'))).toMatch(/not a valid observer name/);
    expect(await failure(device(dir, ['add', 'Factory/Mill 1', '--password-stdin'], 'long enough pw\n'))).toMatch(/not <site>\/<node>/);
    expect(await failure(device(dir, ['add', 'factory/mill-1', '--password-stdin'], 'other password\n'))).toMatch(/already exists/);
    expect(await failure(device(dir, ['add', 'factory/mill-2', '--password-stdin'], 'short\n'))).toMatch(/at least 8/);

    // The running hub admits them at once.
    expect(await connackOf(url, { ...mill, password: 'mill password 1' })).toBe(0);
    const grafana = await connectClient(url, { username: 'grafana', password: 'grafana password', clientId: 'grafana-1' });
    cleanups.push(() => closeClient(grafana));

    const list = await device(dir, ['list']);
    expect(list[0]).toMatch(/^NAME\s+KIND\s+CHANGED$/);
    expect(list.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['factory/mill-1', 'node'],
      ['grafana', 'observer'],
    ]);
    expect(list.join('\n')).not.toMatch(/scrypt|password/);

    expect(await device(dir, ['passwd', 'factory/mill-1', '--password-stdin'], 'mill password 2\n')).toEqual([
      'password changed for factory/mill-1; its connections end at their next message after the hub re-reads the accounts (every second)',
    ]);
    expect(await connackOf(url, { ...mill, password: 'mill password 1' })).toBe(4);
    expect(await connackOf(url, { ...mill, password: 'mill password 2' })).toBe(0);
    expect(await failure(device(dir, ['passwd', 'nobody', '--password-stdin'], 'whatever pw\n'))).toMatch(/no device "nobody"/);

    // Removed: refused at CONNECT, and the open connection ends at its next packet.
    expect(await device(dir, ['remove', 'grafana'])).toEqual(['removed device grafana; its connections end at their next message after the hub re-reads the accounts (every second)']);
    expect(await connackOf(url, { username: 'grafana', password: 'grafana password', clientId: 'grafana-2' })).toBe(4);
    const closed = new Promise<void>((resolve) => grafana.once('close', () => resolve()));
    grafana.subscribe('mieruka/v1/#');
    await closed;
    expect(await failure(device(dir, ['remove', 'grafana']))).toMatch(/no device "grafana"/);
    expect((await device(dir, ['list'])).slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['factory/mill-1']);
  });
});
