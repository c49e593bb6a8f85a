/**
 * A DashboardDataSource kept in memory: the hub side for tests, demos and UI work without a
 * broker. Changes made through it are published to subscribers like the real hub does.
 */
import type { DashboardDataSource, HubStats, LiveUpdate, NodeSnapshot } from './data-source.js';

export type NodePatch = Partial<Omit<NodeSnapshot, 'site' | 'node'>>;

export function emptyNode(site: string, node: string): NodeSnapshot {
  return { site, node, online: null, agent: null, version: null, lastSeen: null, state: null, current: null, clutter: null, motion: null };
}

export class MemoryDataSource implements DashboardDataSource {
  private readonly nodes = new Map<string, NodeSnapshot>();
  private readonly images = new Map<string, Buffer>();
  private readonly listeners = new Set<(update: LiveUpdate) => void>();
  private readonly counters: HubStats;

  constructor(nodes: NodeSnapshot[] = [], startedAt = Date.now()) {
    for (const node of nodes) this.nodes.set(key(node.site, node.node), structuredClone(node));
    this.counters = { startedAt, messagesReceived: 0, messagesInvalid: 0, rowsWritten: 0, clientsConnected: 0 };
  }

  listNodes(): NodeSnapshot[] {
    return [...this.nodes.values()].map((node) => structuredClone(node));
  }

  async readImage(site: string, node: string, imageId: string): Promise<Buffer | null> {
    return this.images.get(`${key(site, node)}/${imageId}`) ?? null;
  }

  stats(): HubStats {
    return { ...this.counters };
  }

  subscribe(listener: (update: LiveUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Merges `patch` into the node (created when new) and publishes the result. */
  updateNode(site: string, node: string, patch: NodePatch): NodeSnapshot {
    const current = this.nodes.get(key(site, node)) ?? emptyNode(site, node);
    const next: NodeSnapshot = { ...current, ...structuredClone(patch), site, node };
    this.nodes.set(key(site, node), next);
    this.counters.messagesReceived += 1;
    this.publish({ type: 'node', node: structuredClone(next) });
    return next;
  }

  publishEvent(site: string, node: string, event: Extract<LiveUpdate, { type: 'event' }>['event']): void {
    this.counters.messagesReceived += 1;
    this.publish({ type: 'event', site, node, event });
  }

  putImage(site: string, node: string, imageId: string, jpeg: Buffer): void {
    this.images.set(`${key(site, node)}/${imageId}`, jpeg);
  }

  private publish(update: LiveUpdate): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(update);
      } catch {
        // One broken subscriber must not starve the others.
      }
    }
  }
}

function key(site: string, node: string): string {
  return `${site}/${node}`;
}
