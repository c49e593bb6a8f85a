/**
 * Builds a PatliteChannel from one tower of the config (the `alerts` section lists towers;
 * its schema lives in protocol/src/config-schema.ts — these are the fields it needs).
 */
import type { Logger } from 'pino';
import { MierukaError } from '@mieruka/protocol';
import type { ChannelStatus } from '../channel.js';
import type { BackoffOptions } from './backoff.js';
import { PatliteChannel } from './patlite-channel.js';
import type { PnsModel } from './pns-frame.js';
import { PnsTowerDriver } from './pns-tower-driver.js';
import { RelayTowerDriver, type CommandPublisher } from './relay-tower-driver.js';
import type { SeverityPatterns } from './severity-patterns.js';
import type { La6Command } from './tower-signal.js';

export type PatliteTowerConfig = {
  /** Unique per hub; the channel is named `patlite:<name>`. */
  name: string;
  type: 'pns' | 'relay';
  /** pns: the tower's address, port (default 10000), model, per-command timeout (default 3000 ms). */
  host?: string;
  port?: number;
  model?: PnsModel;
  la6Command?: La6Command;
  timeoutMs?: number;
  /** relay: the edge node that drives the relays (site defaults to the hub's site). */
  site?: string;
  node?: string;
  patterns?: SeverityPatterns;
  holdS?: number;
  sources?: string[];
  probeIntervalS?: number;
};

export type PatliteChannelDeps = {
  /** The hub's site (relay towers). */
  site: string;
  logger: Logger;
  /** Needed for relay towers: publishes cmd/patlite as the hub. */
  publish?: CommandPublisher;
  /** Needed for relay towers: the node's last known online state. */
  isOnline?: (site: string, node: string) => boolean | undefined;
  retry?: BackoffOptions;
  onStatusChange?: (name: string, status: ChannelStatus) => void;
  now?: () => number;
};

export function createPatliteChannel(tower: PatliteTowerConfig, deps: PatliteChannelDeps): PatliteChannel {
  const name = `patlite:${tower.name}`;
  let driver;
  if (tower.type === 'pns') {
    if (!tower.host || !tower.model) throw new MierukaError('CONFIG_INVALID', `${name}: a PNS tower needs host and model (la6 or nh)`);
    driver = new PnsTowerDriver({ host: tower.host, port: tower.port, model: tower.model, timeoutMs: tower.timeoutMs, la6Command: tower.la6Command });
  } else {
    if (!tower.node) throw new MierukaError('CONFIG_INVALID', `${name}: a relay tower needs the node of the edge agent that drives it`);
    if (!deps.publish) throw new MierukaError('CONFIG_INVALID', `${name}: relay towers need the hub's MQTT broker`);
    const site = tower.site ?? deps.site;
    const node = tower.node;
    const isOnline = deps.isOnline;
    driver = new RelayTowerDriver({ site, node, publish: deps.publish, ...(deps.now ? { now: deps.now } : {}), ...(isOnline ? { isOnline: () => isOnline(site, node) } : {}) });
  }
  return new PatliteChannel({
    name,
    driver,
    patterns: tower.patterns,
    holdS: tower.holdS,
    sources: tower.sources,
    probeIntervalS: tower.probeIntervalS,
    retry: deps.retry,
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.onStatusChange ? { onStatusChange: (s: ChannelStatus) => deps.onStatusChange?.(name, s) } : {}),
  });
}
