/**
 * The HSV range test, its colour table and the bit-mask scan against opencv.js itself
 * (cvtColor RGB2HSV + inRange + countNonZero), the pipeline they replace in the WASM backend:
 * every 8-bit RGB colour, random images of awkward widths, and edge-case bounds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../test/helpers/seeded-random.js';
import { loadOpenCvJs, type CvJs } from '../wasm-backend.js';
import { countBits, createBitMask, unpackBits } from './bit-mask.js';
import { countInRange } from '../hsv.js';
import { inRangeBits, rgbRangeTable } from './in-range-bits.js';

type Hsv3 = readonly [number, number, number];
let cv: CvJs;

beforeAll(async () => {
  ({ cv } = await loadOpenCvJs());
});

/** opencv.js: the 0/255 inRange mask of an RGB image and its countNonZero. */
function opencvMask(rgb: Uint8Array, width: number, height: number, lower: Hsv3, upper: Hsv3): { mask: Uint8Array; count: number } {
  const all: { delete(): void }[] = [];
  const keep = <T extends { delete(): void }>(m: T) => (all.push(m), m);
  try {
    const src = keep(new cv.Mat(height, width, cv.CV_8UC3));
    src.data.set(rgb);
    const hsv = keep(new cv.Mat());
    cv.cvtColor(src, hsv, cv.COLOR_RGB2HSV);
    const lo = keep(cv.matFromArray(4, 1, cv.CV_64F, [...lower, 0]));
    const hi = keep(cv.matFromArray(4, 1, cv.CV_64F, [...upper, 0]));
    const dst = keep(new cv.Mat());
    cv.inRange(hsv, lo, hi, dst);
    return { mask: Uint8Array.from(dst.data), count: cv.countNonZero(dst) };
  } finally {
    for (const m of all) m.delete();
  }
}

function ours(rgb: Uint8Array, width: number, height: number, lower: Hsv3, upper: Hsv3): { mask: Uint8Array; count: number; popcount: number } {
  const bits = createBitMask(width, height);
  const count = inRangeBits(rgb, 3, rgbRangeTable(lower, upper), bits);
  // The per-pixel test (hsv.ts counts with it) must agree with its table.
  expect(countInRange(rgb, 3, lower, upper)).toBe(count);
  return { mask: unpackBits(bits, new Uint8Array(width * height), 255, 0), count, popcount: countBits(bits) };
}

const BOUNDS: [Hsv3, Hsv3][] = [
  [[35, 60, 40], [85, 255, 255]], // the default mat range
  [[0, 0, 0], [179, 255, 255]], // everything
  [[0, 100, 100], [10, 255, 255]], // reds near the hue wrap
  [[170, 0, 0], [179, 255, 255]],
  [[0, 0, 0], [179, 0, 255]], // greys only (S = 0)
  [[60, 60, 60], [60, 60, 60]], // a single HSV value
  [[90, 30, 200], [40, 255, 255]], // lower H above upper: nothing
  [[0, 0, 255], [179, 255, 0]], // lower V above upper: nothing
];

describe('HSV inRange from RGB: per pixel, as a colour table, into bits', () => {
  it('matches opencv.js on every 8-bit RGB colour', () => {
    // 4096 × 4096 pixels = each of the 2^24 colours once.
    const side = 4096;
    const rgb = new Uint8Array(side * side * 3);
    for (let i = 0; i < side * side; i++) {
      rgb[3 * i] = i >>> 16;
      rgb[3 * i + 1] = (i >>> 8) & 255;
      rgb[3 * i + 2] = i & 255;
    }
    for (const [lower, upper] of BOUNDS.slice(0, 3)) {
      const want = opencvMask(rgb, side, side, lower, upper);
      const got = ours(rgb, side, side, lower, upper);
      expect(got.count, `${lower}–${upper}`).toBe(want.count);
      expect(got.popcount).toBe(want.count);
      expect(Buffer.from(got.mask).equals(Buffer.from(want.mask)), `${lower}–${upper}`).toBe(true);
      // Pixel i has colour i: the colour table is this very mask.
      const table = { width: side * side, height: 1, stride: (side * side) / 32, words: rgbRangeTable(lower, upper) };
      expect(Buffer.from(unpackBits(table, new Uint8Array(side * side), 255, 0)).equals(Buffer.from(want.mask))).toBe(true);
    }
  });

  it('matches opencv.js on random images of widths that are not multiples of 32, for edge-case bounds', () => {
    const random = seededRandom(16);
    let nonEmpty = 0;
    const images = ([[1, 1], [31, 3], [32, 2], [33, 5], [65, 7], [100, 9], [257, 4]] as const).map(([width, height]) => ({ width, height, rgb: random.bytes(width * height * 3) }));
    // Bounds outside: the colour table is built once per bounds.
    for (const [lower, upper] of BOUNDS) {
      for (const { width, height, rgb } of images) {
        const want = opencvMask(rgb, width, height, lower, upper);
        const got = ours(rgb, width, height, lower, upper);
        expect(got.count, `${width}×${height} ${lower}–${upper}`).toBe(want.count);
        expect(got.popcount).toBe(want.count);
        expect(Buffer.from(got.mask).equals(Buffer.from(want.mask))).toBe(true);
        if (want.count > 0) nonEmpty++;
      }
    }
    // The comparison is not vacuous: 5 of the 8 bounds match pixels of random images.
    expect(nonEmpty).toBeGreaterThan(20);
  });

  it('reads RGBA (4 channels) like RGB, clears stale bits and the padding, and rejects short buffers', () => {
    const random = seededRandom(4);
    const [width, height] = [37, 3];
    const rgb = random.bytes(width * height * 3);
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, 255], 4 * i);
    const bits = createBitMask(width, height);
    bits.words.fill(-1); // stale content from a previous frame
    const [lower, upper] = BOUNDS[1]!;
    expect(inRangeBits(rgba, 4, rgbRangeTable(lower, upper), bits)).toBe(width * height);
    // Every pixel in range, and nothing set beyond the width (37 = 32 + 5 bits in the last word).
    for (let y = 0; y < height; y++) expect([bits.words[2 * y], bits.words[2 * y + 1]]).toEqual([-1, 0b11111]);
    const mat = rgbRangeTable(...BOUNDS[0]!);
    expect(ours(rgb, width, height, ...BOUNDS[0]!).count).toBe(inRangeBits(rgba, 4, mat, createBitMask(width, height)));
    expect(() => inRangeBits(rgb.subarray(1), 3, mat, createBitMask(width, height))).toThrow(RangeError);
    expect(() => inRangeBits(rgb, 3, new Int32Array(10), createBitMask(width, height))).toThrow(/rgbRangeTable/);
  });
});
