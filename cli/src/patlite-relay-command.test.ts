/**
 * `mieruka patlite-relay` on a PC: the built CLI connects to a real hub, reports in its retained
 * status that GPIO is absent (instead of failing), and stops cleanly on SIGINT.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { Hub } from '@mieruka/broker';
import { hubConfig, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';
import { parsePins } from './patlite-relay-command.js';

const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));

describe('parsePins', () => {
  it('reads tier=line lists', () => {
    expect(parsePins('red=17,amber=27,green=22,buzzer=23')).toEqual({ red: 17, amber: 27, green: 22, buzzer: 23 });
  });
  it.each(['red=17,amber=27', 'red=17,amber=17,green=22', 'red=17,amber=27,green=99', 'pink=1,red=2,amber=3,green=4', 'red17'])('refuses %j', (v) => {
    expect(() => parsePins(v)).toThrow(InvalidArgumentError);
  });
});

describe('mieruka patlite-relay', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  beforeAll(async () => {
    dir = await makeTempDir();
    hub = new Hub({ config: hubConfig(join(dir.path, 'hub')), logger: silentLogger });
    await hub.start();
  });
  afterAll(async () => {
    await hub?.stop();
    await dir?.remove();
  });

  it('reports GPIO as absent in its status on a PC and stops on SIGINT', async () => {
    const statuses: Array<{ online: boolean; detail?: string }> = [];
    const sub = await mqtt.connectAsync(hub.mqttUrl);
    sub.on('message', (_t, payload) => statuses.push(JSON.parse(payload.toString()) as { online: boolean; detail?: string }));
    await sub.subscribeAsync('mieruka/v1/factory/tower-1/status', { qos: 1 });
    const child = spawn('node', [CLI, 'patlite-relay', '--pins', 'red=17,amber=27,green=22', '--node', 'tower-1', '--site', 'factory', '--mqtt', hub.mqttUrl, '--data-dir', join(dir.path, 'agent')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => statuses.some((s) => s.online && /gpio/i.test(s.detail ?? '')), `an online status naming the missing GPIO (stderr: ${stderr})`, 30_000);
      expect(stdout).toMatch(/tower disabled/);
      child.kill('SIGINT');
      expect(await exit).toBe(0);
      await waitFor(() => statuses.at(-1)?.online === false, 'the offline status after stop');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await sub.endAsync();
    }
  });
});
