/**
 * One tile of the kiosk's andon board (docs/oee.md#andon): the machine's state now, whether
 * its sensor is at fault, the stop under way inside planned time and today's figures.
 */
import type { AndonTile, DowntimeStop, MachineSummary } from '@mieruka/protocol';
import type { OeeFigures } from './oee.js';

export function andonTile(machine: MachineSummary, sensorFault: boolean, stops: readonly DowntimeStop[], today: OeeFigures): AndonTile {
  const current = stops.find((s) => s.end === null) ?? null;
  return {
    site: machine.site,
    node: machine.node,
    name: machine.name,
    state: machine.state,
    since: machine.since,
    online: machine.online,
    sensorFault,
    stop: current ? { start: current.start, durationS: current.durationS, reason: current.reason?.code ?? null, needsReason: current.needsReason } : null,
    today: { availability: today.availability, performance: today.performance, quality: today.quality, oee: today.oee, missing: today.missing, cycles: today.cycles },
  };
}

/**
 * Whether the latest sensor event says the clamp is at fault. A machine whose agent says
 * nothing about its sensor (no events) is not at fault.
 */
export function sensorFaultFrom(latestSensorEvent: string | null): boolean {
  return latestSensorEvent === 'sensor_fault';
}
