/**
 * The demo's simulated machines (firmware-bridge CYCLING_MACHINE_PROFILE: jobs made of load
 * peaks, a standby draw when off) and their config, so the demo shows cycles, OEE figures and
 * sensor faults. Simulated time runs `timeScale` times faster than the readings' clock, so the
 * cycle settings are in the agent's (real) seconds: a 60–120 s simulated cycle lasts 3–6 s at
 * the default 20×.
 */
import { MachineConfig, type Config } from '@mieruka/protocol';

/** Machine config of a simulated machine (config file entries of the same id win). */
export function demoMachineConfig(timeScale: number): MachineConfig {
  return MachineConfig.parse({
    offBelowA: 0.3,
    runningAboveA: 1.8,
    minDwellS: 2,
    // Base 3–3.6 A (± 15 % load) below, peaks at 2–2.4 × base above.
    // minS 2 keeps the start-up inrush (one reading) out.
    cycles: { aboveA: 4.6, minS: 2, minGapS: 1, idealCycleS: round1(60 / timeScale) },
    // The profile's standby draw when off: a clamp at the floor is a sensor fault.
    sensor: { offLevelA: 0.12 },
  });
}

/** The config with the demo machines added under machines (the hub reads cycles and names there). */
export function withDemoMachines(config: Readonly<Config>, ids: readonly string[], timeScale: number): Readonly<Config> {
  const machines: Record<string, MachineConfig> = { ...config.machines };
  for (const id of ids) machines[id] ??= demoMachineConfig(timeScale);
  return { ...config, machines };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
