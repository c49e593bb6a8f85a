import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { findSerialPort, listSerialCandidates } from './port-discovery.js';

describe('serial port discovery in a by-id directory', () => {
  const dirs: Array<{ remove(): Promise<void> }> = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await d.remove();
  });

  async function byId(names: string[]): Promise<string> {
    const tmp = await makeTempDir();
    dirs.push(tmp);
    const dir = join(tmp.path, 'by-id');
    await mkdir(dir);
    for (const n of names) await writeFile(join(dir, n), '');
    return dir;
  }

  it('prefers an ESP32 USB bridge over other serial devices', async () => {
    const dir = await byId([
      'usb-Arduino__www.arduino.cc__Uno_123-if00',
      'usb-1a86_USB2.0-Serial-if00-port0',
      'usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0',
    ]);
    expect(await findSerialPort({ byIdDir: dir })).toBe(join(dir, 'usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0'));
    const list = await listSerialCandidates({ byIdDir: dir });
    expect(list.map((c) => c.chip)).toEqual(['CP210x', 'CH340', null]);
  });

  it('recognises the Espressif USB JTAG/serial unit, CH9102 and FTDI', async () => {
    const dir = await byId(['usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0', 'usb-1a86_USB_Single_Serial_54FC-if00', 'usb-Espressif_USB_JTAG_serial_debug_unit_7C:DF:A1-if00']);
    const list = await listSerialCandidates({ byIdDir: dir });
    expect(list.map((c) => c.chip)).toEqual(['Espressif USB JTAG/serial', 'CH9102', 'FTDI']);
  });

  it('falls back to the first entry, and to null without any', async () => {
    const dir = await byId(['usb-Some_Vendor_Modem-if00', 'usb-Another_Thing-if00']);
    expect(await findSerialPort({ byIdDir: dir })).toBe(join(dir, 'usb-Another_Thing-if00'));
    expect(await findSerialPort({ byIdDir: await byId([]) })).toBeNull();
    expect(await findSerialPort({ byIdDir: join(dir, 'does-not-exist') })).toBeNull();
  });
});
