/** A node's display name in alarm texts: its `name` from the config (machines, then stations), else its id. */
import type { Config } from '@mieruka/protocol';

export function nodeNamer(config: Pick<Config, 'machines' | 'stations'>): (site: string, node: string) => string {
  return (_site, node) => config.machines[node]?.name ?? config.stations[node]?.name ?? (node === 'hub' ? 'Mieruka hub' : node);
}
