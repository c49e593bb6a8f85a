/**
 * The demo's simulated machines (firmware-bridge CYCLING_MACHINE_PROFILE: jobs made of load
 * peaks, a standby draw when off) and their config, so the demo shows cycles, OEE figures and
 * sensor faults. Simulated time runs `timeScale` times faster than the readings' clock, so the
 * cycle detection settings are in the agent's (real) seconds.
 *
 * One ideal cycle time (45 s) serves the 30-day history, which is in real time (40–56 s cycles:
 * Performance ≈ 75 %, history-production.ts), and the live simulator: its jobs, gaps and off
 * times are compressed by `timeScale` so the dashboard moves, but its cycles keep a real
 * machine's pace (demoMachineProfile), so today's Performance reads like the history's instead
 * of timeScale× too high.
 */
import { CYCLING_MACHINE_PROFILE, type MachineProfile } from '@mieruka/firmware-bridge';
import { MachineConfig, type Config } from '@mieruka/protocol';
import { HISTORY_READING_GAP_S } from './history-production.js';

/** Seconds; see above for why this is real time and not divided by the time scale. */
export const DEMO_IDEAL_CYCLE_S = 45;

/**
 * The live simulator's machine: the cycling profile with cycles of 40–56 s at the peak and 3–9 s
 * between in real time (× timeScale in simulated seconds), and jobs of 2–6 such cycles.
 */
export function demoMachineProfile(timeScale: number): Partial<MachineProfile> {
  const cycles = CYCLING_MACHINE_PROFILE.cycles!;
  return {
    ...CYCLING_MACHINE_PROFILE,
    jobS: [100 * timeScale, 330 * timeScale],
    cycles: { ...cycles, cycleS: [40 * timeScale, 56 * timeScale], gapS: [3 * timeScale, 9 * timeScale] },
  };
}

/** Machine config of a simulated machine (config file entries of the same id win). */
export function demoMachineConfig(): MachineConfig {
  return MachineConfig.parse({
    offBelowA: 0.3,
    runningAboveA: 1.8,
    minDwellS: 2,
    // The history's readings are up to a minute apart (history-production.ts); energy counts
    // a reading until the next one only up to offlineAfterS. Live readings come every second.
    offlineAfterS: HISTORY_READING_GAP_S,
    // Base 3–3.6 A (± 15 % load) below, peaks at 2–2.4 × base above.
    // minS 2 keeps the start-up inrush (one reading) out.
    cycles: { aboveA: 4.6, minS: 2, minGapS: 1, idealCycleS: DEMO_IDEAL_CYCLE_S },
    // The profile's standby draw when off: a clamp at the floor is a sensor fault.
    sensor: { offLevelA: 0.12 },
  });
}

/** The config with the demo machines added under machines (the hub reads cycles and names there). */
export function withDemoMachines(config: Readonly<Config>, ids: readonly string[]): Readonly<Config> {
  const machines: Record<string, MachineConfig> = { ...config.machines };
  for (const id of ids) machines[id] ??= demoMachineConfig();
  return { ...config, machines };
}
