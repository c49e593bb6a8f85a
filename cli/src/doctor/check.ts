/**
 * What every doctor check is: an id, a title, and a run that says ok / warn / fail / skip with
 * a message and, on warn or fail, what to do. Every text comes in Japanese and English; the
 * report picks one language at the end (format-report.ts).
 */
import type { Camera, CameraConfig, GpioPort } from '@mieruka/edge';
import type { Config } from '@mieruka/protocol';
import type { RunCommand } from './run-command.js';

export const CHECK_STATUSES = ['ok', 'warn', 'fail', 'skip'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];
export type Lang = 'ja' | 'en';

/** A text in both languages. */
export type Text = { en: string; ja: string };
export const text = (en: string, ja: string): Text => ({ en, ja });

export type CheckOutcome = { status: CheckStatus; message: Text; fix?: Text };

/** How the config was found: the loader's own error when it could not be used. */
export type ConfigSource =
  | { ok: true; config: Readonly<Config>; file: string | undefined }
  | { ok: false; file: string | undefined; code: string; error: string };

/**
 * What the checks look at. The host-OS and hardware edges (commands, GPIO, the camera, PATH)
 * are in here so tests can hand in a fake device; everything else is real.
 */
export type DoctorContext = {
  source: ConfigSource;
  cwd: string;
  env: Record<string, string | undefined>;
  runCommand: RunCommand;
  /** How long the serial check listens for a valid line. */
  serialListenMs: number;
  /** Hardware edges; absent: the real drivers (loaded on use). */
  gpio?: GpioPort;
  createCamera?: (cfg: CameraConfig) => Camera;
};

/** A check whose config could be loaded. */
export type ConfiguredContext = DoctorContext & { config: Readonly<Config>; configFile: string | undefined };

export type Check = {
  id: string;
  title: Text;
  /** Longest the check may take (it fails with "did not finish" past this). */
  timeoutMs(ctx: ConfiguredContext): number;
  run(ctx: ConfiguredContext, signal: AbortSignal): Promise<CheckOutcome>;
};

export const ok = (message: Text): CheckOutcome => ({ status: 'ok', message });
export const skip = (message: Text): CheckOutcome => ({ status: 'skip', message });
export const warn = (message: Text, fix: Text): CheckOutcome => ({ status: 'warn', message, fix });
export const fail = (message: Text, fix: Text): CheckOutcome => ({ status: 'fail', message, fix });

const RANK: Record<CheckStatus, number> = { skip: 0, ok: 1, warn: 2, fail: 3 };

/**
 * One outcome from several parts (each serial port, camera, tower): the worst status, every
 * part's message, and the fixes of the parts that need one.
 */
export function combine(parts: CheckOutcome[]): CheckOutcome {
  if (parts.length === 1 && parts[0]) return parts[0];
  const status = parts.reduce<CheckStatus>((worst, p) => (RANK[p.status] > RANK[worst] ? p.status : worst), 'skip');
  const join = (texts: Text[]): Text => ({ en: texts.map((t) => t.en).join('; '), ja: texts.map((t) => t.ja).join('; ') });
  const fixes = [...new Map(parts.flatMap((p) => (p.fix ? [[p.fix.en, p.fix] as const] : []))).values()];
  return { status, message: join(parts.map((p) => p.message)), ...(fixes.length > 0 ? { fix: join(fixes) } : {}) };
}

/** An error's message without a stack, for a check's message. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
