/**
 * Bit-mask erode / dilate / close-then-open against opencv.js's morphologyEx with the call the
 * WASM backend used to make (BORDER_CONSTANT, morphologyDefaultBorderValue(), anchor −1, −1):
 * random masks of awkward sizes, all-clear and all-set masks (where the border rule shows),
 * the denoise ellipses and other structuring elements.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../test/helpers/seeded-random.js';
import { loadOpenCvJs, type CvJs, type WMat } from '../wasm-backend.js';
import { countBits, createBitMask, packBits, unpackBits, type BitMask } from './bit-mask.js';
import { closeThenOpenBits, dilateBits, erodeBits, spanGroups, type SpanGroup } from './morphology-bits.js';

let cv: CvJs;

beforeAll(async () => {
  ({ cv } = await loadOpenCvJs());
});

type Op = 'erode' | 'dilate' | 'closeOpen';

/** A structuring element as opencv.js holds it, plus its bytes. */
interface Element {
  name: string;
  w: number;
  h: number;
  data: Uint8Array;
}

function cvElement(shape: number, w: number, h: number, name: string): Element {
  const k = cv.getStructuringElement(shape, new cv.Size(w, h));
  try {
    return { name, w, h, data: Uint8Array.from(k.data) };
  } finally {
    k.delete();
  }
}

function opencv(mask: Uint8Array, width: number, height: number, el: Element, op: Op): Uint8Array {
  const all: { delete(): void }[] = [];
  const keep = <T extends { delete(): void }>(m: T) => (all.push(m), m);
  try {
    const src = keep(new cv.Mat(height, width, cv.CV_8UC1));
    src.data.set(mask);
    const kernel = keep(cv.matFromArray(el.h, el.w, cv.CV_8UC1, el.data));
    const run = (from: WMat, code: number): WMat => {
      const to = keep(new cv.Mat());
      cv.morphologyEx(from, to, code, kernel, new cv.Point(-1, -1), 1, cv.BORDER_CONSTANT, cv.morphologyDefaultBorderValue());
      return to;
    };
    const out = op === 'erode' ? run(src, cv.MORPH_ERODE) : op === 'dilate' ? run(src, cv.MORPH_DILATE) : run(run(src, cv.MORPH_CLOSE), cv.MORPH_OPEN);
    return Uint8Array.from(out.data);
  } finally {
    for (const m of all) m.delete();
  }
}

function ours(mask: Uint8Array, width: number, height: number, el: Element, op: Op): { bytes: Uint8Array; count: number } {
  const groups = spanGroups(el.data, el.w, el.h);
  const src = packBits(mask, createBitMask(width, height));
  const a = createBitMask(width, height);
  const b = createBitMask(width, height);
  let result: BitMask = a;
  if (op === 'erode') erodeBits(src, a, groups, b);
  else if (op === 'dilate') dilateBits(src, a, groups, b);
  else {
    closeThenOpenBits(src, groups, a, b);
    result = src;
  }
  return { bytes: unpackBits(result, new Uint8Array(width * height), 255, 0), count: countBits(result) };
}

function elements(): Element[] {
  const random = seededRandom(5);
  const holes = { name: 'random 5×4 with holes', w: 5, h: 4, data: random.bytes(20, 0.5).map((v) => v & 1) };
  holes.data[0] = 1; // never empty
  return [
    ...[1, 2, 3, 4, 5, 8, 9, 33, 35, 99].map((n) => cvElement(cv.MORPH_ELLIPSE, n, n, `ellipse ${n}`)),
    cvElement(cv.MORPH_RECT, 3, 5, 'rect 3×5'),
    cvElement(cv.MORPH_RECT, 34, 1, 'rect 34×1'),
    cvElement(cv.MORPH_RECT, 80, 3, 'rect 80×3'),
    cvElement(cv.MORPH_CROSS, 5, 5, 'cross 5'),
    holes,
  ];
}

function same(width: number, height: number, mask: Uint8Array, el: Element, op: Op): number {
  const want = opencv(mask, width, height, el, op);
  const got = ours(mask, width, height, el, op);
  const label = `${op} ${el.name} on ${width}×${height}`;
  expect(Buffer.from(got.bytes).equals(Buffer.from(want)), label).toBe(true);
  expect(got.count, label).toBe(want.reduce((n, v) => n + (v ? 1 : 0), 0));
  return got.count;
}

describe('morphology on bit masks (vs opencv.js)', () => {
  it('splits the 5×5 ellipse into a 5-wide span over three rows and the centre column', () => {
    const el = cvElement(cv.MORPH_ELLIPSE, 5, 5, 'ellipse 5');
    // OpenCV's 5×5 ellipse: 0 0 1 0 0 / 1 1 1 1 1 (×3) / 0 0 1 0 0
    expect([...el.data]).toEqual([0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0]);
    const byDx = (g: SpanGroup[]) => [...g].sort((x, y) => x.dx0 - y.dx0);
    expect(byDx(spanGroups(el.data, 5, 5))).toEqual([
      { dx0: -2, dx1: 2, dys: [-1, 0, 1] },
      { dx0: 0, dx1: 0, dys: [-2, 2] },
    ]);
    expect(() => spanGroups(el.data, 4, 5)).toThrow(RangeError);
  });

  it('erode, dilate and close-then-open give the same pixels on random masks of awkward sizes', () => {
    const random = seededRandom(16);
    const counts = new Set<number>();
    for (const el of elements()) {
      for (const [width, height] of [[1, 1], [2, 3], [5, 2], [31, 6], [32, 5], [33, 7], [64, 4], [65, 9], [97, 40]] as const) {
        for (const density of [0.1, 0.5, 0.9]) {
          const mask = random.bytes(width * height, density);
          for (const op of ['erode', 'dilate', 'closeOpen'] as const) counts.add(same(width, height, mask, el, op));
        }
      }
    }
    // Not a comparison of empty results: the outputs vary widely.
    expect(counts.size).toBeGreaterThan(150);
  });

  it('treats the outside as neutral: all-set stays set under erosion, all-clear stays clear under dilation', () => {
    for (const el of elements()) {
      for (const [width, height] of [[33, 7], [64, 3], [1, 9]] as const) {
        const n = width * height;
        for (const op of ['erode', 'dilate', 'closeOpen'] as const) {
          expect(same(width, height, new Uint8Array(n).fill(255), el, op)).toBe(n);
          expect(same(width, height, new Uint8Array(n), el, op)).toBe(0);
        }
      }
    }
  });

  it('grows a single pixel into the element, clipped at every border position (and shrinks a single hole likewise)', () => {
    const el = cvElement(cv.MORPH_ELLIPSE, 5, 5, 'ellipse 5');
    const [width, height] = [35, 6];
    const n = width * height;
    for (let p = 0; p < n; p++) {
      const x = p % width;
      const y = Math.floor(p / width);
      // Element pixels that land inside the image around p (the ellipse is symmetric).
      let reach = 0;
      for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) if (el.data[i * 5 + j] && x + j - 2 >= 0 && x + j - 2 < width && y + i - 2 >= 0 && y + i - 2 < height) reach++;
      const one = new Uint8Array(n);
      one[p] = 255;
      expect(same(width, height, one, el, 'dilate')).toBe(reach);
      const hole = new Uint8Array(n).fill(255);
      hole[p] = 0;
      expect(same(width, height, hole, el, 'erode')).toBe(n - reach);
    }
  });

  it('rejects masks of different sizes and aliased buffers', () => {
    const groups = spanGroups([1, 1, 1], 3, 1);
    const a = createBitMask(40, 3);
    expect(() => dilateBits(a, createBitMask(41, 3), groups, createBitMask(40, 3))).toThrow(RangeError);
    expect(() => erodeBits(a, a, groups, createBitMask(40, 3))).toThrow(RangeError);
    // A run 40…45 px right of the anchor: neither within a word's reach nor splittable.
    const far = spanGroups([...new Array<number>(40).fill(0), 1, 1, 1, 1, 1, 1], 46, 1, 0, 0);
    expect(() => dilateBits(a, createBitMask(40, 3), far, createBitMask(40, 3))).toThrow(/neither contains the anchor/);
  });
});
