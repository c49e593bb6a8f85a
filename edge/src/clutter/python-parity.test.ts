/**
 * Every loaded backend against OpenCV's own Python binding (Debian python3-opencv, run as
 * /usr/bin/python3), fed the very same decoded pixels: identical mat pixel counts for the
 * plain pipeline (cvtColor BGR2HSV + inRange + countNonZero) and for warp + denoise.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { clutterFixturePath, cv2Counts, loadClutterManifest, type ClutterFixtureManifest, type Cv2Job } from '../../../test/fixtures/clutter/fixtures.js';
import type { AnalyzeParams, ClutterBackend } from './backend.js';
import { decodeRgb, type RgbImage } from './decode-image.js';
import { loadNativeBackend } from './native-backend.js';
import { rectifiedSize } from './roi.js';
import { listSamplePhotos } from './sample-photos.js';
import { loadWasmBackend } from './wasm-backend.js';

let manifest: ClutterFixtureManifest;
let loaded: ClutterBackend[];
const cases: { name: string; frame: RgbImage; params: AnalyzeParams }[] = [];

beforeAll(async () => {
  manifest = await loadClutterManifest();
  const native = await loadNativeBackend().catch(() => null);
  loaded = [await loadWasmBackend(), ...(native ? [native] : [])];
  const range = { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper };
  for (const f of manifest.fixtures) {
    const frame = await decodeRgb(await readFile(clutterFixturePath(f.file)));
    cases.push({ name: f.file, frame, params: range });
    cases.push({ name: `${f.file} denoise 3`, frame, params: { ...range, denoise: 3 } });
    if (f.roi) cases.push({ name: `${f.file} roi denoise ${f.denoise || 5}`, frame, params: { ...range, roi: f.roi, denoise: f.denoise || 5 } });
  }
  for (const p of await listSamplePhotos()) cases.push({ name: p, frame: await decodeRgb(await readFile(p)), params: range });
});

function job({ frame, params }: (typeof cases)[number]): Cv2Job {
  const size = params.roi ? rectifiedSize(params.roi) : null;
  return {
    rgb: frame.data,
    width: frame.width,
    height: frame.height,
    lower: params.hsvLower,
    upper: params.hsvUpper,
    denoise: params.denoise ?? 0,
    roi: params.roi ?? null,
    ...(size ? { regionWidth: size.width, regionHeight: size.height } : {}),
  };
}

describe('OpenCV Python binding parity', () => {
  it('gives the same mat and region pixel counts as cv2 on the same pixels', async () => {
    const reference = await cv2Counts(cases.map(job));
    expect(reference.opencv).toMatch(/^4\./);
    expect(reference.results).toHaveLength(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(25);
    cases.forEach((c, i) => {
      const ref = reference.results[i]!;
      for (const b of loaded) {
        const a = b.analyze(c.frame, c.params);
        expect({ matPixels: a.matPixels, regionPixels: a.regionPixels }, `${b.name}: ${c.name}`).toEqual(ref);
      }
    });
  });
});
