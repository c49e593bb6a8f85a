#!/usr/bin/env node
/**
 * Generates the clutter test fixtures: photos of a green mat with a known covered share under
 * lighting gradients, heavy noise, perspective, shadows, green-ish objects and a realistic
 * mix, an empty mat for calibration, plus bad images (zero bytes, truncated JPEG, a PNG
 * header claiming 20000×20000, text). Specs live in scripts/lib/clutter-fixtures.mjs.
 *
 *   node scripts/generate-clutter-fixtures.mjs [outDir]     (default test/fixtures/clutter/)
 *
 * Deterministic (seeded PRNG; same bytes with the same sharp/libvips version). Writes
 * manifest.json with, per photo, the covered ratio as drawn, the mat corners (roi) and the
 * recommended denoise and tolerance.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BAD_FIXTURES, FIXTURE_HSV, FIXTURES, pngClaiming, renderFixture } from './lib/clutter-fixtures.mjs';

const outDir = resolve(process.argv[2] ?? fileURLToPath(new URL('../test/fixtures/clutter/', import.meta.url)));
await mkdir(outDir, { recursive: true });
const manifest = { generator: 'scripts/generate-clutter-fixtures.mjs', ...FIXTURE_HSV, fixtures: [], bad: [] };
let truncatedSource = null;
for (const spec of FIXTURES) {
  const r = await renderFixture(spec);
  await writeFile(resolve(outDir, spec.file), r.bytes);
  if (spec.file === 'gradient-25.jpg') truncatedSource = r.bytes;
  manifest.fixtures.push({
    file: spec.file,
    kind: spec.kind,
    description: spec.description,
    width: r.width,
    height: r.height,
    coveredRatio: r.coveredRatio,
    coveredPixels: r.coveredPixels,
    matPixels: r.matPixels,
    roi: r.roi,
    denoise: spec.denoise,
    tolerance: spec.tolerance,
  });
  console.log(`${spec.file}: covered ${(100 * r.coveredRatio).toFixed(2)} %, ${r.objects} objects, ${r.bytes.length} bytes`);
}
const badBytes = {
  'empty.jpg': Buffer.alloc(0),
  'truncated.jpg': truncatedSource.subarray(0, Math.floor(truncatedSource.length * 0.4)),
  'bomb-20000x20000.png': await pngClaiming(20000, 20000),
  'not-an-image.jpg': Buffer.from('This is not an image. It is a text file with a .jpg name.\n'.repeat(8)),
};
for (const bad of BAD_FIXTURES) {
  await writeFile(resolve(outDir, bad.file), badBytes[bad.file]);
  manifest.bad.push({ ...bad, error: 'IMAGE_INVALID' });
  console.log(`${bad.file}: ${bad.description}, ${badBytes[bad.file].length} bytes`);
}
await writeFile(resolve(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
