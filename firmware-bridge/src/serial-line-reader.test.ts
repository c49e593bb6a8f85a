/**
 * SerialLineReader on real pty pairs made by socat, with the simulator (or raw bytes) on the
 * device side.
 */
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSerialLine, type SerialMessage } from '@mieruka/protocol';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { Esp32Simulator } from './esp32-simulator.js';
import { simulateTrace } from './machine-model.js';
import { PtyPair } from './pty-pair.js';
import { SerialLineReader } from './serial-line-reader.js';
import type { SerialStatus } from '@mieruka/protocol';

const logger = pino({ level: 'silent' });

describe('SerialLineReader on a socat pty pair', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(): Promise<{ dir: string; pty: PtyPair; reader: SerialLineReader; messages: SerialMessage[]; statuses: SerialStatus[] }> {
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const pty = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => pty.close());
    const reader = new SerialLineReader({ path: pty.hostPath, logger, reconnect: { initialMs: 50, maxMs: 200 } });
    cleanups.push(() => reader.stop());
    const messages: SerialMessage[] = [];
    const statuses: SerialStatus[] = [];
    reader.on('message', (m) => messages.push(m));
    reader.on('status', (s) => statuses.push(s));
    return { dir: tmp.path, pty, reader, messages, statuses };
  }

  it('skips and counts the boot banner, then delivers hello and rms in order with the simulated values', async () => {
    const { pty, reader, messages } = await setup();
    await reader.start();
    expect(reader.stats().open).toBe(true);
    const sim = new Esp32Simulator({ seed: 42, intervalMs: 20, timeScale: 30 });
    cleanups.push(() => sim.stop());
    await sim.connectToPath(pty.devicePath);

    await waitFor(() => messages.filter((m) => m.type === 'rms').length >= 20, '20 rms lines');
    expect(messages[0]?.type).toBe('hello');
    const hello = messages[0] as Extract<SerialMessage, { type: 'hello' }>;
    expect(hello).toMatchObject({ channels: 1, intervalMs: 20, id: sim.id });
    const rms = messages.filter((m): m is Extract<SerialMessage, { type: 'rms' }> => m.type === 'rms');
    // Same order, nothing lost, and exactly the values the model produces for this seed.
    expect(rms.map((m) => m.seq)).toEqual(rms.map((_, i) => i));
    const expected = simulateTrace({ seed: 42, durationS: (rms.length * 20 * 30) / 1000, intervalMs: 20 * 30 });
    expect(rms.map((m) => m.irms[0])).toEqual(expected.slice(0, rms.length).map((p) => p.irms));

    const stats = reader.stats();
    // 10 banner lines (one empty), one line of binary noise, one half JSON line.
    expect(stats.skipped['not-json']).toBe(10);
    expect(stats.skipped.empty).toBe(1);
    expect(stats.skipped.binary).toBe(1);
    expect(stats.byType.hello).toBe(1);
    expect(stats.messages).toBe(stats.byType.hello + stats.byType.rms + stats.byType.ack);
  });

  it('sends host commands to the device and receives the acks', async () => {
    const { pty, reader, messages } = await setup();
    await reader.start();
    const sim = await Esp32Simulator.connectToPath(pty.devicePath, { seed: 1, intervalMs: 1000 });
    cleanups.push(() => sim.stop());
    await waitFor(() => messages.some((m) => m.type === 'hello'), 'hello');
    await reader.write({ cmd: 'cal', channel: 0, ampsPerVolt: 100 });
    await reader.write({ cmd: 'interval', ms: 250 });
    await waitFor(() => messages.filter((m) => m.type === 'ack').length >= 2, 'two acks');
    expect(messages.filter((m) => m.type === 'ack')).toEqual([
      { type: 'ack', cmd: 'cal', ok: true },
      { type: 'ack', cmd: 'interval', ok: true },
    ]);
    expect(sim.currentIntervalMs).toBe(250);
  });

  it('reopens by itself when the port vanishes and comes back under the same path', async () => {
    const { dir, pty, reader, messages, statuses } = await setup();
    const opens: string[] = [];
    reader.on('open', (p) => opens.push(p));
    await reader.start();
    const sim = new Esp32Simulator({ seed: 3, intervalMs: 20 });
    cleanups.push(() => sim.stop());
    await sim.connectToPath(pty.devicePath);
    await waitFor(() => messages.filter((m) => m.type === 'rms').length >= 3, 'first rms lines');

    await sim.detach();
    await pty.close();
    await waitFor(() => statuses.some((s) => !s.open), 'a closed status');
    expect(reader.stats().open).toBe(false);
    const before = messages.length;

    const pty2 = await PtyPair.open({ dir });
    cleanups.push(() => pty2.close());
    expect(pty2.hostPath).toBe(pty.hostPath);
    await sim.connectToPath(pty2.devicePath);
    await waitFor(() => reader.stats().reconnects >= 1, 'the reader to reopen the port');
    await waitFor(() => messages.slice(before).filter((m) => m.type === 'rms').length >= 3, 'rms lines after the re-plug');
    // The device rebooted before the reader reopened, and opening a port discards what was
    // buffered (as on real hardware): ask for the hello again.
    await reader.write({ cmd: 'info' });
    await waitFor(() => messages.slice(before).some((m) => m.type === 'hello'), 'a hello after info');
    expect(opens).toEqual([pty.hostPath, pty.hostPath]);
    expect(statuses.at(-1)).toEqual({ open: true, path: pty.hostPath });
  });

  // Issue 15: after a replug the bridge reads again within a second of the port reappearing,
  // whatever the back-off had grown to while the device was away. The device is gone for 4 s
  // (back-off retries at 0, 0.5, 1.5 and 3.5 s, the next at 7.5 s); readings come every 100 ms.
  it.each([
    { watch: true, appearCheckMs: undefined },
    { watch: false, appearCheckMs: 0 },
  ])('after a replug, readings are lost for under a second only with the device watch ($watch)', async ({ watch, appearCheckMs }) => {
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const pty = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => pty.close());
    const reader = new SerialLineReader({ path: pty.hostPath, logger, ...(appearCheckMs === undefined ? {} : { appearCheckMs }) });
    cleanups.push(() => reader.stop());
    let opens = 0;
    reader.on('open', () => opens++);
    const messages: SerialMessage[] = [];
    reader.on('message', (m) => messages.push(m));
    await reader.start();
    const sim = new Esp32Simulator({ seed: 9, intervalMs: 100 });
    cleanups.push(() => sim.stop());
    await sim.connectToPath(pty.devicePath);
    await waitFor(() => messages.some((m) => m.type === 'rms'), 'readings before the unplug');

    await sim.detach();
    await pty.close();
    await waitFor(() => !reader.stats().open, 'the reader to notice the unplug');
    await new Promise((resolve) => setTimeout(resolve, 4000));

    const pty2 = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => pty2.close());
    // Readings the rebooted device sends before the reader has the port open again are lost.
    let lostReadings = 0;
    sim.on('data', (bytes: Buffer) => {
      const line = parseSerialLine(bytes.toString('latin1').replace(/\n$/, ''));
      if (opens < 2 && line.ok && line.message.type === 'rms') lostReadings++;
    });
    await sim.connectToPath(pty2.devicePath);
    await waitFor(() => opens >= 2, 'the reader to reopen the port', 15_000);
    if (watch) expect(lostReadings * 100).toBeLessThan(1000);
    else expect(lostReadings * 100).toBeGreaterThanOrEqual(1000);
  });

  it('notices a path that vanished or now leads to another device, even if the port never reports it, and follows it', async () => {
    // A by-id style link we control: the device behind it is swapped, then the link is gone.
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const a = await PtyPair.open();
    cleanups.push(() => a.close());
    const b = await PtyPair.open();
    cleanups.push(() => b.close());
    const link = join(tmp.path, 'usb-Espressif_ESP32-if00');
    await symlink(a.hostPath, link);
    const reader = new SerialLineReader({ path: link, logger, reconnect: { initialMs: 20, maxMs: 100 }, deviceCheckMs: 50 });
    cleanups.push(() => reader.stop());
    const statuses: SerialStatus[] = [];
    const messages: SerialMessage[] = [];
    reader.on('status', (st) => statuses.push(st));
    reader.on('message', (m) => messages.push(m));
    await reader.start();
    expect(reader.stats().open).toBe(true);

    // Both ptys stay alive, so the open port itself sees nothing: only the watchdog can tell.
    await rm(link);
    await symlink(b.hostPath, link);
    await waitFor(() => reader.stats().reconnects === 1, 'the reader to reopen the path on the new device');
    expect(statuses.some((st) => !st.open && /another device behind the path/.test(st.error))).toBe(true);
    const sim = await Esp32Simulator.connectToPath(b.devicePath, { seed: 5, intervalMs: 20 });
    cleanups.push(() => sim.stop());
    await waitFor(() => messages.some((m) => m.type === 'rms'), 'readings from the new device');

    await rm(link);
    await waitFor(() => !reader.stats().open, 'the reader to notice the vanished path');
    expect(statuses.some((st) => !st.open && /device path vanished/.test(st.error))).toBe(true);
    await symlink(b.hostPath, link);
    await waitFor(() => reader.stats().reconnects === 2, 'the reader to reopen once the path is back');
  });

  it('keeps retrying while no port exists and opens it once it appears', async () => {
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    let found: string | null = null;
    const reader = new SerialLineReader({ path: async () => found, logger, reconnect: { initialMs: 20, maxMs: 100 } });
    cleanups.push(() => reader.stop());
    const statuses: SerialStatus[] = [];
    reader.on('status', (s) => statuses.push(s));
    await reader.start();
    expect(statuses).toEqual([{ open: false, path: null, error: 'no serial port found' }]);
    expect(reader.stats().lastError).toBe('no serial port found');
    await expect(reader.write({ cmd: 'info' })).rejects.toMatchObject({ code: 'SERIAL_PORT_UNAVAILABLE' });

    const pty = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => pty.close());
    found = pty.hostPath;
    await waitFor(() => reader.stats().open, 'the reader to find and open the port');
    expect(statuses.at(-1)).toEqual({ open: true, path: pty.hostPath });
  });

  it('survives garbage on the wire: random bytes, endless lines, invalid JSON, wrong types', async () => {
    const { pty, reader, messages } = await setup();
    const skips: string[] = [];
    reader.on('skip', (s) => skips.push(s.reason));
    await reader.start();
    const device = new SerialPort({ path: pty.devicePath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => device.open((err) => (err ? reject(err) : resolve())));
    cleanups.push(() => new Promise<void>((resolve) => device.close(() => resolve())));
    const send = (data: Buffer | string) => new Promise<void>((resolve, reject) => device.write(data, (err) => (err ? reject(err) : device.drain(() => resolve()))));

    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 20; i++) await send(Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256))));
    await send('\n');
    await send('x'.repeat(200_000)); // no newline for a long time
    await send('\n');
    await send('{"type":"rms","seq":1,"uptimeMs":5,"irms":[1.0]\n'); // missing brace
    await send('{"type":"rms","seq":"one","uptimeMs":5,"irms":["a"]}\n');
    await send('{"type":"reboot"}\n');
    await send('[1,2,3]\n');
    await send('{"type":"rms","seq":7,"uptimeMs":5,"irms":[-1]}\n');
    await send('{"type":"rms","seq":8,"uptimeMs":9,"irms":[1.25]}\n');

    await waitFor(() => messages.length >= 1, 'the valid line after the garbage');
    expect(messages).toEqual([{ type: 'rms', seq: 8, uptimeMs: 9, irms: [1.25] }]);
    const s = reader.stats();
    expect(s.open).toBe(true);
    expect(s.skipped['too-long']).toBeGreaterThanOrEqual(1);
    expect(s.skipped.invalid).toBe(2);
    expect(s.skipped['unknown-type']).toBe(1);
    expect(s.skipped['not-json']).toBeGreaterThanOrEqual(2); // the missing brace and the array
    expect(skips.length).toBe(Object.values(s.skipped).reduce((a, b) => a + b, 0));
    expect(s.lines).toBe(s.messages + skips.length);
  });
});
