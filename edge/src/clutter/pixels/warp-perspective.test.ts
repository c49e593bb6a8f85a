/**
 * The planned JS warp against opencv.js's warpPerspective (INTER_LINEAR, BORDER_REPLICATE),
 * the call the WASM backend used to make: byte-identical output on random images and random
 * quads (also reaching outside the image, where the border is replicated), tiny and 1080p.
 * (backends.test.ts compares the rectified regions with native OpenCV's as well.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../test/helpers/seeded-random.js';
import { loadOpenCvJs, type CvJs } from '../wasm-backend.js';
import { countBits, createBitMask } from './bit-mask.js';
import { inRangeBits, rgbRangeTable } from './in-range-bits.js';
import { invert3x3, planWarp, warpInRangeBits, warpWithPlan } from './warp-perspective.js';

let cv: CvJs;

beforeAll(async () => {
  ({ cv } = await loadOpenCvJs());
});

type Quad = [number, number][];

function transform(quad: Quad, width: number, height: number): number[] {
  const src = cv.matFromArray(4, 1, cv.CV_32FC2, quad.flat());
  const dst = cv.matFromArray(4, 1, cv.CV_32FC2, [0, 0, width, 0, width, height, 0, height]);
  const m = cv.getPerspectiveTransform(src, dst);
  try {
    return Array.from(m.data64F);
  } finally {
    for (const x of [src, dst, m]) x.delete();
  }
}

function opencvWarp(rgb: Uint8Array, sw: number, sh: number, m: number[], width: number, height: number): Uint8Array {
  const src = new cv.Mat(sh, sw, cv.CV_8UC3);
  const mat = cv.matFromArray(3, 3, cv.CV_64F, m);
  const out = new cv.Mat();
  try {
    src.data.set(rgb);
    cv.warpPerspective(src, out, mat, new cv.Size(width, height), cv.INTER_LINEAR, cv.BORDER_REPLICATE, new cv.Scalar());
    return Uint8Array.from(out.data);
  } finally {
    for (const x of [src, mat, out]) x.delete();
  }
}

/** The JS warp; also checks that the warp fused with the range scan gives the mask of its output. */
function jsWarp(rgb: Uint8Array, sw: number, sh: number, m: number[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const plan = planWarp(m, sw, sh, width, height);
  warpWithPlan(plan, rgb, out);
  const table = rgbRangeTable([0, 40, 40], [100, 255, 255]);
  const [apart, fused] = [createBitMask(width, height), createBitMask(width, height)];
  const count = inRangeBits(out, 3, table, apart);
  expect(warpInRangeBits(plan, rgb, table, fused)).toBe(count);
  expect(Buffer.from(fused.words.buffer).equals(Buffer.from(apart.words.buffer))).toBe(true);
  expect(countBits(fused)).toBe(count);
  fusedSetPixels += count;
  return out;
}
let fusedSetPixels = 0;

/** Byte positions where the two differ (first few), for a readable failure. */
function differences(a: Uint8Array, b: Uint8Array): number[] {
  const at: number[] = [];
  for (let i = 0; i < a.length && at.length < 5; i++) if (a[i] !== b[i]) at.push(i);
  return a.length === b.length ? at : [-1];
}

describe('warpPerspective INTER_LINEAR + BORDER_REPLICATE in JS (vs opencv.js)', () => {
  it('inverts the transform exactly as cv::invert does', () => {
    const random = seededRandom(3);
    for (let k = 0; k < 50; k++) {
      const quad: Quad = [[random.int(50), random.int(50)], [200 + random.int(50), random.int(50)], [200 + random.int(50), 150 + random.int(50)], [random.int(50), 150 + random.int(50)]];
      const m = transform(quad, 100 + random.int(200), 80 + random.int(100));
      const a = cv.matFromArray(3, 3, cv.CV_64F, m);
      const inv = new cv.Mat();
      try {
        cv.invert(a, inv, cv.DECOMP_LU);
        expect(invert3x3(m)).toEqual(Array.from(inv.data64F));
      } finally {
        a.delete();
        inv.delete();
      }
    }
    expect(() => invert3x3([1, 2, 3, 2, 4, 6, 0, 0, 1])).toThrow(/not invertible/);
  });

  it('gives the same bytes on random images and quads, inside and across the image border', () => {
    const random = seededRandom(16);
    let compared = 0;
    for (let k = 0; k < 60; k++) {
      const sw = 1 + random.int(90);
      const sh = 1 + random.int(70);
      const rgb = random.bytes(sw * sh * 3);
      // Corners up to 25 px outside the image: the border is replicated there.
      const corner = (x: number, y: number): [number, number] => [x + random.next() * 50 - 25, y + random.next() * 50 - 25];
      const quad: Quad = [corner(0, 0), corner(sw, 0), corner(sw, sh), corner(0, sh)];
      const width = 1 + random.int(150);
      const height = 1 + random.int(60);
      const m = transform(quad, width, height);
      const want = opencvWarp(rgb, sw, sh, m, width, height);
      expect(differences(jsWarp(rgb, sw, sh, m, width, height), want), `case ${k}: ${sw}×${sh} → ${width}×${height}`).toEqual([]);
      compared += want.length;
    }
    expect(compared).toBeGreaterThan(100_000);
    // The fused scan was compared on masks that are not empty.
    expect(fusedSetPixels).toBeGreaterThan(compared / 3 / 10);
  });

  it('gives the same bytes for a 1080p frame rectified to 1650×835 (the bench mat)', () => {
    const random = seededRandom(1080);
    const [sw, sh] = [1920, 1080];
    const rgb = random.bytes(sw * sh * 3);
    const m = transform([[300, 130], [1650, 170], [1790, 990], [140, 950]], 1650, 835);
    const want = opencvWarp(rgb, sw, sh, m, 1650, 835);
    expect(differences(jsWarp(rgb, sw, sh, m, 1650, 835), want)).toEqual([]);
  });

  it('rejects buffers that do not fit the plan', () => {
    const plan = planWarp([1, 0, 0, 0, 1, 0, 0, 0, 1], 10, 10, 5, 5);
    expect(() => warpWithPlan(plan, new Uint8Array(299), new Uint8Array(75))).toThrow(RangeError);
    expect(() => warpWithPlan(plan, new Uint8Array(300), new Uint8Array(74))).toThrow(RangeError);
    expect(() => planWarp([1, 0, 0, 0, 1, 0, 0, 0, 1], 0, 10, 5, 5)).toThrow(RangeError);
    expect(() => warpInRangeBits(plan, new Uint8Array(300), new Int32Array(1 << 19), createBitMask(5, 4))).toThrow(/differ in size/);
    expect(() => warpInRangeBits(plan, new Uint8Array(300), new Int32Array(8), createBitMask(5, 5))).toThrow(/rgbRangeTable/);
  });
});
