/**
 * Exactly once at the hub: tells whether a message was already taken, by the key its table's
 * unique index uses — (site, node, seq) for current, event and clutter; (site, node, ts) for
 * state; (site, node, ts, active) for motion. An agent's store-and-forward replay is
 * at-least-once, and the hub may have restarted in between, so memory alone is not enough:
 * the rows already written answer for earlier runs, a bounded memory of recent keys answers
 * for rows still waiting in the store's write queue. Only ingest asks, before a message has any
 * effect (live snapshot, live event, webhook, rules). Memory answers at once for a live stream;
 * only a node's first message and a replay of older keys ask the database, and then the
 * answer is a promise (ingest keeps each node's messages in order meanwhile).
 */
import type { DecodedMessage } from '@mieruka/protocol';
import type { SqlStore } from '../store/sql/sql-store.js';

export type DedupKind = 'current' | 'state' | 'event' | 'clutter' | 'motion';

const LOOKUPS: Record<DedupKind, string> = {
  current: 'SELECT 1 FROM readings WHERE site = ? AND node = ? AND seq = ?',
  event: 'SELECT 1 FROM events WHERE site = ? AND node = ? AND seq = ?',
  clutter: 'SELECT 1 FROM clutter WHERE site = ? AND node = ? AND seq = ?',
  state: 'SELECT 1 FROM states WHERE site = ? AND node = ? AND ts = ?',
  motion: 'SELECT 1 FROM motion WHERE site = ? AND node = ? AND ts = ? AND active = ?',
};

/** The highest first key value stored per node (each is the leading column after site, node of a unique index). */
const HIGHEST: Record<DedupKind, string> = {
  current: 'SELECT max(seq) AS v FROM readings WHERE site = ? AND node = ?',
  event: 'SELECT max(seq) AS v FROM events WHERE site = ? AND node = ?',
  clutter: 'SELECT max(seq) AS v FROM clutter WHERE site = ? AND node = ?',
  state: 'SELECT max(ts) AS v FROM states WHERE site = ? AND node = ?',
  motion: 'SELECT max(ts) AS v FROM motion WHERE site = ? AND node = ?',
};

/** Recent keys of one node and kind, and the highest first value stored or seen. */
type Bucket = { ids: Set<string>; highest: number };

/** The key of a message in its table, or null for kinds that are not de-duplicated (status, image). */
export function dedupKey(msg: DecodedMessage): { kind: DedupKind; values: number[] } | null {
  switch (msg.kind) {
    case 'current':
    case 'event':
    case 'clutter':
      return { kind: msg.kind, values: [msg.payload.seq] };
    case 'state':
      return { kind: 'state', values: [msg.payload.ts] };
    case 'motion':
      return { kind: 'motion', values: [msg.payload.ts, msg.payload.active ? 1 : 0] };
    default:
      return null;
  }
}

export type DuplicateGuardOptions = {
  sql: () => SqlStore;
  /**
   * Keys remembered per node and kind. They must cover every row that may still wait in the
   * store's write queue (hub.ingest.batchSize, flushed every flushIntervalMs); the unique
   * indexes keep the rows right even past it. Default 8192.
   */
  perNode?: number;
  /** Nodes remembered (oldest forgotten first). Default 1000. */
  maxNodes?: number;
};

export class DuplicateGuard {
  private readonly options: DuplicateGuardOptions;
  private readonly perNode: number;
  private readonly maxNodes: number;
  private readonly recent = new Map<string, Bucket>();

  constructor(options: DuplicateGuardOptions) {
    this.options = options;
    this.perNode = options.perNode ?? 8192;
    this.maxNodes = options.maxNodes ?? 1000;
  }

  /**
   * Records the message; tells whether it was seen before (in this run or in the store): at
   * once when memory knows, else as a promise. Kinds without a key are never duplicates.
   * A caller must not ask about a node's next message before the answer about the previous
   * one has settled (ingest's per-node order does that).
   */
  seen(msg: DecodedMessage): boolean | Promise<boolean> {
    const key = dedupKey(msg);
    if (!key) return false;
    const bucketKey = `${msg.site}/${msg.node}/${key.kind}`;
    const bucket = this.recent.get(bucketKey);
    if (!bucket) {
      return this.highestStored(key.kind, msg.site, msg.node).then((highest) => {
        if (this.recent.size >= this.maxNodes * 5) {
          const oldest = this.recent.keys().next().value;
          if (oldest !== undefined) this.recent.delete(oldest);
        }
        const fresh: Bucket = { ids: new Set(), highest };
        this.recent.set(bucketKey, fresh);
        return this.decide(fresh, msg, key);
      });
    }
    return this.decide(bucket, msg, key);
  }

  private decide(bucket: Bucket, msg: DecodedMessage, key: { kind: DedupKind; values: number[] }): boolean | Promise<boolean> {
    const first = key.values[0] as number;
    const id = key.values.length === 1 ? String(first) : key.values.join('/');
    if (first > bucket.highest) {
      // Above everything stored and seen: new, no lookup.
      bucket.highest = first;
      this.remember(bucket, id);
      return false;
    }
    if (bucket.ids.has(id)) return true;
    return this.stored(key.kind, msg.site, msg.node, key.values).then((stored) => {
      if (!stored) this.remember(bucket, id);
      return stored;
    });
  }

  private remember(bucket: Bucket, id: string): void {
    const ids = bucket.ids;
    ids.add(id);
    if (ids.size > this.perNode) {
      const oldest = ids.values().next().value;
      if (oldest !== undefined) ids.delete(oldest);
    }
  }

  clear(): void {
    this.recent.clear();
  }

  private async stored(kind: DedupKind, site: string, node: string, values: number[]): Promise<boolean> {
    return (await this.options.sql().get(LOOKUPS[kind], [site, node, ...values])) !== undefined;
  }

  /** The highest first key value in the table for the node (-Infinity without rows). */
  private async highestStored(kind: DedupKind, site: string, node: string): Promise<number> {
    const row = await this.options.sql().get<{ v: number | null }>(HIGHEST[kind], [site, node]);
    return typeof row?.v === 'number' ? row.v : -Infinity;
  }
}
