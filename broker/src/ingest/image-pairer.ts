/**
 * The `image` topic carries bare JPEG bytes; the `clutter` payload names the image id. They
 * are paired per node, whichever arrives second, within a window (default 60 s). Only the
 * latest unpaired one of each is kept per node, and expired ones are pruned on every offer.
 */
export type ImagePair = { imageId: string; jpeg: Buffer };

export type ImagePairerOptions = { windowMs?: number; now?: () => number; maxNodes?: number };

type Pending = { image?: { jpeg: Buffer; at: number }; clutter?: { imageId: string; at: number } };

export class ImagePairer {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxNodes: number;
  private readonly pending = new Map<string, Pending>();

  constructor(options: ImagePairerOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.maxNodes = options.maxNodes ?? 1000;
  }

  /** An image arrived; returns the pair when its clutter result was already waiting. */
  offerImage(nodeKey: string, jpeg: Buffer): ImagePair | null {
    const now = this.now();
    this.prune(now);
    const p = this.pending.get(nodeKey) ?? {};
    if (p.clutter) {
      const { imageId } = p.clutter;
      delete p.clutter;
      this.store(nodeKey, p);
      return { imageId, jpeg };
    }
    p.image = { jpeg, at: now };
    this.store(nodeKey, p);
    return null;
  }

  /** A clutter result naming `imageId` arrived; returns the pair when its image was already waiting. */
  offerClutter(nodeKey: string, imageId: string): ImagePair | null {
    const now = this.now();
    this.prune(now);
    const p = this.pending.get(nodeKey) ?? {};
    if (p.image) {
      const { jpeg } = p.image;
      delete p.image;
      this.store(nodeKey, p);
      return { imageId, jpeg };
    }
    p.clutter = { imageId, at: now };
    this.store(nodeKey, p);
    return null;
  }

  get size(): number {
    return this.pending.size;
  }

  clear(): void {
    this.pending.clear();
  }

  private store(nodeKey: string, p: Pending): void {
    if (!p.image && !p.clutter) {
      this.pending.delete(nodeKey);
      return;
    }
    this.pending.delete(nodeKey);
    this.pending.set(nodeKey, p); // re-insert: the Map stays in least-recently-used order
    while (this.pending.size > this.maxNodes) {
      const oldest = this.pending.keys().next().value;
      if (oldest === undefined) break;
      this.pending.delete(oldest);
    }
  }

  private prune(now: number): void {
    for (const [key, p] of this.pending) {
      if (p.image && now - p.image.at > this.windowMs) delete p.image;
      if (p.clutter && now - p.clutter.at > this.windowMs) delete p.clutter;
      if (!p.image && !p.clutter) this.pending.delete(key);
    }
  }
}
