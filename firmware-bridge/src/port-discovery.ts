/**
 * Finds the ESP32's USB serial port under /dev/serial/by-id, whose names are stable across
 * re-plugs and reboots (unlike /dev/ttyUSB0, which may become ttyUSB1).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_BY_ID_DIR = '/dev/serial/by-id';

/** USB-serial bridges found on ESP32 boards, by the name udev gives them. */
const ESP32_BRIDGES: ReadonlyArray<{ chip: string; pattern: RegExp }> = [
  { chip: 'Espressif USB JTAG/serial', pattern: /espressif|usb_jtag/i },
  { chip: 'CP210x', pattern: /cp210\d|silicon_labs/i },
  { chip: 'CH9102', pattern: /ch910\d|usb_single_serial/i },
  { chip: 'CH340', pattern: /ch34\d|1a86/i },
  { chip: 'FTDI', pattern: /ftdi|ft232|ft231|ft2232/i },
];

export type SerialCandidate = {
  /** Full path of the by-id link, e.g. /dev/serial/by-id/usb-Silicon_Labs_CP2102_…-port0. */
  path: string;
  name: string;
  /** The USB-serial chip recognised in the name, when it is one ESP32 boards use. */
  chip: string | null;
};

/** Every entry of the by-id directory, likely ESP32 bridges first; [] when there is none. */
export async function listSerialCandidates(options: { byIdDir?: string } = {}): Promise<SerialCandidate[]> {
  const dir = options.byIdDir ?? DEFAULT_BY_ID_DIR;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    // The directory only exists while at least one USB serial device is plugged in.
    return [];
  }
  const candidates = names.sort().map((name) => ({ path: join(dir, name), name, chip: ESP32_BRIDGES.find((b) => b.pattern.test(name))?.chip ?? null }));
  const rank = (c: SerialCandidate): number => (c.chip === null ? ESP32_BRIDGES.length : ESP32_BRIDGES.findIndex((b) => b.chip === c.chip));
  return candidates.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** The first entry that looks like an ESP32 bridge, else the first entry, else null. */
export async function findSerialPort(options: { byIdDir?: string } = {}): Promise<string | null> {
  const [first] = await listSerialCandidates(options);
  return first?.path ?? null;
}
