import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageStore } from '../ingest/image-store.js';
import { fakeJpeg, makeTempDir, silentLogger } from '../test-support/helpers.js';
import { Thumbnails, thumbnailPathOf } from './thumbnails.js';

describe('Thumbnails', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const images = new ImageStore({ root: join(dir.path, 'images') });
    return { images, thumbs: new Thumbnails({ images, logger: silentLogger }) };
  }

  it('makes a 240 px JPEG once, caches it, and drops it with the image', async () => {
    const { images, thumbs } = await setup();
    const file = await images.save('factory', 'bench-1', 'a', await sharp({ create: { width: 960, height: 540, channels: 3, background: '#2a2' } }).jpeg().toBuffer());
    const [one, two] = await Promise.all([thumbs.read('factory', 'bench-1', 'a'), thumbs.read('factory', 'bench-1', 'a')]);
    expect(one && (await sharp(one).metadata())).toMatchObject({ format: 'jpeg', width: 240, height: 135 });
    expect(two?.equals(one!)).toBe(true);
    expect(images.has('factory', 'bench-1', 'a')).toBe(true);
    await rm(file);
    expect(await thumbs.read('factory', 'bench-1', 'a')).toBeNull();
    expect(thumbnailPathOf(file)).toBe(join(images.root, 'factory', 'bench-1', 'thumbs', 'a.jpg'));
  });

  it('answers null for a broken JPEG, a missing image and bad ids, and counts the broken one', async () => {
    const { images, thumbs } = await setup();
    await images.save('factory', 'bench-1', 'bad', fakeJpeg());
    expect(await thumbs.read('factory', 'bench-1', 'bad')).toBeNull();
    expect(thumbs.failures).toBe(1);
    expect(await thumbs.read('factory', 'bench-1', 'none')).toBeNull();
    expect(await thumbs.read('factory', '../x', 'a')).toBeNull();
    expect(await thumbs.read('factory', 'bench-1', '..')).toBeNull();
  });
});
