/** What the dashboard reads: the live snapshots, images on disk and hub counters. */
import type { DashboardDataSource, HubStats, LiveUpdate, NodeSnapshot } from '@mieruka/dashboard';
import type { ImageStore } from './ingest/image-store.js';
import type { LiveState } from './ingest/live-state.js';

export type HubDataSourceOptions = {
  live: LiveState;
  images: ImageStore;
  stats: () => HubStats;
};

export class HubDataSource implements DashboardDataSource {
  private readonly options: HubDataSourceOptions;

  constructor(options: HubDataSourceOptions) {
    this.options = options;
  }

  listNodes(): NodeSnapshot[] {
    return this.options.live.list();
  }

  async readImage(site: string, node: string, imageId: string): Promise<Buffer | null> {
    // ImageStore validates every part and keeps the path under the images directory.
    return this.options.images.read(site, node, imageId);
  }

  stats(): HubStats {
    return this.options.stats();
  }

  subscribe(listener: (update: LiveUpdate) => void): () => void {
    return this.options.live.subscribe(listener);
  }
}
