/** The last few sequence numbers seen per node: a resent event is not announced twice live. */
export class RecentSeqs {
  private readonly perNode: number;
  private readonly maxNodes: number;
  private readonly seen = new Map<string, Set<number>>();

  constructor(options: { perNode?: number; maxNodes?: number } = {}) {
    this.perNode = options.perNode ?? 512;
    this.maxNodes = options.maxNodes ?? 1000;
  }

  /** Records `seq`; returns false when it was already among the recent ones. */
  add(nodeKey: string, seq: number): boolean {
    let set = this.seen.get(nodeKey);
    if (!set) {
      if (this.seen.size >= this.maxNodes) {
        const oldest = this.seen.keys().next().value;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
      set = new Set();
      this.seen.set(nodeKey, set);
    }
    if (set.has(seq)) return false;
    set.add(seq);
    if (set.size > this.perNode) {
      const oldest = set.values().next().value;
      if (oldest !== undefined) set.delete(oldest);
    }
    return true;
  }

  clear(): void {
    this.seen.clear();
  }
}
