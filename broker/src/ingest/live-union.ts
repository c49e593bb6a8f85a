/**
 * Fleet mode: every node's live state as one view — this hub's own (what it ingests) and the
 * other hubs' (PeerLiveMirror) — for the dashboard and for the rules the leading hub runs over
 * all nodes. A node this hub ingests itself shows as it has it. Without peers it is the own view.
 */
import type { NodeSnapshot } from '@mieruka/protocol';
import type { LiveListener, LiveState } from './live-state.js';

export type LiveView = Pick<LiveState, 'list' | 'subscribe' | 'get'>;

const byNode = (a: NodeSnapshot, b: NodeSnapshot) => (a.site === b.site ? a.node.localeCompare(b.node) : a.site.localeCompare(b.site));

export class LiveUnion implements LiveView {
  private readonly own: LiveView;
  private readonly peers: LiveView | null;

  constructor(own: LiveView, peers: LiveView | null) {
    this.own = own;
    this.peers = peers;
  }

  get(site: string, node: string): NodeSnapshot | undefined {
    return this.own.get(site, node) ?? this.peers?.get(site, node);
  }

  list(): NodeSnapshot[] {
    const own = this.own.list();
    const peers = this.peers?.list() ?? [];
    if (peers.length === 0) return own;
    const mine = new Set(own.map((n) => `${n.site}/${n.node}`));
    return [...own, ...peers.filter((n) => !mine.has(`${n.site}/${n.node}`))].sort(byNode);
  }

  /** Updates of both views; returns the unsubscribe function. */
  subscribe(listener: LiveListener): () => void {
    const offOwn = this.own.subscribe(listener);
    const offPeers = this.peers?.subscribe(listener);
    return () => {
      offOwn();
      offPeers?.();
    };
  }
}
