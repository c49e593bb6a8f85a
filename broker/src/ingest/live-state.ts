/**
 * The latest snapshot of every node, in memory, plus the readings stream (node and event
 * updates) that the rules and the dashboard subscribe to. Only ingest writes here; alarms are
 * the alert engine's own stream. Snapshots are replaced, never mutated, so a listener may
 * keep what it got.
 */
import type { Logger } from 'pino';
import type { EventUpdate, NodeSnapshot, NodeUpdate } from '@mieruka/protocol';
import { Fanout } from '../events/fanout.js';

export type ReadingUpdate = NodeUpdate | EventUpdate;
export type LiveListener = (update: ReadingUpdate) => void;

export function emptySnapshot(site: string, node: string): NodeSnapshot {
  return { site, node, online: null, agent: null, version: null, lastSeen: null, state: null, current: null, clutter: null, motion: null };
}

export class LiveState {
  private readonly nodes = new Map<string, NodeSnapshot>();
  private readonly stream: Fanout<ReadingUpdate>;

  constructor(options: { logger: Logger }) {
    this.stream = new Fanout({ logger: options.logger.child({ component: 'live-state' }), what: 'live' });
  }

  private static key(site: string, node: string): string {
    return `${site}/${node}`;
  }

  /** Replaces everything (at start, from the store). Emits nothing. */
  load(snapshots: readonly NodeSnapshot[]): void {
    this.nodes.clear();
    for (const s of snapshots) this.nodes.set(LiveState.key(s.site, s.node), s);
  }

  get(site: string, node: string): NodeSnapshot | undefined {
    return this.nodes.get(LiveState.key(site, node));
  }

  list(): NodeSnapshot[] {
    return [...this.nodes.values()].sort((a, b) => (a.site === b.site ? a.node.localeCompare(b.node) : a.site.localeCompare(b.site)));
  }

  get size(): number {
    return this.nodes.size;
  }

  /**
   * Applies a change; `change` returns the new snapshot, or the same object for "no change".
   * Emits a `node` update when something changed.
   */
  update(site: string, node: string, change: (current: NodeSnapshot) => NodeSnapshot): NodeSnapshot {
    const key = LiveState.key(site, node);
    const current = this.nodes.get(key) ?? emptySnapshot(site, node);
    const next = change(current);
    if (next === current && this.nodes.has(key)) return current;
    this.nodes.set(key, next);
    this.emit({ type: 'node', node: next });
    return next;
  }

  /** Forgets a node (an admin removed it); emits nothing. False when it was not known. */
  remove(site: string, node: string): boolean {
    return this.nodes.delete(LiveState.key(site, node));
  }

  /** One broken subscriber does not stop ingest or the others. */
  emit(update: ReadingUpdate): void {
    this.stream.emit(update);
  }

  subscribe(listener: LiveListener): () => void {
    return this.stream.subscribe(listener);
  }

  get subscribers(): number {
    return this.stream.size;
  }

  clearListeners(): void {
    this.stream.clear();
  }
}
