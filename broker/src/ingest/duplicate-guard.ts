/**
 * Exactly once at the hub: tells whether a message was already taken, by the key its table's
 * unique index uses — (site, node, seq) for current, event and clutter; (site, node, ts) for
 * state; (site, node, ts, active) for motion. An agent's store-and-forward replay is
 * at-least-once, and the hub may have restarted in between, so memory alone is not enough:
 * the rows already written answer for earlier runs, a bounded memory of recent keys answers
 * for rows still waiting in the store's write queue. Only ingest asks, synchronously, before
 * a message has any effect (live snapshot, live event, webhook, rules).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { DecodedMessage } from '@mieruka/protocol';

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
  database: () => Database;
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
  private lookups: { db: Database; stmt: Record<DedupKind, Statement>; highest: Record<DedupKind, Statement> } | null = null;

  constructor(options: DuplicateGuardOptions) {
    this.options = options;
    this.perNode = options.perNode ?? 8192;
    this.maxNodes = options.maxNodes ?? 1000;
  }

  /**
   * Records the message; returns true when it was seen before (in this run or in the store).
   * Kinds without a key are never duplicates.
   */
  seen(msg: DecodedMessage): boolean {
    const key = dedupKey(msg);
    if (!key) return false;
    const bucketKey = `${msg.site}/${msg.node}/${key.kind}`;
    let bucket = this.recent.get(bucketKey);
    if (!bucket) {
      if (this.recent.size >= this.maxNodes * 5) {
        const oldest = this.recent.keys().next().value;
        if (oldest !== undefined) this.recent.delete(oldest);
      }
      bucket = { ids: new Set(), highest: this.highestStored(key.kind, msg.site, msg.node) };
      this.recent.set(bucketKey, bucket);
    }
    const first = key.values[0] as number;
    const id = key.values.length === 1 ? String(first) : key.values.join('/');
    if (first > bucket.highest) {
      // Above everything stored and seen: new, no lookup.
      bucket.highest = first;
    } else {
      if (bucket.ids.has(id)) return true;
      if (this.stored(key.kind, msg.site, msg.node, key.values)) return true;
    }
    const ids = bucket.ids;
    ids.add(id);
    if (ids.size > this.perNode) {
      const oldest = ids.values().next().value;
      if (oldest !== undefined) ids.delete(oldest);
    }
    return false;
  }

  clear(): void {
    this.recent.clear();
    this.lookups = null;
  }

  private statements(): NonNullable<DuplicateGuard['lookups']> {
    const db = this.options.database();
    if (this.lookups?.db !== db) {
      const prepare = (sqls: Record<DedupKind, string>) =>
        Object.fromEntries(Object.entries(sqls).map(([k, sql]) => [k, db.prepare(sql)])) as Record<DedupKind, Statement>;
      this.lookups = { db, stmt: prepare(LOOKUPS), highest: prepare(HIGHEST) };
    }
    return this.lookups;
  }

  private stored(kind: DedupKind, site: string, node: string, values: number[]): boolean {
    return this.statements().stmt[kind].get(site, node, ...values) !== undefined;
  }

  /** The highest first key value in the table for the node (-Infinity without rows). */
  private highestStored(kind: DedupKind, site: string, node: string): number {
    const row = this.statements().highest[kind].get(site, node) as { v: number | null } | undefined;
    return typeof row?.v === 'number' ? row.v : -Infinity;
  }
}
