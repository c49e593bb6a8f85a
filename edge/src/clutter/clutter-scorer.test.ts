/**
 * The pipeline end to end on the fixture set: known coverage within tolerance, bad images
 * rejected with IMAGE_INVALID (never a crash), annotated image and thumbnail.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { isMierukaError, MAX_IMAGE_BYTES, StationConfig } from '@mieruka/protocol';
import { pino } from 'pino';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { clutterFixturePath, loadClutterManifest, type ClutterFixtureManifest } from '../../../test/fixtures/clutter/fixtures.js';
import { ClutterScorer, createClutterScorer } from './clutter-scorer.js';
import { listSamplePhotos, samplePhotosDir } from './sample-photos.js';
import { loadWasmBackend } from './wasm-backend.js';

const station = StationConfig.parse({});
const range = { hsvLower: station.hsvLower, hsvUpper: station.hsvUpper };
let manifest: ClutterFixtureManifest;
let scorer: ClutterScorer;

beforeAll(async () => {
  manifest = await loadClutterManifest();
  scorer = (await createClutterScorer(range)).scorer;
});

function noisyRgb(width: number, height: number, rgb: [number, number, number], seed = 1): Buffer {
  const data = Buffer.alloc(width * height * 3);
  let a = seed;
  for (let i = 0; i < data.length; i++) {
    a = (a * 1103515245 + 12345) >>> 0;
    data[i] = Math.max(0, Math.min(255, rgb[i % 3]! + ((a >>> 16) % 9) - 4));
  }
  return data;
}

async function invalid(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isMierukaError(err, 'IMAGE_INVALID'), `expected IMAGE_INVALID, got ${String(err)}`).toBe(true);
  return err as Error;
}

describe('ClutterScorer on the fixtures', () => {
  it('scores every fixture within its tolerance of the coverage it was drawn with', async () => {
    expect(manifest.fixtures.map((f) => f.kind)).toEqual(expect.arrayContaining(['exact', 'lighting', 'noise', 'shadow', 'greenish', 'perspective', 'realistic', 'calibration']));
    for (const f of manifest.fixtures) {
      const s = new ClutterScorer(scorer.backend, { ...range, roi: f.roi, denoise: f.denoise });
      const r = await s.score(await readFile(clutterFixturePath(f.file)));
      expect(Math.abs(r.coveredRatio - f.coveredRatio), `${f.file}: ${r.coveredRatio} vs ${f.coveredRatio}`).toBeLessThanOrEqual(f.tolerance);
      expect([r.width, r.height]).toEqual([f.width, f.height]);
      expect(r.coveredRatio).toBeCloseTo(1 - r.matPixels / r.regionPixels, 12);
      expect(r.score).toBe(Math.round(((r.regionPixels - r.matPixels) * 1000) / r.regionPixels) / 10);
      expect(r.backend).toBe(scorer.backend.name);
    }
  });

  it('is exact on the lossless fixture', async () => {
    const f = manifest.fixtures.find((x) => x.kind === 'exact')!;
    const r = await scorer.score(await readFile(clutterFixturePath(f.file)));
    expect(r.matPixels).toBe(f.matPixels - f.coveredPixels);
    expect(r.coveredRatio).toBeCloseTo(f.coveredRatio, 12);
  });

  it('needs the ROI for a mat seen at an angle, and denoise for a noisy one', async () => {
    const persp = manifest.fixtures.find((x) => x.kind === 'perspective')!;
    const bytes = await readFile(clutterFixturePath(persp.file));
    // Without the ROI the bench around the mat counts as covered.
    expect((await scorer.score(bytes)).coveredRatio - persp.coveredRatio).toBeGreaterThan(0.2);
    const noisy = manifest.fixtures.find((x) => x.kind === 'noise')!;
    const noisyBytes = await readFile(clutterFixturePath(noisy.file));
    const raw = await scorer.score(noisyBytes);
    const denoised = await new ClutterScorer(scorer.backend, { ...range, denoise: noisy.denoise }).score(noisyBytes);
    expect(raw.coveredRatio - noisy.coveredRatio).toBeGreaterThan(noisy.tolerance);
    expect(Math.abs(denoised.coveredRatio - noisy.coveredRatio)).toBeLessThan((raw.coveredRatio - noisy.coveredRatio) / 2);
  });

  it('keeps scoring the sample photos as before (±2 points of the drawn coverage, 640×480)', async () => {
    const m = JSON.parse(await readFile(join(samplePhotosDir(), 'manifest.json'), 'utf8')) as { photos: { file: string; coveredRatio: number }[] };
    const photos = await listSamplePhotos();
    expect(photos.map((p) => basename(p))).toEqual(m.photos.map((p) => p.file).sort());
    for (const photo of m.photos) {
      const r = await scorer.score(await readFile(join(samplePhotosDir(), photo.file)));
      expect([r.width, r.height, r.regionPixels]).toEqual([640, 480, 640 * 480]);
      expect(Math.abs(r.coveredRatio - photo.coveredRatio), photo.file).toBeLessThanOrEqual(0.02);
    }
  });

  it('rejects every bad fixture with a clear IMAGE_INVALID, and keeps working afterwards', async () => {
    expect(manifest.bad.map((b) => b.file).sort()).toEqual(['bomb-20000x20000.png', 'empty.jpg', 'not-an-image.jpg', 'truncated.jpg']);
    for (const bad of manifest.bad) {
      const bytes = await readFile(clutterFixturePath(bad.file));
      const err = await invalid(scorer.scoreAndAnnotate(bytes, { caption: 'x' }));
      expect(err.message, bad.file).toMatch(new RegExp(bad.message));
    }
    const ok = await scorer.score(await readFile(clutterFixturePath(manifest.fixtures[0]!.file)));
    expect(ok.score).toBeGreaterThan(0);
  });
});

describe('ClutterScorer', () => {
  it('scores a bare green mat 0 and a fully covered one 100', async () => {
    const green = await sharp(noisyRgb(320, 240, [45, 140, 60]), { raw: { width: 320, height: 240, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    expect(await scorer.score(green)).toMatchObject({ score: 0, coveredRatio: 0, matPixels: 320 * 240, regionPixels: 320 * 240 });
    const red = await sharp(noisyRgb(320, 240, [200, 40, 40]), { raw: { width: 320, height: 240, channels: 3 } }).png().toBuffer();
    expect(await scorer.score(red)).toMatchObject({ score: 100, coveredRatio: 1, matPixels: 0 });
  });

  it('decodes greyscale and RGBA images as RGB', async () => {
    const grey = await sharp(Buffer.alloc(64 * 64, 128), { raw: { width: 64, height: 64, channels: 1 } }).png().toBuffer();
    expect(await scorer.score(grey)).toMatchObject({ score: 100, width: 64, height: 64 });
    const rgba = await sharp(noisyRgb(64, 64, [45, 140, 60]), { raw: { width: 64, height: 64, channels: 3 } }).ensureAlpha(0.5).png().toBuffer();
    expect(await scorer.score(rgba)).toMatchObject({ score: 0 });
  });

  it('applies its pixel limit and refuses SVG', async () => {
    const png = await sharp(noisyRgb(100, 100, [45, 140, 60]), { raw: { width: 100, height: 100, channels: 3 } }).png().toBuffer();
    await invalid(new ClutterScorer(scorer.backend, { ...range, maxPixels: 5000 }).score(png));
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="green"/></svg>');
    expect((await invalid(scorer.score(svg))).message).toMatch(/format/);
  });

  it('reports an ROI that does not fit the photo as CONFIG_INVALID', async () => {
    const f = manifest.fixtures.find((x) => x.kind === 'perspective')!;
    const s = new ClutterScorer(scorer.backend, { ...range, roi: f.roi });
    const small = await readFile(clutterFixturePath(manifest.fixtures.find((x) => x.kind === 'lighting')!.file)); // 640×480
    const err = await s.score(small).catch((e: unknown) => e);
    expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/outside the 640×480 image/);
  });

  it('validates its parameters at construction', async () => {
    expect(() => new ClutterScorer(scorer.backend, { ...range, denoise: -3 })).toThrow(RangeError);
    expect(() => new ClutterScorer(scorer.backend, { hsvLower: [0, 0, 0], hsvUpper: [200, 255, 255] })).toThrow(RangeError);
    await expect(createClutterScorer({ ...range, denoise: 1000 })).rejects.toThrow(RangeError);
  });

  it('logs the backend it chose, once', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const { choice } = await createClutterScorer({ ...range, backend: 'wasm', logger: pino({ level: 'info' }, stream) });
    expect(choice.backend.name).toBe('wasm');
    expect(lines).toEqual([expect.objectContaining({ msg: 'clutter scoring backend chosen', backend: 'wasm', opencv: '4.12.0', reason: 'configured: WASM OpenCV 4.12.0' })]);
  });
});

describe('scoreAndAnnotate', () => {
  it('draws the rectified mat at 640 wide with a thumbnail, and scores like score()', async () => {
    const f = manifest.fixtures.find((x) => x.kind === 'realistic')!;
    const bytes = await readFile(clutterFixturePath(f.file));
    const s = new ClutterScorer(scorer.backend, { ...range, roi: f.roi, denoise: f.denoise });
    const { result, images } = await s.scoreAndAnnotate(bytes, { caption: 'bench-1 | 09:00 | 2026-11-24 09:00:00' });
    expect(result).toEqual(await s.score(bytes));
    expect(images.jpeg.length).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
    const meta = await sharp(images.jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, Math.round((result.regionHeight * 640) / result.regionWidth)]);
    expect([images.width, images.height]).toEqual([meta.width, meta.height]);
    const thumb = await sharp(images.thumbnail).metadata();
    expect([thumb.format, thumb.width]).toEqual(['jpeg', 160]);
    expect(images.thumbnail.length).toBeLessThan(images.jpeg.length);
  });

  it('works on every WASM-scored sample photo too (backend-independent drawing)', async () => {
    const wasmScorer = new ClutterScorer(await loadWasmBackend(), range);
    for (const p of (await listSamplePhotos()).slice(0, 2)) {
      const { result, images } = await wasmScorer.scoreAndAnnotate(await readFile(p), { caption: 'x', maxWidth: 320, thumbnailWidth: 80 });
      expect(result.backend).toBe('wasm');
      expect((await sharp(images.jpeg).metadata()).width).toBe(320);
      expect((await sharp(images.thumbnail).metadata()).width).toBe(80);
    }
  });
});
