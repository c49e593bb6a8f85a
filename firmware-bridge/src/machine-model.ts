/**
 * A simulated machine as seen by a CT clamp: it cycles off → idle (warm-up) → jobs separated
 * by idle gaps → idle (cool-down) → off, with the current levels of a small CNC mill. With
 * `cycles` set, a job is a series of machining cycles: load peaks above the job's running
 * base, separated by short stretches at the base (docs/machine-monitor.md#cycles).
 * Deterministic for a given seed, so tests and fixtures can rely on exact values.
 */
import { Prng } from './prng.js';

export type SimulatedPhase = 'off' | 'idle' | 'running';

/** Current levels in amperes RMS, durations in (simulated) seconds; ranges are [min, max]. */
export interface MachineProfile {
  /** Mean reading of an idle CT clamp on a switched-off machine (ADC / pick-up noise). */
  offA: number;
  /** σ of the off reading's noise (default offA / 2: pick-up noise; a standby draw is steadier). */
  offNoiseA?: number;
  /** Base idle current (controller, fans, coolant pump), drawn once per idle phase. */
  idleA: [number, number];
  /** Amplitude of the slow idle ripple (fan / pump cycling). */
  idleRippleA: number;
  /** Base running current of a job (spindle + axes), drawn once per job. */
  runningA: [number, number];
  /** Relative spindle-load variation while cutting (0.15 = ±15 %). */
  loadVariation: number;
  /** Start-up inrush peak as a multiple of the running base. */
  inrushFactor: number;
  /** Time constant of the inrush decay. */
  inrushTauS: number;
  offS: [number, number];
  warmupS: [number, number];
  jobsPerCycle: [number, number];
  jobS: [number, number];
  gapS: [number, number];
  cooldownS: [number, number];
  /** Machining cycles within a job (load peaks); null = a flat job load (the default). */
  cycles: CycleProfile | null;
}

/** Load peaks of a job: the current during a peak is the job's base × peakFactor. */
export interface CycleProfile {
  peakFactor: [number, number];
  cycleS: [number, number];
  /** At the running base between two peaks (part change, rapid moves). */
  gapS: [number, number];
}

/** A small PCB mill / CNC router, like the LPKF ProtoMat the first sensor was clamped to. */
export const DEFAULT_MACHINE_PROFILE: Readonly<MachineProfile> = Object.freeze<MachineProfile>({
  offA: 0.02,
  idleA: [0.6, 1.2],
  idleRippleA: 0.08,
  runningA: [3, 8],
  loadVariation: 0.15,
  inrushFactor: 2.5,
  inrushTauS: 1.5,
  offS: [300, 900],
  warmupS: [60, 240],
  jobsPerCycle: [1, 4],
  jobS: [120, 900],
  gapS: [30, 180],
  cooldownS: [60, 300],
  cycles: null,
});

/**
 * A machine that works series of parts: load peaks (machining cycles) of 60–120 s at about
 * twice the running base, 40–80 s apart, and a standby draw of 0.12 A when switched off (so a
 * clamp at the ADC floor reads as a fault, not as off). The demo's machines use it.
 */
export const CYCLING_MACHINE_PROFILE: Readonly<Partial<MachineProfile>> = Object.freeze({
  offA: 0.12,
  offNoiseA: 0.01,
  runningA: [3, 3.6],
  cycles: { peakFactor: [2, 2.4], cycleS: [60, 120], gapS: [40, 80] },
} satisfies Partial<MachineProfile>);

export function machineProfile(overrides: Partial<MachineProfile> = {}): MachineProfile {
  const p = { ...DEFAULT_MACHINE_PROFILE, ...overrides };
  for (const key of ['offS', 'warmupS', 'jobsPerCycle', 'jobS', 'gapS', 'cooldownS', 'idleA', 'runningA'] as const) {
    const [a, b] = p[key];
    if (!(Number.isFinite(a) && Number.isFinite(b) && a >= 0 && b >= a)) throw new RangeError(`machine profile ${key} must be [min, max] with 0 ≤ min ≤ max`);
  }
  if (p.cycles) {
    for (const key of ['peakFactor', 'cycleS', 'gapS'] as const) {
      const [a, b] = p.cycles[key];
      if (!(Number.isFinite(a) && Number.isFinite(b) && a > 0 && b >= a)) throw new RangeError(`machine profile cycles.${key} must be [min, max] with 0 < min ≤ max`);
    }
  }
  if (p.jobsPerCycle[1] < 1) throw new RangeError('machine profile jobsPerCycle must allow at least one job');
  return p;
}

type Phase = { kind: SimulatedPhase; durationS: number; levelA: number };

/** Generates the current of one machine, sample by sample. */
export class MachineModel {
  private readonly rng: Prng;
  private readonly profile: MachineProfile;
  private queue: Phase[] = [];
  private phase: Phase;
  private tInPhaseS = 0;
  /** Slowly wandering spindle load, an AR(1) process around 0. */
  private load = 0;
  private ripplePhase: number;
  /** Within a job with cycles: at a peak or between, how long that lasts still, and the peak's factor. */
  private cycle: { peak: boolean; leftS: number; factor: number } | null = null;

  constructor(seed: number, profile: Partial<MachineProfile> = {}) {
    this.rng = new Prng(seed);
    this.profile = machineProfile(profile);
    this.ripplePhase = this.rng.range(0, 2 * Math.PI);
    // The first off phase is shortened so a fresh simulator shows activity soon.
    const first = this.nextPhase();
    this.phase = { ...first, durationS: first.durationS * this.rng.range(0.1, 0.5) };
  }

  get currentPhase(): SimulatedPhase {
    return this.phase.kind;
  }

  /**
   * Advances simulated time by `dtS` and returns the RMS current over that window, rounded to
   * the milliampere the firmware reports.
   */
  advance(dtS: number): number {
    this.tInPhaseS += dtS;
    while (this.tInPhaseS >= this.phase.durationS) {
      this.tInPhaseS -= this.phase.durationS;
      this.phase = this.nextPhase();
      this.load = 0;
      this.cycle = null;
    }
    return Math.round(Math.max(0, this.sample(dtS)) * 1000) / 1000;
  }

  private sample(dtS: number): number {
    const p = this.profile;
    const { kind, levelA } = this.phase;
    const t = this.tInPhaseS;
    if (kind === 'off') return Math.abs(p.offA + (p.offNoiseA ?? p.offA / 2) * this.rng.gaussian());
    if (kind === 'idle') {
      const ripple = p.idleRippleA * Math.sin(this.ripplePhase + (2 * Math.PI * t) / 20);
      return levelA + ripple + 0.01 * levelA * this.rng.gaussian();
    }
    // Running: spindle load wanders (AR(1)), plus the decaying start-up inrush averaged over
    // the sample window, so it still shows when simulated time runs faster than real time.
    const keep = Math.exp(-dtS / 30);
    this.load = keep * this.load + Math.sqrt(1 - keep * keep) * this.rng.gaussian();
    const a = Math.max(0, t - dtS);
    const tau = p.inrushTauS;
    const inrushMean = t > a ? (tau * (Math.exp(-a / tau) - Math.exp(-t / tau))) / (t - a) : 1;
    const inrush = (p.inrushFactor - 1) * levelA * inrushMean;
    const base = levelA * this.cycleFactor(dtS);
    return base * (1 + p.loadVariation * clamp(this.load, -2, 2) / 2) + inrush + 0.02 * levelA * this.rng.gaussian();
  }

  /** 1 at the running base, the peak's factor during a machining cycle (profile.cycles only). */
  private cycleFactor(dtS: number): number {
    const c = this.profile.cycles;
    if (!c) return 1;
    // A job starts at its base (the part is clamped and the program starts).
    this.cycle ??= { peak: false, leftS: this.rng.range(c.gapS[0], c.gapS[1]), factor: 1 };
    this.cycle.leftS -= dtS;
    while (this.cycle.leftS <= 0) {
      const peak: boolean = !this.cycle.peak;
      const [lo, hi]: [number, number] = peak ? c.cycleS : c.gapS;
      this.cycle = { peak, leftS: this.cycle.leftS + this.rng.range(lo, hi), factor: peak ? this.rng.range(c.peakFactor[0], c.peakFactor[1]) : 1 };
    }
    return this.cycle.factor;
  }

  private nextPhase(): Phase {
    if (this.queue.length === 0) this.queue = this.planCycle();
    return this.queue.shift() as Phase;
  }

  private planCycle(): Phase[] {
    const p = this.profile;
    const r = this.rng;
    const idleLevel = r.range(p.idleA[0], p.idleA[1]);
    const phases: Phase[] = [
      { kind: 'off', durationS: r.range(p.offS[0], p.offS[1]), levelA: p.offA },
      { kind: 'idle', durationS: r.range(p.warmupS[0], p.warmupS[1]), levelA: idleLevel },
    ];
    const jobs = r.int(Math.max(1, p.jobsPerCycle[0]), p.jobsPerCycle[1]);
    for (let j = 0; j < jobs; j++) {
      if (j > 0) phases.push({ kind: 'idle', durationS: r.range(p.gapS[0], p.gapS[1]), levelA: idleLevel });
      phases.push({ kind: 'running', durationS: r.range(p.jobS[0], p.jobS[1]), levelA: r.range(p.runningA[0], p.runningA[1]) });
    }
    phases.push({ kind: 'idle', durationS: r.range(p.cooldownS[0], p.cooldownS[1]), levelA: idleLevel });
    // A zero-length phase would make advance() spin; give every phase at least a millisecond.
    return phases.map((ph) => ({ ...ph, durationS: Math.max(ph.durationS, 0.001) }));
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

export type TracePoint = { tMs: number; irms: number; phase: SimulatedPhase };

/**
 * The readings a simulator with this seed reports on channel 0: sample i is taken at
 * tMs = (i + 1) · intervalMs of simulated time. Pure; used by tests and fixtures.
 */
export function simulateTrace(options: {
  seed: number;
  durationS: number;
  intervalMs?: number;
  profile?: Partial<MachineProfile>;
}): TracePoint[] {
  const intervalMs = options.intervalMs ?? 1000;
  if (!(intervalMs > 0)) throw new RangeError('intervalMs must be > 0');
  const model = new MachineModel(options.seed, options.profile);
  const n = Math.floor((options.durationS * 1000) / intervalMs);
  const out: TracePoint[] = [];
  for (let i = 0; i < n; i++) {
    const irms = model.advance(intervalMs / 1000);
    out.push({ tMs: (i + 1) * intervalMs, irms, phase: model.currentPhase });
  }
  return out;
}
