/**
 * sd_notify from a real `mieruka hub` process to a real unix datagram socket given as
 * NOTIFY_SOCKET, through the real `systemd-notify` (as under the units in deploy/systemd/).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleChild } from '../../test/helpers/bundle-child.js';
import { startNotifySocket } from '../../test/helpers/notify-socket.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { createSystemdNotifier, watchdogIntervalMs } from './systemd-notify.js';

/** The test's environment without config overrides or a notify socket of its own. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('MIERUKA_') && !k.startsWith('NOTIFY_') && !k.startsWith('WATCHDOG_')) env[k] = v;
  }
  return { ...env, ...extra };
}

describe('systemd notify', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('a hub started with NOTIFY_SOCKET says READY=1, pings WATCHDOG=1 and says STOPPING=1 on SIGTERM', async () => {
    const dir = await makeTempDir('mieruka-notify-');
    cleanups.push(() => dir.remove());
    const bundle = await bundleChild(fileURLToPath(new URL('./test-support/cli-main-child.ts', import.meta.url)), 'mieruka-notify-');
    cleanups.push(() => bundle.remove());
    const socket = await startNotifySocket(dir.path);
    cleanups.push(() => socket.close());

    const args = ['hub', '--data-dir', join(dir.path, 'data'), '--mqtt-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--log-level', 'silent'];
    // WATCHDOG_USEC as systemd sets it for WatchdogSec=; 0.4 s so pings come every 0.2 s.
    const child = spawn(process.execPath, [bundle.script, ...args], {
      cwd: dir.path,
      env: childEnv({ NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const seen = (m: string) => socket.messages().some((line) => line.split(' ').includes(m));
    await waitFor(() => seen('READY=1'), `READY=1 (output: ${output})`, 30_000);
    expect(socket.messages().find((l) => l.includes('READY=1'))).toContain('STATUS=hub running');
    expect(output).toContain('Mieruka hub: MQTT mqtt://');
    await waitFor(() => socket.messages().filter((l) => l.includes('WATCHDOG=1')).length >= 2, 'two WATCHDOG=1 pings');
    expect(seen('STOPPING=1')).toBe(false);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(seen('STOPPING=1')).toBe(true);
    // READY comes before any ping, STOPPING after every one.
    const lines = socket.messages().filter((l) => l !== 'BARRIER=1');
    expect(lines[0]).toContain('READY=1');
    expect(lines[lines.length - 1]).toBe('STOPPING=1');
    expect(output).not.toContain('systemd-notify');
  });

  it('does nothing without NOTIFY_SOCKET', () => {
    expect(createSystemdNotifier({ env: { WATCHDOG_USEC: '1000000' }, pid: 42 })).toBeUndefined();
  });

  it('pings at half of WATCHDOG_USEC, only for the process systemd watches', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeUndefined();
  });

  it('a socket nobody listens on is reported once, not thrown', async () => {
    const dir = await makeTempDir('mieruka-notify-');
    cleanups.push(() => dir.remove());
    const errors: string[] = [];
    const notifier = createSystemdNotifier({ env: { NOTIFY_SOCKET: join(dir.path, 'absent.sock'), PATH: process.env.PATH }, pid: process.pid, onError: (m) => errors.push(m) });
    await notifier?.ready();
    await notifier?.ready();
    await notifier?.stopping();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^systemd-notify READY=1 failed/);
    expect(errors[1]).toMatch(/^systemd-notify STOPPING=1 failed/);
  });
});
