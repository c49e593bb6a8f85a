/**
 * The demo's simulated machines (firmware-bridge CYCLING_MACHINE_PROFILE: jobs made of load
 * peaks, a standby draw when off) and their config, so the demo shows cycles, OEE figures and
 * sensor faults. Simulated time runs `timeScale` times faster than the readings' clock, so the
 * cycle detection settings are in the agent's (real) seconds: a 60–120 s simulated cycle lasts
 * 3–6 s at the default 20×.
 *
 * The ideal cycle time is set for the 30-day history, which is in real time (45 s against its
 * 40–56 s cycles: Performance ≈ 75 %, history-production.ts), so the month, the week and the
 * Pareto read like a factory's. The live simulator's cycles are compressed by `timeScale`: it
 * completes about timeScale× more cycles per hour than a real machine would, so the hours the
 * demo runs live show a Performance far above 100 % (the bug would be to hide that: the hub
 * never caps it). A learned ideal (idealCycleS unset) would not help: once the live cycles are
 * a tenth of the last 30 days' cycles, the 10th percentile drops to the live 3–6 s and every
 * day of history falls to a Performance of about 5 %. With timeScale 1 both agree.
 */
import { MachineConfig, type Config } from '@mieruka/protocol';
import { HISTORY_READING_GAP_S } from './history-production.js';

/** Seconds; see above for why this is real time and not divided by the time scale. */
export const DEMO_IDEAL_CYCLE_S = 45;

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
