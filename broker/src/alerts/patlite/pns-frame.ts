/**
 * PNS product-control frames for PATLITE LAN towers (see /work/shared/reference/patlite.md and
 * docs/patlite.md). Pure: bytes in, bytes out.
 *
 * Request frame (reference, "PNS product control protocol"): 2-byte product category, 1-byte
 * command letter, one 0x00 byte, big-endian uint16 data length, then the data.
 * Category "AB" on LA6-POE, "XX" on the NH series (NHL, NHV, NH-FV).
 */
import { MierukaError } from '@mieruka/protocol';

export const PNS_DEFAULT_PORT = 10000;
export const PNS_HEADER_BYTES = 6;
/** Replies (reference: "Reply: ACK 0x06 or NAK 0x15"). */
export const PNS_ACK = 0x06;
export const PNS_NAK = 0x15;

export const PNS_MODELS = ['la6', 'nh'] as const;
export type PnsModel = (typeof PNS_MODELS)[number];

export const PNS_CATEGORY: Readonly<Record<PnsModel, string>> = { la6: 'AB', nh: 'XX' };

/** Command letters used here (reference table: S 0x53, D 0x44, C 0x43, G 0x47). */
export const PNS_COMMAND = { runControl: 'S', detailRunControl: 'D', clear: 'C', getStatus: 'G' } as const;
export type PnsCommandLetter = (typeof PNS_COMMAND)[keyof typeof PNS_COMMAND];

/** S-command unit patterns: 0 off, 1 on, 2 blink (NH: flash pattern 1), 3 NH flash pattern 2, 9 keep. */
export const PNS_UNIT = { off: 0, on: 1, blink: 2, flash2: 3, keep: 9 } as const;
export const PNS_BUZZER_KEEP = 9;
/** D-command colours (reference, D row): 0 off … 9 white. */
export const PNS_COLOUR = { off: 0, red: 1, yellow: 2, lemon: 3, green: 4, skyBlue: 5, blue: 6, purple: 7, peach: 8, white: 9 } as const;

export type PnsFrame = { category: string; command: string; data: Buffer };

/** Builds one request frame. */
export function encodePnsFrame(model: PnsModel, command: PnsCommandLetter, data: Uint8Array = new Uint8Array(0)): Buffer {
  if (data.length > 0xffff) throw new RangeError(`PNS data of ${data.length} bytes does not fit a uint16 length`);
  const frame = Buffer.alloc(PNS_HEADER_BYTES + data.length);
  frame.write(PNS_CATEGORY[model], 0, 'latin1');
  frame.write(command, 2, 'latin1');
  frame[3] = 0x00;
  frame.writeUInt16BE(data.length, 4);
  frame.set(data, PNS_HEADER_BYTES);
  return frame;
}

function invalid(message: string): MierukaError {
  return new MierukaError('BAD_REQUEST', message);
}

function checkUnits(units: readonly number[], allowed: readonly number[], what: string): void {
  if (units.length !== 5) throw invalid(`${what}: 5 LED unit values expected, got ${units.length}`);
  units.forEach((u, i) => {
    if (!allowed.includes(u)) throw invalid(`${what}: LED unit ${i + 1} value ${u} is not one of ${allowed.join(', ')}`);
  });
}

/**
 * S — operation ("smart") control: 5 unit patterns + buzzer (reference, S row). LA6: units
 * 0/1/2/9, buzzer 0–3 or 9. NH: units 0/1/2/3/9 (2 and 3 are flash patterns), buzzer 0–4 or 9.
 * Reference example: NH red on, amber pattern 2, green pattern 3, buzzer 4 =
 * `58 58 53 00 00 06 01 02 03 00 00 04`.
 */
export function encodeRunControl(model: PnsModel, units: readonly number[], buzzer: number): Buffer {
  const unitValues = model === 'nh' ? [0, 1, 2, 3, 9] : [0, 1, 2, 9];
  const buzzerMax = model === 'nh' ? 4 : 3;
  checkUnits(units, unitValues, `${model.toUpperCase()} S command`);
  if (!Number.isInteger(buzzer) || ((buzzer < 0 || buzzer > buzzerMax) && buzzer !== PNS_BUZZER_KEEP)) {
    throw invalid(`${model.toUpperCase()} S command: buzzer must be 0–${buzzerMax} or 9 (keep), got ${buzzer}`);
  }
  return encodePnsFrame(model, 'S', Uint8Array.from([...units, buzzer]));
}

/**
 * D — detailed run control, LA6 only (reference, D row): 5 unit colours (0–9), blink 0/1,
 * buzzer 0–11. Reference example: red, yellow, green, no blink, no buzzer =
 * `41 42 44 00 00 07 01 02 04 00 00 00 00`.
 */
export function encodeDetailRunControl(model: PnsModel, colours: readonly number[], blink: boolean, buzzer: number): Buffer {
  if (model !== 'la6') throw invalid('the D (detailed run control) command exists on the LA6 only; use S on the NH series');
  checkUnits(colours, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'LA6 D command');
  if (!Number.isInteger(buzzer) || buzzer < 0 || buzzer > 11) throw invalid(`LA6 D command: buzzer must be 0–11, got ${buzzer}`);
  return encodePnsFrame(model, 'D', Uint8Array.from([...colours, blink ? 1 : 0, buzzer]));
}

/** C — clear, all off (reference example `41 42 43 00 00 00`). */
export function encodeClear(model: PnsModel): Buffer {
  return encodePnsFrame(model, 'C');
}

/** G — status request; the tower replies with data instead of an ACK. */
export function encodeStatusRequest(model: PnsModel): Buffer {
  return encodePnsFrame(model, 'G');
}

export type PnsFrameParse =
  | { state: 'incomplete' }
  | { state: 'frame'; frame: PnsFrame; rest: Buffer }
  | { state: 'invalid'; reason: string; rest: Buffer };

/**
 * Reads one frame from the front of a byte stream (the device side: simulator, tests). A
 * header whose byte 3 is not 0x00 is invalid; the caller decides what to drop.
 */
export function decodePnsFrame(buf: Buffer): PnsFrameParse {
  if (buf.length < PNS_HEADER_BYTES) return { state: 'incomplete' };
  if (buf[3] !== 0x00) return { state: 'invalid', reason: `byte 3 is 0x${buf[3]!.toString(16).padStart(2, '0')}, not 0x00`, rest: buf.subarray(PNS_HEADER_BYTES) };
  const length = buf.readUInt16BE(4);
  if (buf.length < PNS_HEADER_BYTES + length) return { state: 'incomplete' };
  return {
    state: 'frame',
    frame: { category: buf.toString('latin1', 0, 2), command: buf.toString('latin1', 2, 3), data: Buffer.from(buf.subarray(PNS_HEADER_BYTES, PNS_HEADER_BYTES + length)) },
    rest: buf.subarray(PNS_HEADER_BYTES + length),
  };
}

/** `58 58 53 00 …` — for messages and docs. */
export function hexBytes(buf: Uint8Array, max = 32): string {
  const shown = Array.from(buf.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return buf.length > max ? `${shown} … (${buf.length} bytes)` : shown;
}
