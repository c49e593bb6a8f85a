import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeJpeg, makeTempDir } from '../test-support/helpers.js';
import { ImageStore } from './image-store.js';

describe('ImageStore', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let images: ImageStore;

  beforeEach(async () => {
    dir = await makeTempDir();
    images = new ImageStore({ root: join(dir.path, 'images') });
  });
  afterEach(() => dir.remove());

  it('saves and reads <site>/<node>/<imageId>.jpg', async () => {
    const jpeg = fakeJpeg(7);
    const file = await images.save('factory', 'bench-1', '20251124-170000-bench-1', jpeg);
    expect(file).toBe(join(dir.path, 'images', 'factory', 'bench-1', '20251124-170000-bench-1.jpg'));
    expect(await images.read('factory', 'bench-1', '20251124-170000-bench-1')).toEqual(jpeg);
    expect(images.has('factory', 'bench-1', '20251124-170000-bench-1')).toBe(true);
    expect(await images.read('factory', 'bench-1', 'missing')).toBeNull();
    // No temp files left behind.
    expect(await readdir(join(dir.path, 'images', 'factory', 'bench-1'))).toEqual(['20251124-170000-bench-1.jpg']);
  });

  it('never resolves a path outside its root', async () => {
    for (const [site, node, id] of [
      ['factory', 'bench-1', '..'],
      ['factory', 'bench-1', '.'],
      ['factory', 'bench-1', '../../etc/passwd'],
      ['factory', 'bench-1', 'a/b'],
      ['..', 'bench-1', 'x'],
      ['factory', '../..', 'x'],
      ['factory', 'bench-1', 'x'.repeat(81)],
      ['factory', 'bench-1', ''],
      ['Factory', 'bench-1', 'x'],
    ] as const) {
      expect(images.pathFor(site, node, id)).toBeNull();
      expect(await images.read(site, node, id)).toBeNull();
      await expect(images.save(site, node, id, fakeJpeg())).rejects.toThrow(RangeError);
    }
    expect(images.pathFor('factory', 'bench-1', '...x')).toBe(join(dir.path, 'images', 'factory', 'bench-1', '...x.jpg'));
  });
});
