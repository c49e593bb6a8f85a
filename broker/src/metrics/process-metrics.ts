/**
 * prom-client's default metrics (CPU, memory, event loop lag, GC, handles), under their
 * standard names (process_*, nodejs_*) so stock Node.js dashboards work. They describe the
 * process, not a hub, and prom-client cannot take their observers back: one registry per
 * process, made on the first scrape, shared by every hub in it (tests start many).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | null = null;

export function processRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
