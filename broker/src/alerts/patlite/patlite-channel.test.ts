/**
 * PatliteChannel on a PNS tower simulated on 127.0.0.1: pattern per severity, highest active
 * unacknowledged alarm wins, cleared on acknowledge / resolution / hold time, a silent tower
 * is a fault retried with back-off that never blocks `deliver`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmNotice, AlarmSeverity, ChannelStatus } from '../channel.js';
import { silentLogger, waitFor } from '../../test-support/helpers.js';
import { PatliteChannel, type PatliteChannelOptions } from './patlite-channel.js';
import { PnsSimulator } from './pns-simulator.js';
import { PnsTowerDriver } from './pns-tower-driver.js';

const hex = (s: string) => s.replace(/\s+/g, '');
const CLEAR = hex('41 42 43 00 00 00');
const RED_BLINK_BUZZER = hex('41 42 44 00 00 07 01 00 00 00 00 01 01');
const RED_ON = hex('41 42 44 00 00 07 01 00 00 00 00 00 00');
const AMBER_ON = hex('41 42 44 00 00 07 00 02 00 00 00 00 00');

function notice(kind: AlarmNotice['kind'], id: string, severity: AlarmSeverity, node = 'mill-1'): AlarmNotice {
  const acknowledged = kind === 'acknowledged';
  const active = kind !== 'cleared';
  return {
    kind,
    alarm: { id, site: 'factory', node, type: 'machine_stopped', severity, message: { ja: '停止', en: 'stopped' }, activeSince: Date.now(), active, acknowledged },
  };
}

describe('PatliteChannel (PNS)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(options: Partial<PatliteChannelOptions> & { timeoutMs?: number } = {}) {
    const sim = new PnsSimulator({ model: 'la6' });
    await sim.start();
    cleanups.push(() => sim.stop());
    const { timeoutMs, ...rest } = options;
    const channel = new PatliteChannel({
      name: 'patlite:line-1',
      driver: new PnsTowerDriver({ host: '127.0.0.1', port: sim.port, model: 'la6', timeoutMs: timeoutMs ?? 3000 }),
      logger: silentLogger,
      retry: { initialMs: 30, maxMs: 200 },
      probeIntervalS: 0,
      ...rest,
    });
    cleanups.push(() => channel.stop());
    const frames = () => sim.frames.map((f) => Buffer.concat([Buffer.from(f.category + f.command, 'latin1'), Buffer.from([0, 0, f.data.length]), f.data]).toString('hex'));
    const last = () => frames().at(-1);
    return { sim, channel, frames, last };
  }

  it('clears the tower on start, then shows the pattern of each severity', async () => {
    const { channel, frames, last } = await setup();
    await channel.start();
    await waitFor(() => last() === CLEAR, 'clear on start');
    await channel.deliver(notice('raised', 'a1', 'critical'));
    await waitFor(() => last() === RED_BLINK_BUZZER, 'critical pattern');
    await waitFor(() => channel.status().pending === 0, 'settled');
    expect(channel.status()).toMatchObject({ ok: true, detail: expect.stringMatching(/PNS 127\.0\.0\.1:\d+ \(LA6\): red blink, buzzer 1/) });
    expect(frames()).toEqual([CLEAR, RED_BLINK_BUZZER]);
  });

  it('shows the highest active unacknowledged severity; acknowledge and resolution step down to dark', async () => {
    const { channel, last } = await setup();
    await channel.start();
    await channel.deliver(notice('raised', 'minor-1', 'minor'));
    await waitFor(() => last() === AMBER_ON, 'minor → amber');
    await channel.deliver(notice('raised', 'major-1', 'major'));
    await waitFor(() => last() === RED_ON, 'major → red');
    await channel.deliver(notice('raised', 'minor-2', 'minor'));
    await channel.deliver(notice('acknowledged', 'major-1', 'major'));
    await waitFor(() => last() === AMBER_ON, 'back to amber after ack');
    await channel.deliver(notice('cleared', 'minor-1', 'minor'));
    await channel.deliver(notice('cleared', 'minor-2', 'minor'));
    await waitFor(() => last() === CLEAR, 'dark after resolution');
    await waitFor(() => channel.status().pending === 0, 'settled');
    expect(channel.status().detail).toMatch(/all off/);
  });

  it('goes dark when the hold time runs out, with no further notice', async () => {
    const { channel, frames, last } = await setup({ holdS: 0.3 });
    await channel.start();
    await channel.deliver(notice('raised', 'a1', 'major'));
    await waitFor(() => last() === RED_ON, 'lit');
    await waitFor(() => frames().length === 3 && last() === CLEAR, 'cleared by the hold timer');
  });

  it('a reminder re-sends the pattern with a fresh hold', async () => {
    const { channel, frames, last } = await setup({ holdS: 60 });
    await channel.start();
    await channel.deliver(notice('raised', 'a1', 'major'));
    await waitFor(() => last() === RED_ON, 'lit');
    await channel.deliver(notice('reminder', 'a1', 'major'));
    await waitFor(() => frames().length === 3, 'pattern re-sent');
    expect(frames().slice(1)).toEqual([RED_ON, RED_ON]);
  });

  it('honours per-severity patterns, null patterns and the source filter', async () => {
    const { channel, frames, last } = await setup({
      patterns: { info: null, warning: { red: 'off', amber: 'off', green: 'on', buzzer: 2 } },
      sources: ['mill-1'],
    });
    await channel.start();
    await waitFor(() => last() === CLEAR, 'clear on start');
    await channel.deliver(notice('raised', 'other', 'critical', 'mill-9'));
    await channel.deliver(notice('raised', 'i1', 'info'));
    await channel.deliver(notice('raised', 'w1', 'warning'));
    await waitFor(() => last() === hex('41 42 44 00 00 07 00 00 04 00 00 00 02'), 'warning pattern');
    expect(frames()).toHaveLength(2);
    expect(channel.stats().noticesIgnored).toBe(1);
  });

  it('a silent tower is a channel fault, retried with back-off; deliver never waits for it', async () => {
    const changes: ChannelStatus[] = [];
    const { sim, channel, last } = await setup({ timeoutMs: 1000, onStatusChange: (s) => changes.push(s) });
    sim.scenario = 'silent';
    await channel.start();
    await channel.deliver(notice('raised', 'a1', 'critical'));
    // Returned at once: the first command (the clear on start) has not even timed out yet.
    expect(channel.stats().failures).toBe(0);
    expect(channel.status()).toMatchObject({ ok: true, pending: 1 });
    const faulty = await waitFor(() => (channel.status().ok ? null : channel.status()), 'fault reported');
    expect(faulty.detail).toMatch(/did not answer within 1000 ms/);
    expect(faulty.pending).toBe(1);
    await waitFor(() => sim.frames.length >= 2, 'a retry');
    sim.scenario = 'normal';
    await waitFor(() => last() === RED_BLINK_BUZZER && channel.status().ok, 'recovered and showing the alarm', 20_000);
    expect(channel.stats().failures).toBeGreaterThanOrEqual(1);
    expect(changes.map((c) => c.ok)).toEqual([false, true]);
  });

  it('a NAK is a fault with its reason', async () => {
    const { sim, channel } = await setup();
    sim.scenario = 'nak';
    await channel.start();
    const faulty = await waitFor(() => (channel.status().ok ? null : channel.status()), 'fault');
    expect(faulty.detail).toMatch(/NAK/);
  });

  it('stop clears a lit tower; notices after stop are ignored', async () => {
    const { channel, frames, last } = await setup();
    await channel.start();
    await channel.deliver(notice('raised', 'a1', 'critical'));
    await waitFor(() => last() === RED_BLINK_BUZZER, 'lit');
    await channel.stop();
    expect(last()).toBe(CLEAR);
    const count = frames().length;
    await channel.deliver(notice('raised', 'a2', 'critical'));
    await channel.stop();
    expect(frames()).toHaveLength(count);
  });

  it('probes an idle tower and reports when it stops answering', async () => {
    const { sim, channel } = await setup({ probeIntervalS: 0.1 });
    await channel.start();
    await waitFor(() => sim.frames.some((f) => f.command === 'G'), 'a status probe');
    await sim.stop();
    const faulty = await waitFor(() => (channel.status().ok ? null : channel.status()), 'probe failure');
    expect(faulty.detail).toMatch(/refused|closed/);
  });
});
