/**
 * Reads a recorded current trace for calibration, in whatever form the installer has it:
 *
 * - CSV with a header: a time column (`ts`, `time`, `timestamp` or `tMs`; epoch or relative
 *   milliseconds, or ISO dates) and a current column (`amps`, `irms`, `current`, or per channel
 *   `irms0`, `amps1`, `ch2` …); other columns are ignored.
 * - Lines: serial protocol v1 (`{"type":"rms",…}`, e.g. captured from the port with the boot
 *   banner), `current` payloads (`{"ts":…,"seq":…,"irms":[…]}`, also as `mosquitto_sub -v`
 *   output with the topic in front), or the lines `mieruka bridge --print` writes.
 *
 * Anything else is skipped and counted, never fatal. Pure: text in, samples out.
 */
import { CurrentPayload, parseSerialLine } from '@mieruka/protocol';
import type { AmpsSample } from './threshold-calibration.js';

export type TraceFormat = 'csv' | 'lines';
export type TraceSkipReason = 'not-a-reading' | 'invalid' | 'no-channel' | 'bad-value';

export interface ParsedTrace {
  format: TraceFormat;
  samples: AmpsSample[];
  /** Lines that gave no sample, by reason (hello/ack lines and banners are `not-a-reading`). */
  skipped: Record<TraceSkipReason, number>;
}

const TIME_COLUMNS = ['ts', 'time', 'timestamp', 'tms', 't'];
const PRINT_LINE = /^(\d{4}-\d{2}-\d{2}T\S+)\s+seq\s+\d+\s+(.*)$/;
const PRINT_CHANNEL = /ch(\d{1,2})\s+(\d+(?:\.\d+)?)\s*A/g;

export function parseTraceText(text: string, options: { channel?: number } = {}): ParsedTrace {
  const channel = options.channel ?? 0;
  const lines = text.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const header = first ? splitCsv(first).map((h) => h.toLowerCase()) : [];
  if (header.some((h) => TIME_COLUMNS.includes(h)) && !first?.includes('{')) return parseCsv(lines, header, channel);
  return parseLines(lines, channel);
}

function emptySkips(): Record<TraceSkipReason, number> {
  return { 'not-a-reading': 0, invalid: 0, 'no-channel': 0, 'bad-value': 0 };
}

function splitCsv(line: string): string[] {
  return line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

function parseCsv(lines: string[], header: string[], channel: number): ParsedTrace {
  const skipped = emptySkips();
  const samples: AmpsSample[] = [];
  const tsCol = header.findIndex((h) => TIME_COLUMNS.includes(h));
  const perChannel = ['irms', 'amps', 'ch', 'a'].map((p) => header.indexOf(`${p}${channel}`)).find((i) => i >= 0);
  const single = channel === 0 ? ['amps', 'irms', 'current', 'a'].map((p) => header.indexOf(p)).find((i) => i >= 0) : undefined;
  const ampsCol = perChannel ?? single ?? -1;
  let headerSeen = false;
  for (const line of lines) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (!headerSeen) {
      headerSeen = true; // the header line itself
      continue;
    }
    if (ampsCol < 0) {
      skipped['no-channel']++;
      continue;
    }
    const cells = splitCsv(line);
    const ts = parseTime(cells[tsCol]);
    const amps = Number(cells[ampsCol]);
    if (ts === null || cells[ampsCol] === undefined || cells[ampsCol] === '' || !Number.isFinite(amps) || amps < 0) {
      skipped['bad-value']++;
      continue;
    }
    samples.push({ ts, amps });
  }
  return { format: 'csv', samples, skipped };
}

function parseTime(cell: string | undefined): number | null {
  if (cell === undefined || cell === '') return null;
  const n = Number(cell);
  if (Number.isFinite(n)) return n;
  const d = Date.parse(cell);
  return Number.isFinite(d) ? d : null;
}

function parseLines(lines: string[], channel: number): ParsedTrace {
  const skipped = emptySkips();
  const samples: AmpsSample[] = [];
  // Serial lines carry the device uptime, which restarts at every boot: chain the boots.
  let bootOffset = 0;
  let lastUptime = -1;
  let lastSerialTs = 0;
  const take = (ts: number, irms: readonly number[]) => {
    const amps = irms[channel];
    if (amps === undefined) skipped['no-channel']++;
    else samples.push({ ts, amps });
  };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const printed = PRINT_LINE.exec(line);
    if (printed) {
      const ts = Date.parse(printed[1] as string);
      const irms: number[] = [];
      for (const m of (printed[2] as string).matchAll(PRINT_CHANNEL)) irms[Number(m[1])] = Number(m[2]);
      if (!Number.isFinite(ts)) skipped['bad-value']++;
      else take(ts, irms);
      continue;
    }
    const brace = line.indexOf('{');
    if (brace < 0) {
      skipped['not-a-reading']++;
      continue;
    }
    const json = line.slice(brace);
    const serial = parseSerialLine(json);
    if (serial.ok) {
      if (serial.message.type !== 'rms') {
        skipped['not-a-reading']++;
        continue;
      }
      const { uptimeMs, irms } = serial.message;
      if (uptimeMs <= lastUptime) bootOffset = lastSerialTs + 1; // a reboot: continue after the last reading
      lastUptime = uptimeMs;
      lastSerialTs = bootOffset + uptimeMs;
      take(lastSerialTs, irms);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      skipped.invalid++;
      continue;
    }
    const current = CurrentPayload.safeParse(value);
    if (current.success) take(current.data.ts, current.data.irms);
    else skipped[looksLikeReading(value) ? 'invalid' : 'not-a-reading']++;
  }
  return { format: 'lines', samples, skipped };
}

/** A broken reading (counted as invalid) rather than another message, e.g. a status line in an MQTT dump. */
function looksLikeReading(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return true;
  return 'irms' in value || (value as { type?: unknown }).type === 'rms';
}
