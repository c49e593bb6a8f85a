/**
 * Machine state from RMS current: off below `offBelowA`, running above `runningAboveA`, idle in
 * between. Two filters keep current wobbling around a threshold from producing a storm of
 * state changes:
 *
 * 1. Hysteresis (a Schmitt trigger): to cross a threshold upwards the current must reach
 *    threshold + hysteresisA, downwards fall below threshold − hysteresisA. Readings inside
 *    the band keep the level they had.
 * 2. Dwell: a new level is only committed once it has held for `minDwellS`, dated from its
 *    first reading.
 *
 * Pure: time comes in with every reading.
 */
import type { MachineConfig, MachineState } from '@mieruka/protocol';

export type MachineStateConfig = Pick<MachineConfig, 'offBelowA' | 'runningAboveA' | 'minDwellS'> & {
  /** Dead band around each threshold in amperes (default 0: plain thresholds). */
  hysteresisA?: number;
};
export type KnownMachineState = Exclude<MachineState, 'unknown'>;

export interface MachineStateUpdate {
  state: MachineState;
  /** When the current state began (the first reading of it), epoch ms; null while unknown. */
  since: number | null;
  /** True when this reading committed a new state. */
  changed: boolean;
  /** The state before this change (only when changed). */
  previous?: MachineState;
  /** For a change: when the previous state began. */
  previousSince?: number | null;
}

function checked(config: MachineStateConfig): Required<MachineStateConfig> {
  const hysteresisA = config.hysteresisA ?? 0;
  if (!(config.runningAboveA > config.offBelowA)) throw new RangeError('runningAboveA must be greater than offBelowA');
  if (!(config.minDwellS >= 0)) throw new RangeError('minDwellS must be ≥ 0');
  if (!(hysteresisA >= 0)) throw new RangeError('hysteresisA must be ≥ 0');
  if (!(config.runningAboveA - hysteresisA > config.offBelowA + hysteresisA)) {
    throw new RangeError('hysteresisA is too wide: the idle band between offBelowA and runningAboveA would vanish');
  }
  return { offBelowA: config.offBelowA, runningAboveA: config.runningAboveA, minDwellS: config.minDwellS, hysteresisA };
}

export class MachineStateTracker {
  private config: Required<MachineStateConfig>;
  private state: MachineState = 'unknown';
  private since: number | null = null;
  /** Output of the hysteresis stage: the level the readings point to, before the dwell. */
  private level: KnownMachineState | null = null;
  private candidate: KnownMachineState | null = null;
  private candidateSince = 0;

  constructor(config: MachineStateConfig) {
    this.config = checked(config);
  }

  get thresholds(): Readonly<Required<MachineStateConfig>> {
    return this.config;
  }

  /**
   * New thresholds while running (saved by an admin on the hub). The committed state stays;
   * the next readings are judged by the new thresholds (and still dwell before a change).
   */
  setThresholds(config: MachineStateConfig): void {
    this.config = checked(config);
  }

  /** Which state a single reading points to with plain thresholds (no hysteresis, no dwell). */
  classify(amps: number): KnownMachineState {
    if (amps < this.config.offBelowA) return 'off';
    if (amps > this.config.runningAboveA) return 'running';
    return 'idle';
  }

  /**
   * Which level a reading points to coming from `from` (hysteresis, no dwell). With
   * hysteresisA = 0 this equals classify(): the boundaries keep the same inclusiveness.
   */
  classifyFrom(from: KnownMachineState | null, amps: number): KnownMachineState {
    const { offBelowA: off, runningAboveA: run, hysteresisA: h } = this.config;
    switch (from) {
      case null:
        return this.classify(amps);
      case 'off':
        if (amps > run + h) return 'running';
        return amps >= off + h ? 'idle' : 'off';
      case 'idle':
        if (amps > run + h) return 'running';
        return amps < off - h ? 'off' : 'idle';
      case 'running':
        if (amps < off - h) return 'off';
        return amps <= run - h ? 'idle' : 'running';
    }
  }

  /**
   * Feeds one reading. The first reading (or the first after setUnknown) sets the state at
   * once: there is nothing to debounce against. Later changes must persist for minDwellS.
   * Non-finite or negative readings are ignored.
   */
  update(ts: number, amps: number): MachineStateUpdate {
    if (!Number.isFinite(amps) || amps < 0 || !Number.isFinite(ts)) return this.unchanged();
    if (this.state === 'unknown') {
      const first = this.classify(amps);
      this.level = first;
      return this.commit(first, ts);
    }
    const next = this.classifyFrom(this.level, amps);
    if (next !== this.level || ts < this.candidateSince) {
      // The level moved (or the clock stepped back): the dwell starts again from here.
      this.level = next;
      this.candidateSince = ts;
    }
    if (this.level === this.state) {
      this.candidate = null;
      return this.unchanged();
    }
    this.candidate = this.level;
    if (ts - this.candidateSince >= this.config.minDwellS * 1000) return this.commit(this.level, this.candidateSince);
    return this.unchanged();
  }

  /**
   * Forgets the level (the sensor went silent): the state becomes unknown, `since` the given
   * time (e.g. the last reading), and the next reading sets the state at once.
   */
  setUnknown(since: number | null): void {
    this.state = 'unknown';
    this.since = since;
    this.level = null;
    this.candidate = null;
  }

  /** The committed state, without feeding a reading. */
  get current(): { state: MachineState; since: number | null } {
    return { state: this.state, since: this.since };
  }

  /** A state waiting out its dwell, if any. */
  get pending(): { state: KnownMachineState; since: number } | null {
    return this.candidate ? { state: this.candidate, since: this.candidateSince } : null;
  }

  private commit(state: KnownMachineState, since: number): MachineStateUpdate {
    const previous = this.state;
    const previousSince = this.since;
    this.state = state;
    this.since = since;
    this.candidate = null;
    this.candidateSince = since;
    return { state, since, changed: true, previous, previousSince };
  }

  private unchanged(): MachineStateUpdate {
    return { state: this.state, since: this.since, changed: false };
  }
}
