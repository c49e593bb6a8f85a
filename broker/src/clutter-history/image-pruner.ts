/**
 * Keeps the clutter images on disk within limits: files older than `retentionDays` go, then
 * the oldest go until the total is under `maxTotalBytes`. The newest image of each node is
 * never deleted (the dashboard always has something to show). A thumbnail goes with its image.
 * Age is the file's modification time, i.e. when the hub saved it.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ImageStore } from '../ingest/image-store.js';
import { THUMBS_DIR } from './thumbnails.js';

export type ImagePrunerOptions = {
  images: ImageStore;
  retentionDays: number;
  maxTotalBytes: number;
  /** 0 = only when prune() is called. */
  intervalMs: number;
  logger: Logger;
  now?: () => number;
};

export type PruneResult = { deleted: number; bytesFreed: number; totalBytes: number; files: number };

type Entry = { file: string; thumb: string; mtime: number; bytes: number; name: string };

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function sizeOf(file: string): Promise<{ bytes: number; mtime: number; isFile: boolean } | null> {
  try {
    const s = await stat(file);
    return { bytes: s.size, mtime: s.mtimeMs, isFile: s.isFile() };
  } catch {
    return null;
  }
}

export class ImagePruner {
  private readonly options: ImagePrunerOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneResult> | null = null;
  /** Totals since start. */
  deletedTotal = 0;
  errors = 0;

  constructor(options: ImagePrunerOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'image-pruner' });
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    const tick = () => void this.prune().catch((err: unknown) => this.logger.error({ err }, 'image pruning failed'));
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass (a pass already running is joined, not doubled). */
  prune(): Promise<PruneResult> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<PruneResult> {
    const root = this.options.images.root;
    const candidates: Entry[] = [];
    let totalBytes = 0;
    let files = 0;
    for (const site of await listDir(root)) {
      for (const node of await listDir(join(root, site))) {
        const dir = join(root, site, node);
        const entries: Entry[] = [];
        for (const name of await listDir(dir)) {
          if (!name.endsWith('.jpg')) continue;
          const file = join(dir, name);
          const info = await sizeOf(file);
          if (!info?.isFile) continue;
          const thumb = join(dir, THUMBS_DIR, name);
          const thumbBytes = (await sizeOf(thumb))?.bytes ?? 0;
          entries.push({ file, thumb, name, mtime: info.mtime, bytes: info.bytes + thumbBytes });
        }
        entries.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : 1));
        files += entries.length;
        totalBytes += entries.reduce((sum, e) => sum + e.bytes, 0);
        entries.pop(); // the newest of the node stays
        candidates.push(...entries);
      }
    }
    candidates.sort((a, b) => a.mtime - b.mtime || (a.file < b.file ? -1 : 1));
    const cutoff = this.now() - this.options.retentionDays * 86_400_000;
    let deleted = 0;
    let bytesFreed = 0;
    for (const e of candidates) {
      if (e.mtime >= cutoff && totalBytes <= this.options.maxTotalBytes) break;
      try {
        await rm(e.file, { force: true });
        await rm(e.thumb, { force: true });
        deleted += 1;
        bytesFreed += e.bytes;
        totalBytes -= e.bytes;
      } catch (err) {
        this.errors += 1;
        this.logger.warn({ err: (err as Error).message }, 'cannot delete an old image');
      }
    }
    this.deletedTotal += deleted;
    if (deleted > 0) this.logger.info({ deleted, bytesFreed, totalBytes }, 'pruned old clutter images');
    return { deleted, bytesFreed, totalBytes, files: files - deleted };
  }
}
