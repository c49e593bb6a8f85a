/** The serial check over a real pty pair: the simulated ESP32 passes; garbage, silence and a missing port fail. */
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Esp32Simulator, PtyPair, SerialLineReader } from '@mieruka/firmware-bridge';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { probeSerialPort, serialCheck } from './serial-check.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('serial check', () => {
  it('is ok when the ESP32 (simulator) speaks the protocol on the configured port', async () => {
    const pty = await PtyPair.open();
    cleanups.push(() => pty.close());
    const sim = await Esp32Simulator.connectToPath(pty.devicePath, { intervalMs: 200 });
    cleanups.push(() => sim.stop());
    const out = await serialCheck.run(doctorContext({ bridge: { serialPort: pty.hostPath } }), neverAborted);
    expect(out.status).toBe('ok');
    expect(out.message.en).toMatch(/speaks the protocol \((hello|rms)/);
  });

  it('fails with the count of garbage lines when the device sends no valid line', async () => {
    const pty = await PtyPair.open();
    cleanups.push(() => pty.close());
    const device = await open(pty.devicePath, 'w');
    cleanups.push(() => device.close());
    let writing = true;
    cleanups.push(() => (writing = false));
    void (async () => {
      while (writing) {
        await device.write('\x00\xffrst:0x1 garbage at the wrong baud rate\n').catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const out = await probeSerialPort(pty.hostPath, 115200, 1500, neverAborted);
    expect(out.status).toBe('fail');
    const garbage = Number(/\/ (\d+) garbage lines/.exec(out.message.en)?.[1]);
    expect(garbage).toBeGreaterThan(0);
    expect(out.fix?.en).toContain('bridge.baudRate');
  });

  it('fails "no valid line / 0 garbage lines" on a silent port', async () => {
    const pty = await PtyPair.open();
    cleanups.push(() => pty.close());
    const out = await probeSerialPort(pty.hostPath, 115200, 800, neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain('no valid line in 0.8 s / 0 garbage lines');
    expect(out.fix?.en).toContain('flash the Mieruka firmware');
  });

  it('fails when the configured port is not present', async () => {
    const pty = await PtyPair.open();
    cleanups.push(() => pty.close());
    const missing = join(pty.dir, 'no-such-tty');
    const out = await serialCheck.run(doctorContext({ bridge: { serialPort: missing } }), neverAborted);
    expect(out).toMatchObject({ status: 'fail', message: { en: `${missing}: not present`, ja: `${missing}: 見つかりません` } });
  });

  it('fails "cannot be opened" when the path is there but is no serial device', async () => {
    const pty = await PtyPair.open();
    cleanups.push(() => pty.close());
    const notATty = join(pty.dir, 'plain-file');
    await writeFile(notATty, 'not a tty');
    const out = await probeSerialPort(notATty, 115200, 800, neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(new RegExp(`^${notATty}: cannot be opened \\(.+\\)$`));
    expect(out.fix?.en).toContain('dialout');
  });

  it('fails "in use" while another reader (the running bridge) holds the port', async () => {
    const pty = await PtyPair.open();
    cleanups.push(() => pty.close());
    const bridge = new SerialLineReader({ path: pty.hostPath, logger: pino({ level: 'silent' }) });
    cleanups.push(() => bridge.stop());
    await bridge.start();
    expect(bridge.stats().open).toBe(true);
    const out = await probeSerialPort(pty.hostPath, 115200, 800, neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain('Cannot lock port');
    expect(out.fix?.en).toContain('systemctl stop mieruka-bridge@');
  });

  it('skips when neither a port nor machines are configured', async () => {
    expect((await serialCheck.run(doctorContext({}), neverAborted)).status).toBe('skip');
  });
});
