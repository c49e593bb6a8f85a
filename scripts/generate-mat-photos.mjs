#!/usr/bin/env node
/**
 * Generates the sample photos of the clutter station: a green work mat seen straight from
 * above (the mat fills the frame; its edge and the bench are just outside), with tools,
 * boxes, tape rolls and cables covering a known fraction of it.
 *
 *   node scripts/generate-mat-photos.mjs [outDir]     (default edge/assets/sample-photos/)
 *
 * Deterministic: a seeded PRNG drives everything, so re-running gives the same files.
 * Writes 640×480 JPEGs (quality 85) and manifest.json with each photo's covered ratio as
 * drawn (object pixels / mat pixels, before JPEG compression).
 * The drawing lives in scripts/lib/mat-scene.mjs, shared with the test fixtures
 * (scripts/generate-clutter-fixtures.mjs) and the clutter benchmark.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { addSensorNoise, drawMatScene, MAT } from './lib/mat-scene.mjs';

const W = 640;
const H = 480;

const PHOTOS = [
  { file: 'mat-03.jpg', seed: 3, target: 0.03 },
  { file: 'mat-10.jpg', seed: 10, target: 0.1 },
  { file: 'mat-20.jpg', seed: 20, target: 0.2 },
  { file: 'mat-32.jpg', seed: 32, target: 0.32 },
  { file: 'mat-45.jpg', seed: 45, target: 0.45 },
  { file: 'mat-60.jpg', seed: 60, target: 0.6 },
];

function drawPhoto({ seed, target }) {
  const { img, coveredPixels, objects, rand } = drawMatScene({ width: W, height: H, seed, target });
  return { rgb: addSensorNoise(img, W * H, rand), coveredPixels, objects };
}

const outDir = resolve(process.argv[2] ?? fileURLToPath(new URL('../edge/assets/sample-photos/', import.meta.url)));
await mkdir(outDir, { recursive: true });
const manifest = { generator: 'scripts/generate-mat-photos.mjs', width: W, height: H, matRgb: MAT, photos: [] };
for (const spec of PHOTOS) {
  const { rgb, coveredPixels, objects } = drawPhoto(spec);
  const jpeg = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
  await writeFile(resolve(outDir, spec.file), jpeg);
  const matPixels = W * H;
  manifest.photos.push({ file: spec.file, seed: spec.seed, coveredRatio: coveredPixels / matPixels, coveredPixels, matPixels, objects });
  console.log(`${spec.file}: covered ${(100 * coveredPixels / matPixels).toFixed(2)} %, ${objects} objects, ${jpeg.length} bytes`);
}
await writeFile(resolve(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
