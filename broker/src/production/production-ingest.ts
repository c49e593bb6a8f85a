/**
 * What the store derives for production figures as it writes (docs/oee.md): cycle and
 * button quality rows from events, ampere-seconds per quarter hour from readings and states.
 * The hub hands these to its Store; each runs inside the batch's transaction.
 */
import { DAY_MS, type Config, type Now } from '@mieruka/protocol';
import type { RowObserver } from '../store/rows.js';
import { EnergyQuarters, type EnergyMachines } from './energy-quarters.js';
import { ProductionEventRows } from './production-event-ingest.js';

/** The energy rule's view of the config: machines of the hub's site, by node id. */
export function energyMachinesOf(config: () => Readonly<Config>): EnergyMachines {
  return (site, node) => {
    const c = config();
    if (site !== c.site || !Object.hasOwn(c.machines, node)) return null;
    const m = c.machines[node]!;
    return { channel: m.channel, offlineAfterS: m.offlineAfterS };
  };
}

export function productionRowObservers(options: { config: () => Readonly<Config>; now: Now }): RowObserver[] {
  return [
    new ProductionEventRows(),
    new EnergyQuarters({
      machines: energyMachinesOf(options.config),
      horizon: () => {
        const days = options.config().hub.retention.readingsDays;
        return days > 0 ? options.now() - days * DAY_MS : null;
      },
    }),
  ];
}
