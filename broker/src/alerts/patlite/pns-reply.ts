/**
 * Replies of PATLITE LAN towers, decoded as bytes arrive (TCP may split them). Pure.
 *
 * Control commands (S, D, C) answer one byte: ACK 0x06 or NAK 0x15 (reference, "Reply").
 * G answers with data (PATLITE's public LA6-POE examples, "get status command"):
 *   LA6: 8 contact-input bytes, a mode byte (0 signal-light mode, 1 smart mode), then
 *        mode 0: 5 LED unit patterns + buzzer pattern (15 bytes in all);
 *        mode 1: group number, mute, STOP input, pattern number (13 bytes in all).
 *   NH:  5 LED unit patterns + buzzer pattern (6 bytes).
 * A refused G is the single byte NAK; no valid status starts with 0x15 (inputs are 0/1,
 * patterns ≤ 9), so the first byte tells a NAK from a status.
 */
import { hexBytes, PNS_ACK, PNS_NAK, type PnsModel } from './pns-frame.js';

export type PnsLa6Status =
  | { model: 'la6'; inputs: number[]; mode: 'signal-light'; units: number[]; buzzer: number }
  | { model: 'la6'; inputs: number[]; mode: 'smart'; smart: { group: number; mute: number; stopInput: number; pattern: number } };
export type PnsNhStatus = { model: 'nh'; units: number[]; buzzer: number };
export type PnsStatus = PnsLa6Status | PnsNhStatus;

export type PnsAckParse = { state: 'incomplete' } | { state: 'ack' } | { state: 'nak' } | { state: 'bad'; reason: string };
export type PnsStatusParse = { state: 'incomplete' } | { state: 'nak' } | { state: 'bad'; reason: string } | { state: 'status'; status: PnsStatus };

/** What the first byte of a bad reply suggests, for a person reading the error. */
function badReply(buf: Uint8Array, expected: string): { state: 'bad'; reason: string } {
  const ascii = Buffer.from(buf.subarray(0, 4)).toString('latin1');
  const hint =
    ascii.startsWith('ACK') || ascii.startsWith('NAK')
      ? ' (an ASCII ACK/NAK is the older PHN protocol: this tower is not a PNS model)'
      : ascii.startsWith('HTTP') || ascii.startsWith('<')
        ? ' (that is a web server: wrong port? PNS listens on 10000 by default)'
        : '';
  return { state: 'bad', reason: `expected ${expected}, got ${hexBytes(buf, 16)}${hint}` };
}

export function decodeAckReply(buf: Uint8Array): PnsAckParse {
  if (buf.length === 0) return { state: 'incomplete' };
  if (buf[0] === PNS_ACK) return { state: 'ack' };
  if (buf[0] === PNS_NAK) return { state: 'nak' };
  return badReply(buf, 'ACK (06) or NAK (15)');
}

type ByteRule = { name: string; max: number };

const la6Head: ByteRule[] = [...Array.from({ length: 8 }, (_, i) => ({ name: `input ${i + 1}`, max: 1 })), { name: 'mode', max: 1 }];
const la6SignalLight: ByteRule[] = [...Array.from({ length: 5 }, (_, i) => ({ name: `LED unit ${i + 1}`, max: 9 })), { name: 'buzzer', max: 11 }];
const la6Smart: ByteRule[] = [
  { name: 'group', max: 31 },
  { name: 'mute', max: 1 },
  { name: 'STOP input', max: 1 },
  { name: 'pattern', max: 255 },
];
const nhLayout: ByteRule[] = [...Array.from({ length: 5 }, (_, i) => ({ name: `LED unit ${i + 1}`, max: 9 })), { name: 'buzzer', max: 11 }];

function layoutFor(model: PnsModel, buf: Uint8Array): ByteRule[] {
  if (model === 'nh') return nhLayout;
  if (buf.length <= 8) return la6Head;
  return [...la6Head, ...(buf[8] === 1 ? la6Smart : la6SignalLight)];
}

export function decodeStatusReply(model: PnsModel, buf: Uint8Array): PnsStatusParse {
  if (buf.length === 0) return { state: 'incomplete' };
  if (buf[0] === PNS_NAK) return buf.length === 1 ? { state: 'nak' } : badReply(buf, `a ${model.toUpperCase()} status`);
  const layout = layoutFor(model, buf);
  // Checked byte by byte as they come, so garbage fails at once instead of waiting for a timeout.
  for (let i = 0; i < Math.min(buf.length, layout.length); i++) {
    const rule = layout[i]!;
    if (buf[i]! > rule.max) return badReply(buf, `a ${model.toUpperCase()} status (${rule.name} ≤ ${rule.max} at byte ${i + 1})`);
  }
  if (buf.length < layout.length) return { state: 'incomplete' };
  const b = Array.from(buf);
  if (model === 'nh') return { state: 'status', status: { model: 'nh', units: b.slice(0, 5), buzzer: b[5]! } };
  const inputs = b.slice(0, 8);
  if (b[8] === 1) {
    return { state: 'status', status: { model: 'la6', inputs, mode: 'smart', smart: { group: b[9]!, mute: b[10]!, stopInput: b[11]!, pattern: b[12]! } } };
  }
  return { state: 'status', status: { model: 'la6', inputs, mode: 'signal-light', units: b.slice(9, 14), buzzer: b[14]! } };
}

const NH_UNIT_NAMES = ['red', 'amber', 'green', 'blue', 'white'];
const PATTERN_NAMES: Record<number, string> = { 0: 'off', 1: 'on', 2: 'blink', 3: 'blink (pattern 2)', 9: 'keep' };

function unitName(model: PnsModel, i: number): string {
  return model === 'nh' ? `unit ${i + 1} (${NH_UNIT_NAMES[i]})` : `unit ${i + 1}`;
}

/** Human-readable lines, e.g. for `mieruka patlite --status`. */
export function describePnsStatus(status: PnsStatus): string[] {
  const lines: string[] = [];
  if (status.model === 'la6') {
    lines.push(`inputs 1–8: ${status.inputs.join(' ')}`);
    if (status.mode === 'smart') {
      lines.push('mode: smart mode');
      lines.push(`group ${status.smart.group}, pattern ${status.smart.pattern}, mute ${status.smart.mute ? 'on' : 'off'}, STOP input ${status.smart.stopInput ? 'on' : 'off'}`);
      return lines;
    }
    lines.push('mode: signal-light mode');
  }
  status.units.forEach((u, i) => lines.push(`${unitName(status.model, i)}: ${PATTERN_NAMES[u] ?? `pattern ${u}`}`));
  lines.push(`buzzer: ${status.buzzer === 0 ? 'off' : `pattern ${status.buzzer}`}`);
  return lines;
}
