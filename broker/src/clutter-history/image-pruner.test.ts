import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageStore } from '../ingest/image-store.js';
import { makeTempDir, silentLogger } from '../test-support/helpers.js';
import { ImagePruner } from './image-pruner.js';
import { THUMBS_DIR } from './thumbnails.js';

const DAY = 86_400_000;
const NOW = Date.now();

describe('ImagePruner', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function storeWith(files: { site?: string; node: string; id: string; ageDays: number; bytes: number; thumb?: boolean }[]): Promise<ImageStore> {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const images = new ImageStore({ root: join(dir.path, 'images') });
    for (const f of files) {
      const file = await images.save(f.site ?? 'factory', f.node, f.id, Buffer.alloc(f.bytes, 1));
      const at = new Date(NOW - f.ageDays * DAY);
      await utimes(file, at, at);
      if (f.thumb) {
        await mkdir(join(file, '..', THUMBS_DIR), { recursive: true });
        await writeFile(join(file, '..', THUMBS_DIR, `${f.id}.jpg`), Buffer.alloc(10));
      }
    }
    return images;
  }

  const pruner = (images: ImageStore, retentionDays: number, maxTotalBytes: number) =>
    new ImagePruner({ images, retentionDays, maxTotalBytes, intervalMs: 0, logger: silentLogger, now: () => NOW });

  it('deletes images past retention with their thumbnails, never the newest of a node', async () => {
    const images = await storeWith([
      { node: 'bench-1', id: 'a', ageDays: 30, bytes: 100, thumb: true },
      { node: 'bench-1', id: 'b', ageDays: 5, bytes: 100 },
      { node: 'bench-2', id: 'c', ageDays: 90, bytes: 100 },
    ]);
    const result = await pruner(images, 10, 1e9).prune();
    expect(result).toMatchObject({ deleted: 1, bytesFreed: 110, totalBytes: 200, files: 2 });
    expect(images.has('factory', 'bench-1', 'a')).toBe(false);
    expect(images.has('factory', 'bench-1', 'b')).toBe(true);
    expect(images.has('factory', 'bench-2', 'c')).toBe(true); // old, but the only one of bench-2
  });

  it('deletes the oldest first until the total fits', async () => {
    const images = await storeWith([
      { node: 'bench-1', id: 'a', ageDays: 3, bytes: 100 },
      { node: 'bench-2', id: 'b', ageDays: 2, bytes: 100 },
      { node: 'bench-1', id: 'c', ageDays: 1, bytes: 100 },
      { node: 'bench-2', id: 'd', ageDays: 0, bytes: 100 },
    ]);
    const result = await pruner(images, 400, 250).prune();
    expect(result.deleted).toBe(2);
    expect(['a', 'b', 'c', 'd'].map((id) => images.has('factory', id === 'a' || id === 'c' ? 'bench-1' : 'bench-2', id))).toEqual([false, false, true, true]);
    // Nothing left to delete: only the newest of each node remain, even above the limit.
    expect((await pruner(images, 400, 1).prune()).deleted).toBe(0);
  });

  it('starts and stops without leaving a timer, and copes with a missing directory', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const p = new ImagePruner({ images: new ImageStore({ root: join(dir.path, 'none') }), retentionDays: 1, maxTotalBytes: 1, intervalMs: 60_000, logger: silentLogger });
    p.start();
    await p.stop();
    expect(await p.prune()).toEqual({ deleted: 0, bytesFreed: 0, totalBytes: 0, files: 0 });
  });
});
