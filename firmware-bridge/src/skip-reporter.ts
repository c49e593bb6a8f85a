/**
 * Skipped serial lines are counted by the decoder; this makes them visible in the log without
 * flooding it. An ESP32 prints a boot banner (about ten lines) at every reset before its
 * `hello`, so lines skipped before the first message after the port opened stay at debug,
 * unless there are many: a wrong baud rate or a device that is not running the Mieruka
 * firmware never sends a valid line. Otherwise a warning at most once per interval, with what
 * was skipped since the last one.
 */
import type { Logger } from 'pino';
import { systemNow, type Now } from '@mieruka/protocol';

/** More skipped lines than a boot banner before the first message: something is wrong. */
export const BANNER_LINES_TOLERATED = 30;

export type SkipReporterOptions = { logger: Logger; now?: Now; intervalMs?: number };

export class SkipReporter {
  private readonly logger: Logger;
  private readonly now: Now;
  private readonly intervalMs: number;
  private sinceReport: Record<string, number> = {};
  private lastReportAt: number | null = null;
  private messageSinceOpen = false;
  private skippedSinceOpen = 0;

  constructor(options: SkipReporterOptions) {
    this.logger = options.logger;
    this.now = options.now ?? systemNow;
    this.intervalMs = options.intervalMs ?? 60_000;
  }

  /** The port (re)opened: the device may print its boot banner again. */
  opened(): void {
    this.messageSinceOpen = false;
    this.skippedSinceOpen = 0;
  }

  /** A valid message arrived. */
  delivered(): void {
    this.messageSinceOpen = true;
  }

  skipped(reason: string, detail: string): void {
    this.sinceReport[reason] = (this.sinceReport[reason] ?? 0) + 1;
    this.skippedSinceOpen++;
    const bootBanner = !this.messageSinceOpen && this.skippedSinceOpen <= BANNER_LINES_TOLERATED;
    if (bootBanner || reason === 'empty') {
      this.logger.debug({ reason, detail }, 'serial line skipped');
      return;
    }
    const now = this.now();
    if (this.lastReportAt !== null && now - this.lastReportAt < this.intervalMs) return;
    this.lastReportAt = now;
    const hint = this.messageSinceOpen ? 'noise on the line or a firmware speaking another version?' : 'no valid line yet: wrong baud rate, or not the Mieruka firmware?';
    this.logger.warn({ reason, detail: detail.slice(0, 200), skipped: this.sinceReport }, `serial lines skipped (${hint}); counted, valid lines go on`);
    this.sinceReport = {};
  }
}
