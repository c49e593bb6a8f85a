/**
 * Speaks when someone arrives at the bench: motion after `quietS` without any, at least
 * `cooldownS` after the last arrival line, inside a work shift, and only while the voice is
 * idle (a skipped line is dropped, never queued). The line is chosen by the station's latest
 * score; without one yet, the `noScore` greeting. Every outcome is counted.
 */
import { LocalTime, shiftAt, type ShiftSpec } from '@mieruka/protocol';
import { chooseBand, type Voice, type VoiceConfig, type VoiceMessage } from './voice.js';

export type MotionVoiceSkip = 'recentMotion' | 'cooldown' | 'outsideShifts' | 'busy' | 'noLine' | 'failed';
export type MotionVoiceOutcome = { spoken: string } | { skipped: MotionVoiceSkip; error?: unknown };
export type MotionVoiceStats = { spoken: number; skipped: Record<MotionVoiceSkip, number> };

export interface MotionVoiceOptions {
  config: VoiceConfig['onMotion'];
  voice: Voice;
  /** The work calendar: lines are spoken only inside one of these. */
  shifts: readonly ShiftSpec[];
  timeZone: string;
  clock: () => number;
  /** The station's latest score (null: none yet). */
  lastScore: () => number | null;
}

export class MotionVoice {
  private readonly opts: MotionVoiceOptions;
  private readonly local: LocalTime;
  /** When the PIR last went quiet; null: no motion seen yet, so the first one is an arrival. */
  private quietSince: number | null = null;
  private active = false;
  private lastLineAt: number | null = null;
  private readonly counts: MotionVoiceStats = { spoken: 0, skipped: { recentMotion: 0, cooldown: 0, outsideShifts: 0, busy: 0, noLine: 0, failed: 0 } };

  constructor(opts: MotionVoiceOptions) {
    this.opts = opts;
    this.local = new LocalTime(opts.timeZone);
  }

  /** A PIR change; resolves (after speaking, if it speaks) to what happened, or null for motion ending. */
  async motion(active: boolean): Promise<MotionVoiceOutcome | null> {
    if (active === this.active) return null;
    this.active = active;
    const now = this.opts.clock();
    if (!active) {
      this.quietSince = now;
      return null;
    }
    const outcome = await this.arrival(now);
    if ('spoken' in outcome) this.counts.spoken++;
    else this.counts.skipped[outcome.skipped]++;
    return outcome;
  }

  stats(): MotionVoiceStats {
    return { spoken: this.counts.spoken, skipped: { ...this.counts.skipped } };
  }

  private async arrival(now: number): Promise<MotionVoiceOutcome> {
    const { config, voice } = this.opts;
    if (this.quietSince !== null && now - this.quietSince < config.quietS * 1000) return { skipped: 'recentMotion' };
    if (this.lastLineAt !== null && now - this.lastLineAt < config.cooldownS * 1000) return { skipped: 'cooldown' };
    if (!shiftAt(this.opts.shifts, this.local, now)) return { skipped: 'outsideShifts' };
    if (voice.busy) return { skipped: 'busy' };
    const message = this.messageFor(this.opts.lastScore());
    if (!message) return { skipped: 'noLine' };
    // The cooldown runs from the attempt: a broken speaker must not be retried at every step.
    this.lastLineAt = now;
    try {
      if (!(await voice.speakIfIdle(message))) return { skipped: 'busy' };
    } catch (error) {
      return { skipped: 'failed', error };
    }
    return { spoken: 'file' in message ? message.file : message.text };
  }

  private messageFor(score: number | null): VoiceMessage | null {
    const { config, voice } = this.opts;
    if (score === null) return voice.messageOf(config.noScore);
    const band = chooseBand(config.bands, score);
    return band ? voice.messageOf(band) : null;
  }
}
