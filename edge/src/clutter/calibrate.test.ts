import { readFile } from 'node:fs/promises';
import { isMierukaError } from '@mieruka/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { clutterFixturePath, loadClutterManifest, type ClutterFixtureManifest } from '../../../test/fixtures/clutter/fixtures.js';
import type { ClutterBackend } from './backend.js';
import { calibrateMat, quadFromContour } from './calibrate.js';
import { ClutterScorer } from './clutter-scorer.js';
import { decodeRgb } from './decode-image.js';
import { rgbToHsvOpenCv } from './hsv.js';
import { loadNativeBackend } from './native-backend.js';
import { listSamplePhotos } from './sample-photos.js';
import { loadWasmBackend } from './wasm-backend.js';

let manifest: ClutterFixtureManifest;
let loaded: ClutterBackend[];

beforeAll(async () => {
  manifest = await loadClutterManifest();
  const native = await loadNativeBackend().catch(() => null);
  loaded = [await loadWasmBackend(), ...(native ? [native] : [])];
});

const fixture = (kind: string) => manifest.fixtures.find((f) => f.kind === kind)!;

describe('calibrateMat', () => {
  it('finds the corners of the empty mat seen at an angle and a range that scores it ~0', async () => {
    const empty = fixture('calibration');
    const frame = await decodeRgb(await readFile(clutterFixturePath(empty.file)));
    const results = loaded.map((b) => calibrateMat(b, frame));
    for (const c of results) {
      expect(c.roi).not.toBeNull();
      c.roi!.forEach(([x, y], i) => {
        const [ex, ey] = empty.roi![i]!;
        expect(Math.hypot(x - ex, y - ey), `corner ${i}: ${x},${y} vs ${ex},${ey}`).toBeLessThanOrEqual(4);
      });
      expect(c.matShare).toBeGreaterThan(0.5);
      expect(c.matShare).toBeLessThan(0.65);
      // The mat colour (OpenCV HSV ≈ 65,173,140) is well inside; the wooden bench is not.
      const [h, s, v] = rgbToHsvOpenCv(45, 140, 60);
      expect(h).toBeGreaterThanOrEqual(c.hsvLower[0]);
      expect(h).toBeLessThanOrEqual(c.hsvUpper[0]);
      expect(s).toBeGreaterThanOrEqual(c.hsvLower[1]);
      expect(v).toBeGreaterThanOrEqual(c.hsvLower[2]);
      expect(rgbToHsvOpenCv(168, 124, 82)[0]).toBeLessThan(c.hsvLower[0]);
      expect(c.hsvUpper).toEqual([c.hsvUpper[0], 255, 255]);
      expect(c.check.score).toBeLessThanOrEqual(1);
      expect(c.stats.pixels).toBeGreaterThan(100_000);
      expect(c.stats.h.p005).toBeLessThanOrEqual(c.stats.h.p50);
      expect(c.stats.h.p50).toBeLessThanOrEqual(c.stats.h.p995);
    }
    // Same proposal whichever backend computed it.
    for (const c of results.slice(1)) expect({ ...c, backend: 'x' }).toEqual({ ...results[0], backend: 'x' });
  });

  it('proposes settings that score another photo of that bench correctly', async () => {
    const c = calibrateMat(loaded[0]!, await decodeRgb(await readFile(clutterFixturePath(fixture('calibration').file))));
    const persp = fixture('perspective');
    // Same bench, mat moved a little: re-use the range, take that photo's corners.
    const s = new ClutterScorer(loaded[0]!, { hsvLower: c.hsvLower, hsvUpper: c.hsvUpper, roi: persp.roi });
    const r = await s.score(await readFile(clutterFixturePath(persp.file)));
    expect(Math.abs(r.coveredRatio - persp.coveredRatio)).toBeLessThanOrEqual(persp.tolerance);
  });

  it('proposes no ROI when the mat fills the photo', async () => {
    const [photo] = await listSamplePhotos(); // mat-03: 3 % covered, mat to the edges
    const c = calibrateMat(loaded[0]!, await decodeRgb(await readFile(photo!)));
    expect(c.roi).toBeNull();
    expect(c.matShare).toBeGreaterThan(0.95);
    expect(c.check.score).toBeGreaterThan(2);
    expect(c.check.score).toBeLessThan(5);
  });

  it('says so when there is no green mat in the photo', async () => {
    const data = Buffer.alloc(200 * 100 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([168, 124, 82], i); // bare bench
    for (const b of loaded) {
      let err: unknown;
      try {
        calibrateMat(b, { data, width: 200, height: 100 });
      } catch (e) {
        err = e;
      }
      expect(isMierukaError(err, 'IMAGE_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/no green mat found/);
    }
  });

  it('returns four ordered corners even for a round blob', () => {
    const circle = Array.from({ length: 64 }, (_, i) => [Math.round(100 + 50 * Math.cos((i / 64) * 2 * Math.PI)), Math.round(100 + 50 * Math.sin((i / 64) * 2 * Math.PI))] as const);
    for (const b of loaded) {
      const q = quadFromContour(b, { points: circle, area: Math.PI * 2500 });
      expect(q).toHaveLength(4);
      // TL, TR, BR, BL around the centre.
      expect(q[0][0] < 100 && q[0][1] < 100 && q[1][0] > 100 && q[1][1] < 100 && q[2][0] > 100 && q[2][1] > 100 && q[3][0] < 100 && q[3][1] > 100).toBe(true);
    }
  });
});
