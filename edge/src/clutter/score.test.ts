import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { isMierukaError, StationConfig } from '@mieruka/protocol';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { listSamplePhotos, samplePhotosDir } from './sample-photos.js';
import { scoreImage } from './score.js';

const station = StationConfig.parse({});
const range = { hsvLower: station.hsvLower, hsvUpper: station.hsvUpper };

interface Manifest {
  photos: { file: string; coveredRatio: number }[];
}

async function expectInvalid(bytes: Buffer, message?: RegExp): Promise<void> {
  const err = await scoreImage(bytes, range).then(
    () => null,
    (e: unknown) => e,
  );
  expect(isMierukaError(err, 'IMAGE_INVALID'), `expected IMAGE_INVALID, got ${String(err)}`).toBe(true);
  if (message) expect((err as Error).message).toMatch(message);
}

function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), body])));
  return Buffer.concat([head, Buffer.from(type), body, crc]);
}

/** A small, well-formed PNG whose header claims width×height: a decompression bomb's shape. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(64 * 1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A noisy mat-coloured image, like the generator's but with nothing on it. */
function plainRgb(width: number, height: number, rgb: [number, number, number], seed = 1): Buffer {
  const data = Buffer.alloc(width * height * 3);
  let a = seed;
  for (let i = 0; i < data.length; i++) {
    a = (a * 1103515245 + 12345) >>> 0;
    const noise = ((a >>> 16) % 9) - 4;
    data[i] = Math.max(0, Math.min(255, rgb[i % 3]! + noise));
  }
  return data;
}

describe('sample photos', () => {
  it('lists the generated JPEGs from edge/assets', async () => {
    const photos = await listSamplePhotos();
    const manifest = JSON.parse(await readFile(join(samplePhotosDir(), 'manifest.json'), 'utf8')) as Manifest;
    expect(photos.map((p) => basename(p))).toEqual(manifest.photos.map((p) => p.file).sort());
    expect(photos.length).toBeGreaterThanOrEqual(6);
  });

  it('score within ±2 percentage points of the ratio they were drawn with', async () => {
    const dir = samplePhotosDir();
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const ratios = manifest.photos.map((p) => p.coveredRatio);
    expect(Math.min(...ratios)).toBeLessThan(0.05);
    expect(Math.max(...ratios)).toBeGreaterThan(0.55);
    for (const photo of manifest.photos) {
      const bytes = await readFile(join(dir, photo.file));
      expect(bytes.length).toBeLessThan(80 * 1024);
      const result = await scoreImage(bytes, range);
      expect(result.width).toBe(640);
      expect(result.height).toBe(480);
      expect(result.regionPixels).toBe(640 * 480);
      expect(Math.abs(result.coveredRatio - photo.coveredRatio), photo.file).toBeLessThanOrEqual(0.02);
      expect(result.coveredRatio).toBeCloseTo(1 - result.matPixels / result.regionPixels, 12);
      expect(result.score).toBe(Math.round(result.coveredRatio * 1000) / 10);
    }
  });
});

describe('scoreImage', () => {
  it('scores a bare green mat 0 and a fully covered one 100', async () => {
    const green = await sharp(plainRgb(320, 240, [45, 140, 60]), { raw: { width: 320, height: 240, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    const bare = await scoreImage(green, range);
    expect(bare).toMatchObject({ score: 0, coveredRatio: 0, matPixels: 320 * 240, regionPixels: 320 * 240 });

    const red = await sharp(plainRgb(320, 240, [200, 40, 40]), { raw: { width: 320, height: 240, channels: 3 } }).png().toBuffer();
    expect(await scoreImage(red, range)).toMatchObject({ score: 100, coveredRatio: 1, matPixels: 0 });
  });

  it('counts a known block exactly on a lossless image', async () => {
    const data = plainRgb(100, 50, [45, 140, 60]);
    for (let y = 0; y < 50; y++) for (let x = 0; x < 25; x++) data.set([30, 30, 35], (y * 100 + x) * 3);
    const png = await sharp(data, { raw: { width: 100, height: 50, channels: 3 } }).png().toBuffer();
    expect(await scoreImage(png, range)).toMatchObject({ score: 25, coveredRatio: 0.25, matPixels: 3750, width: 100, height: 50 });
  });

  it('decodes greyscale and RGBA images as RGB', async () => {
    const grey = await sharp(Buffer.alloc(64 * 64, 128), { raw: { width: 64, height: 64, channels: 1 } }).png().toBuffer();
    expect(await scoreImage(grey, range)).toMatchObject({ score: 100, width: 64, height: 64 });
    const rgba = await sharp(plainRgb(64, 64, [45, 140, 60]), { raw: { width: 64, height: 64, channels: 3 } }).ensureAlpha(0.5).png().toBuffer();
    expect(await scoreImage(rgba, range)).toMatchObject({ score: 0 });
  });

  it('rejects zero bytes', async () => {
    await expectInvalid(Buffer.alloc(0), /empty/);
  });

  it('rejects a truncated JPEG', async () => {
    const [first] = await listSamplePhotos();
    const bytes = await readFile(first!);
    await expectInvalid(bytes.subarray(0, Math.floor(bytes.length / 2)));
  });

  it('rejects text', async () => {
    await expectInvalid(Buffer.from('this is not an image, just words\n'.repeat(20)));
  });

  it('rejects a PNG header claiming 20000×20000 before decoding it', async () => {
    await expectInvalid(pngClaiming(20000, 20000), /20000×20000 \(400\.0 MP\)/);
    // The bare header, without any image data, is refused too.
    await expectInvalid(pngClaiming(20000, 20000).subarray(0, 33));
  });

  it('rejects images above a configured pixel limit', async () => {
    const png = await sharp(plainRgb(100, 100, [45, 140, 60]), { raw: { width: 100, height: 100, channels: 3 } }).png().toBuffer();
    await expect(scoreImage(png, { ...range, maxPixels: 5000 })).rejects.toMatchObject({ code: 'IMAGE_INVALID' });
  });

  it('rejects SVG (not a photo format)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="green"/></svg>');
    await expectInvalid(svg, /format/);
  });
});
