/**
 * Machine state from RMS current: off below `offBelowA`, running above `runningAboveA`, idle in
 * between. A new state is only committed once it has held for `minDwellS`, so current
 * wobbling around a threshold produces no storm of state changes. Pure: time comes in with
 * every reading.
 */
import type { MachineConfig, MachineState } from '@mieruka/protocol';

export type MachineStateConfig = Pick<MachineConfig, 'offBelowA' | 'runningAboveA' | 'minDwellS'>;
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

export class MachineStateTracker {
  private readonly config: MachineStateConfig;
  private state: MachineState = 'unknown';
  private since: number | null = null;
  private candidate: KnownMachineState | null = null;
  private candidateSince = 0;

  constructor(config: MachineStateConfig) {
    if (!(config.runningAboveA > config.offBelowA)) throw new RangeError('runningAboveA must be greater than offBelowA');
    if (!(config.minDwellS >= 0)) throw new RangeError('minDwellS must be ≥ 0');
    this.config = { offBelowA: config.offBelowA, runningAboveA: config.runningAboveA, minDwellS: config.minDwellS };
  }

  /** Which state a single reading points to (no dwell). */
  classify(amps: number): KnownMachineState {
    if (amps < this.config.offBelowA) return 'off';
    if (amps > this.config.runningAboveA) return 'running';
    return 'idle';
  }

  /**
   * Feeds one reading. The first reading sets the state at once (there is nothing to debounce
   * against); later changes must persist for minDwellS. Non-finite or negative readings are
   * ignored.
   */
  update(ts: number, amps: number): MachineStateUpdate {
    if (!Number.isFinite(amps) || amps < 0 || !Number.isFinite(ts)) return this.unchanged();
    const next = this.classify(amps);
    if (this.state === 'unknown') return this.commit(next, ts);
    if (next === this.state) {
      this.candidate = null;
      return this.unchanged();
    }
    // A different candidate (or the clock stepping back) restarts the dwell.
    if (next !== this.candidate || ts < this.candidateSince) {
      this.candidate = next;
      this.candidateSince = ts;
    }
    if (ts - this.candidateSince >= this.config.minDwellS * 1000) return this.commit(next, this.candidateSince);
    return this.unchanged();
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
    return { state, since, changed: true, previous, previousSince };
  }

  private unchanged(): MachineStateUpdate {
    return { state: this.state, since: this.since, changed: false };
  }
}
