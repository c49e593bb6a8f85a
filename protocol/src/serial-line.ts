/**
 * ESP32 ↔ host serial line protocol v1 (115200 8N1, one JSON object per line, LF or CRLF).
 * Anything that is not a JSON object of a known type — the ESP32 ROM boot banner, half lines
 * after a reset, noise — is reported as skipped, never thrown.
 */
import { z } from 'zod';
import { formatZodError } from './decode.js';
import { Amperes, MAX_CHANNELS, Seq } from './payloads.js';

/** Longest line we accept; a real rms line with 16 channels is < 300 bytes. */
export const MAX_SERIAL_LINE_LENGTH = 1024;
export const SERIAL_BAUD_RATE = 115200;

export const HelloLine = z.strictObject({
  type: z.literal('hello'),
  fw: z.string().min(1).max(32),
  id: z.string().min(1).max(64),
  channels: z.int().min(1).max(MAX_CHANNELS),
  intervalMs: z.int().min(10).max(3_600_000),
});
export const RmsLine = z.strictObject({
  type: z.literal('rms'),
  seq: Seq,
  uptimeMs: z.int().min(0),
  irms: z.array(Amperes).min(1).max(MAX_CHANNELS),
  /** Firmware may report ADC clipping per interval; optional. */
  clipped: z.int().min(0).optional(),
});
export const AckLine = z.strictObject({
  type: z.literal('ack'),
  cmd: z.string().min(1).max(32),
  ok: z.boolean(),
  error: z.string().max(200).optional(),
});

export const SerialMessage = z.discriminatedUnion('type', [HelloLine, RmsLine, AckLine]);
export type SerialMessage = z.infer<typeof SerialMessage>;
export type HelloLine = z.infer<typeof HelloLine>;
export type RmsLine = z.infer<typeof RmsLine>;
export type AckLine = z.infer<typeof AckLine>;

export type SkipReason = 'empty' | 'too-long' | 'binary' | 'not-json' | 'not-object' | 'unknown-type' | 'invalid';
export type SerialParseResult = { ok: true; message: SerialMessage } | { ok: false; reason: SkipReason; detail: string };

const KNOWN_TYPES = new Set(['hello', 'rms', 'ack']);

export function parseSerialLine(raw: string): SerialParseResult {
  const line = raw.replace(/\r$/, '');
  if (line.trim() === '') return { ok: false, reason: 'empty', detail: 'empty line' };
  if (line.length > MAX_SERIAL_LINE_LENGTH) {
    return { ok: false, reason: 'too-long', detail: `line of ${line.length} chars exceeds ${MAX_SERIAL_LINE_LENGTH}` };
  }
  // Control characters other than tab mean line noise or a baud-rate mismatch.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(line)) return { ok: false, reason: 'binary', detail: 'binary noise' };
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return { ok: false, reason: 'not-json', detail: excerpt(trimmed) };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { ok: false, reason: 'not-json', detail: excerpt(trimmed) };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'not-object', detail: excerpt(trimmed) };
  }
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    return { ok: false, reason: 'unknown-type', detail: `type ${JSON.stringify(type)}` };
  }
  const result = SerialMessage.safeParse(json);
  if (!result.success) return { ok: false, reason: 'invalid', detail: formatZodError(result.error) };
  return { ok: true, message: result.data };
}

function excerpt(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** Host → ESP32 commands. */
export type HostCommand =
  | { cmd: 'info' }
  | { cmd: 'interval'; ms: number }
  | { cmd: 'cal'; channel: number; ampsPerVolt: number }
  | { cmd: 'noise'; channel: number; amps: number }
  | { cmd: 'save' };

export function encodeHostCommand(command: HostCommand): string {
  const num = (n: number, what: string): string => {
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`${what} must be a finite number ≥ 0, got ${n}`);
    return String(n);
  };
  const channel = (c: number): string => {
    if (!Number.isInteger(c) || c < 0 || c >= MAX_CHANNELS) throw new RangeError(`channel must be 0..${MAX_CHANNELS - 1}, got ${c}`);
    return String(c);
  };
  switch (command.cmd) {
    case 'info':
    case 'save':
      return `${command.cmd}\n`;
    case 'interval':
      if (!Number.isInteger(command.ms) || command.ms < 100 || command.ms > 60_000) {
        throw new RangeError(`interval must be an integer 100..60000 ms, got ${command.ms}`);
      }
      return `interval ${command.ms}\n`;
    case 'cal':
      return `cal ${channel(command.channel)} ${num(command.ampsPerVolt, 'amps per volt')}\n`;
    case 'noise':
      return `noise ${channel(command.channel)} ${num(command.amps, 'noise floor')}\n`;
  }
}

export function encodeSerialMessage(message: SerialMessage): string {
  return `${JSON.stringify(message)}\n`;
}
