/**
 * Publishes Home Assistant discovery configs for every known machine and bench on the hub's
 * own broker (retained), and each machine's utilization today on a retained hub topic, every
 * minute and at each state change. What it published is recorded in the data dir, so a node
 * that is gone, a changed prefix or discovery switched off is cleared (empty retained
 * message) at the next start — and at once when the hub removes a node (forget).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { hubTopic, localTimeFor, type Config, type NodeSnapshot, type Now, type UtilizationPayload } from '@mieruka/protocol';
import { writeFileAtomicSync } from '@mieruka/protocol/node';
import type { LiveState } from '../../ingest/live-state.js';
import type { HubPublish } from '../../mqtt/mqtt-broker.js';
import type { ReportsService } from '../../reports/reports-service.js';
import { discoveryConfigs, type DiscoveryNode } from './discovery-configs.js';

export type HomeAssistantDiscoveryOptions = {
  config: Readonly<Config>;
  live: LiveState;
  reports: Pick<ReportsService, 'timeline'>;
  publish: (message: HubPublish) => Promise<void>;
  /** Waits until what ingest took is in the store (the hub's flush), so a new state counts. */
  stored: () => Promise<void>;
  /** JSON file listing every topic published retained (`<dataDir>/home-assistant.json`). */
  recordFile: string;
  now: Now;
  logger: Logger;
  /** How often utilization today is refreshed (default one minute). */
  utilizationIntervalMs?: number;
};

const key = (site: string, node: string) => `${site}/${node}`;

export class HomeAssistantDiscovery {
  private readonly options: HomeAssistantDiscoveryOptions;
  private readonly logger: Logger;
  /** Retained topic → the payload last published there (what the record file lists). */
  private readonly published = new Map<string, string>();
  /** Machines by key, with the state last seen (a change refreshes utilization). */
  private readonly machineStates = new Map<string, string | null>();
  /** Removed nodes, so a utilization refresh still under way does not publish for them again. */
  private readonly removed = new Set<string>();
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pending = new Set<Promise<void>>();
  /** The publish queued last (sends go out one after another). */
  private last: Promise<void> = Promise.resolve();

  constructor(options: HomeAssistantDiscoveryOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'home-assistant' });
  }

  get enabled(): boolean {
    return this.options.config.hub.homeAssistant.discovery;
  }

  /** Topics holding a retained message of ours right now (tests, docs). */
  get topics(): string[] {
    return [...this.published.keys()].sort();
  }

  async start(): Promise<void> {
    const recorded = this.readRecord();
    if (this.enabled) {
      for (const snapshot of this.knownNodes()) this.offer(snapshot);
      this.refreshAllUtilization();
      this.unsubscribe = this.options.live.subscribe((update) => {
        if (update.type === 'node') this.offer(update.node);
      });
      const every = this.options.utilizationIntervalMs ?? 60_000;
      this.timer = setInterval(() => this.refreshAllUtilization(), every);
      this.timer.unref();
    }
    await this.settled();
    // Whatever an earlier run published and this one does not: a removed node, another prefix, discovery off.
    const stale = recorded.filter((topic) => !this.published.has(topic));
    for (const topic of stale) this.send(topic, '');
    await this.settled();
    // Off and never on: no file to leave behind.
    if (this.enabled || recorded.length > 0) this.writeRecord();
    this.logger.info({ enabled: this.enabled, prefix: this.options.config.hub.homeAssistant.prefix, topics: this.published.size, cleared: stale.length }, 'home assistant discovery');
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.settled();
  }

  /** A node was removed: its configs and utilization are cleared now (published again only if it reports again). */
  async forget(site: string, node: string): Promise<void> {
    this.removed.add(key(site, node));
    this.machineStates.delete(key(site, node));
    const mine = [...this.published.keys()].filter((topic) => this.ownedBy(topic, site, node));
    if (mine.length === 0) return;
    for (const topic of mine) this.send(topic, '');
    await this.settled();
    this.writeRecord();
  }

  /** Nodes that report, plus machines and stations the config names (for the config's site). */
  private knownNodes(): NodeSnapshot[] {
    const { config, live } = this.options;
    const out = new Map<string, NodeSnapshot>(live.list().map((n) => [key(n.site, n.node), n]));
    for (const node of [...Object.keys(config.machines), ...Object.keys(config.stations)]) {
      if (!out.has(key(config.site, node))) out.set(key(config.site, node), live.get(config.site, node) ?? { site: config.site, node, online: null, agent: null, version: null, lastSeen: null, state: null, current: null, clutter: null, motion: null });
    }
    return [...out.values()];
  }

  private roles(n: NodeSnapshot): DiscoveryNode[] {
    const { config } = this.options;
    const here = n.site === config.site;
    const machine = here ? config.machines[n.node] : undefined;
    const station = here ? config.stations[n.node] : undefined;
    const out: DiscoveryNode[] = [];
    const base = { site: n.site, node: n.node, version: n.version };
    if (machine || n.state || n.current) out.push({ ...base, role: 'machine', name: machine?.name ?? null, channel: machine?.channel ?? 0 });
    if (station || n.clutter) out.push({ ...base, role: 'bench', name: station?.name ?? null, channel: 0 });
    return out;
  }

  /** Publishes what changed for this node: its configs, and utilization when its state moved. */
  private offer(n: NodeSnapshot): void {
    const k = key(n.site, n.node);
    // A removed node that reports again is a new node.
    this.removed.delete(k);
    const { prefix } = this.options.config.hub.homeAssistant;
    let changed = false;
    for (const role of this.roles(n)) {
      for (const { topic, config } of discoveryConfigs(prefix, role)) {
        const payload = JSON.stringify(config);
        if (this.published.get(topic) === payload) continue;
        this.send(topic, payload);
        changed = true;
      }
      if (role.role === 'machine') {
        const state = n.state?.state ?? null;
        if (!this.machineStates.has(k) || this.machineStates.get(k) !== state) {
          this.machineStates.set(k, state);
          if (this.unsubscribe) this.refreshUtilization(n.site, n.node);
        }
      }
    }
    if (changed && this.unsubscribe) void this.settled().then(() => this.writeRecord());
  }

  private refreshAllUtilization(): void {
    for (const k of this.machineStates.keys()) {
      const [site, node] = k.split('/') as [string, string];
      this.refreshUtilization(site, node);
    }
  }

  private refreshUtilization(site: string, node: string): void {
    const p = this.options
      .stored()
      .then(async () => {
        const removed = () => this.removed.has(key(site, node));
        const payload = removed() ? null : await this.utilization(site, node);
        // Asked again after the store answered: a node removed meanwhile stays cleared.
        if (payload && !removed()) this.send(hubTopic(site, node, 'utilization'), JSON.stringify(payload));
      })
      .catch((err: unknown) => this.logger.warn({ err, site, node }, 'utilization today not published'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /**
   * Running / known time since local midnight (hub timezone), as the usage report counts it,
   * summed over the timeline (the stored states themselves, read fresh each time rather than
   * through the hourly roll-ups). Null when the store cannot tell.
   */
  private async utilization(site: string, node: string): Promise<UtilizationPayload | null> {
    const now = this.options.now();
    const clock = localTimeFor(this.options.config.timezone);
    try {
      const timeline = await this.options.reports.timeline(site, node, { from: clock.startOfDayAt(now), to: now });
      if (!timeline) return null;
      let runningMs = 0;
      let knownMs = 0;
      for (const i of timeline.intervals) {
        const ms = (i.end ?? timeline.now) - i.start;
        if (i.state !== 'unknown') knownMs += ms;
        if (i.state === 'running') runningMs += ms;
      }
      return {
        ts: now,
        date: clock.dateOf(now),
        utilizationPct: knownMs > 0 ? Math.round((runningMs / knownMs) * 1000) / 10 : null,
        runningS: Math.round(runningMs / 1000),
        knownS: Math.round(knownMs / 1000),
      };
    } catch (err) {
      this.logger.warn({ err, site, node }, 'utilization today not available');
      return null;
    }
  }

  /** Object ids are `<site>_<node>_<sensor>` and ids never contain `_` (discovery-configs.ts). */
  private ownedBy(topic: string, site: string, node: string): boolean {
    if (topic === hubTopic(site, node, 'utilization')) return true;
    const [s, n] = (topic.split('/').at(-2) ?? '').split('_');
    return topic.endsWith('/config') && s === site && n === node;
  }

  /** Retained QoS 1; an empty payload removes the retained message (and the HA entity). */
  private send(topic: string, payload: string): void {
    if (payload === '') this.published.delete(topic);
    else this.published.set(topic, payload);
    // One at a time, in order: a config and its clearing never overtake each other. A publish
    // that throws (the broker stopping) is logged like one that fails.
    const p = this.last
      .then(() => this.options.publish({ topic, payload, qos: 1, retain: true }))
      .catch((err: unknown) => this.logger.warn({ err, topic }, 'home assistant publish failed'))
      .finally(() => this.pending.delete(p));
    this.last = p;
    this.pending.add(p);
  }

  private async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private readRecord(): string[] {
    const file = this.options.recordFile;
    if (!existsSync(file)) return [];
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { topics?: unknown };
      return Array.isArray(data.topics) ? data.topics.filter((t): t is string => typeof t === 'string' && t.length > 0) : [];
    } catch (err) {
      this.logger.warn({ err, file }, 'home assistant record unreadable; earlier discovery configs are not cleared');
      return [];
    }
  }

  private writeRecord(): void {
    try {
      writeFileAtomicSync(this.options.recordFile, `${JSON.stringify({ topics: this.topics }, null, 1)}\n`);
    } catch (err) {
      this.logger.warn({ err, file: this.options.recordFile }, 'home assistant record not written');
    }
  }
}
