/**
 * Counts dropped messages (total, per reason, per node) and logs them at most once per node
 * per interval (default a minute), with the reason and how many were suppressed since.
 */
import type { Logger } from 'pino';

export type InvalidReason = 'topic' | 'too-large' | 'not-json' | 'schema' | 'not-jpeg' | 'future-ts' | 'too-many-nodes' | 'too-many-sites' | 'not-admitted' | 'internal';

export type InvalidMessage = { reason: InvalidReason; message: string; topic: string; site?: string; node?: string; kind?: string };

export type InvalidStats = { total: number; byReason: Record<string, number>; byNode: Record<string, number> };

/** Key used when the topic did not name a valid site and node. */
export const UNKNOWN_NODE = '(unknown)';
/** Bucket for nodes past `maxNodes` (a flood of made-up ids must not grow memory). */
export const OTHER_NODES = '(other)';

export class InvalidMessageCounter {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly logIntervalMs: number;
  private readonly maxNodes: number;
  private total = 0;
  private readonly byReason = new Map<string, number>();
  private readonly byNode = new Map<string, number>();
  private readonly lastLog = new Map<string, { at: number; suppressed: number }>();

  constructor(options: { logger: Logger; now?: () => number; logIntervalMs?: number; maxNodes?: number }) {
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.logIntervalMs = options.logIntervalMs ?? 60_000;
    this.maxNodes = options.maxNodes ?? 10_000;
  }

  record(m: InvalidMessage): void {
    this.total += 1;
    this.byReason.set(m.reason, (this.byReason.get(m.reason) ?? 0) + 1);
    let key = m.site !== undefined && m.node !== undefined ? `${m.site}/${m.node}` : UNKNOWN_NODE;
    if (!this.byNode.has(key) && this.byNode.size >= this.maxNodes) key = OTHER_NODES;
    this.byNode.set(key, (this.byNode.get(key) ?? 0) + 1);

    const now = this.now();
    const last = this.lastLog.get(key);
    if (last && now - last.at < this.logIntervalMs) {
      last.suppressed += 1;
      return;
    }
    if (this.lastLog.size >= this.maxNodes) this.pruneLogTimes(now);
    this.lastLog.set(key, { at: now, suppressed: 0 });
    this.logger.warn(
      {
        site: m.site,
        node: m.node,
        kind: m.kind,
        reason: m.reason,
        detail: m.message.slice(0, 300),
        topic: m.topic.slice(0, 200),
        suppressedSinceLastLog: last?.suppressed ?? 0,
      },
      `invalid message dropped (${m.reason})`,
    );
  }

  private pruneLogTimes(now: number): void {
    for (const [key, v] of this.lastLog) if (now - v.at >= this.logIntervalMs) this.lastLog.delete(key);
  }

  get count(): number {
    return this.total;
  }

  stats(): InvalidStats {
    return { total: this.total, byReason: Object.fromEntries(this.byReason), byNode: Object.fromEntries(this.byNode) };
  }
}
