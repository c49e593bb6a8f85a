/**
 * cv::erode / cv::dilate (and so MORPH_CLOSE / MORPH_OPEN) of a binary image on the bit mask
 * of bit-mask.ts, bit-identical to OpenCV with its default border (BORDER_CONSTANT with
 * morphologyDefaultBorderValue(): pixels outside the image never change a result — erode sees
 * them as set, dilate as clear) for any structuring element, e.g. getStructuringElement's
 * ellipse. Tested against opencv.js. opencv.js (single-threaded, no SIMD) takes ≈ 55 ms per
 * 5×5 pass on a 1650×835 mask; this does 32 pixels per word operation.
 *
 * OpenCV's definition (anchor a, element K): dilate(x, y) = max over K(i, j) ≠ 0 of
 * src(x + j − a.x, y + i − a.y), erode the same with min. An element is split into runs:
 * row offset dy and a horizontal span [dx0, dx1] of consecutive non-zeros. Rows sharing a span
 * share one horizontal pass (word shifts and OR/AND), then each dy folds that pass in
 * vertically (whole words). The 5×5 ellipse has two spans: [−2, 2] for dy −1…1, [0, 0] for ±2.
 */
import { setPadding, type BitMask } from './bit-mask.js';

/** Rows of a structuring element that share one horizontal span. */
export interface SpanGroup {
  dx0: number;
  dx1: number;
  dys: number[];
}

/**
 * The span groups of a structuring element given as kw × kh bytes (non-zero = part of it),
 * anchor (ax, ay), −1 = centre (OpenCV's normalizeAnchor).
 */
export function spanGroups(element: ArrayLike<number>, kw: number, kh: number, ax = -1, ay = -1): SpanGroup[] {
  if (element.length !== kw * kh) throw new RangeError(`structuring element has ${element.length} values, not ${kw}×${kh}`);
  const cx = ax < 0 ? kw >> 1 : ax;
  const cy = ay < 0 ? kh >> 1 : ay;
  const groups = new Map<string, SpanGroup>();
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; ) {
      if (!element[i * kw + j]) {
        j++;
        continue;
      }
      const start = j;
      while (j < kw && element[i * kw + j]) j++;
      const dx0 = start - cx;
      const dx1 = j - 1 - cx;
      const key = `${dx0},${dx1}`;
      const g = groups.get(key) ?? { dx0, dx1, dys: [] };
      g.dys.push(i - cy);
      groups.set(key, g);
    }
  }
  return [...groups.values()];
}

/** Word `i` of the row starting at `row` (`stride` words), `fill` beyond either end. */
function wordAt(words: Int32Array, row: number, stride: number, i: number, fill: number): number {
  return i >= 0 && i < stride ? words[row + i]! : fill;
}

/**
 * dst = src OP-combined over horizontal offsets dx0…dx1: dst(x) = OP src(x + dx), where
 * OP is AND (erode) or OR (dilate) and pixels beyond the row are `fill` (the neutral value).
 */
function horizontal(src: BitMask, dst: Int32Array, dx0: number, dx1: number, erode: boolean): void {
  const { stride, height, words } = src;
  const fill = erode ? -1 : 0;
  dst.fill(fill);
  for (let dx = dx0; dx <= dx1; dx++) {
    const q = dx >> 5;
    const r = dx & 31;
    for (let y = 0, row = 0; y < height; y++, row += stride) {
      // Pixel x takes source pixel x + dx: bits r… of word k + q, then the low r bits of k + q + 1.
      let lo = wordAt(words, row, stride, q, fill);
      for (let k = 0; k < stride; k++) {
        const hi = wordAt(words, row, stride, k + q + 1, fill);
        const w = r === 0 ? lo : (lo >>> r) | (hi << (32 - r));
        dst[row + k] = erode ? dst[row + k]! & w : dst[row + k]! | w;
        lo = hi;
      }
    }
  }
}

function morph(src: BitMask, dst: BitMask, groups: readonly SpanGroup[], scratch: BitMask, erode: boolean): void {
  const { stride, height } = src;
  for (const m of [dst, scratch]) {
    if (m.width !== src.width || m.height !== height) throw new RangeError('masks of different sizes');
  }
  if (dst === src || scratch === src || scratch === dst) throw new RangeError('src, dst and scratch must be different masks');
  setPadding(src, erode);
  const out = dst.words;
  out.fill(erode ? -1 : 0);
  for (const g of groups) {
    let rows = src.words;
    if (g.dx0 !== 0 || g.dx1 !== 0) {
      horizontal(src, scratch.words, g.dx0, g.dx1, erode);
      rows = scratch.words;
    }
    for (const dy of g.dys) {
      // Rows y + dy outside the image are neutral: only fold in rows that exist.
      const y0 = Math.max(0, -dy);
      const y1 = Math.min(height, height - dy);
      for (let i = y0 * stride, j = (y0 + dy) * stride, end = y1 * stride; i < end; i++, j++) {
        out[i] = erode ? out[i]! & rows[j]! : out[i]! | rows[j]!;
      }
    }
  }
  setPadding(src, false);
  setPadding(dst, false);
}

/** cv::erode with the default border; src, dst and scratch are distinct masks of one size. */
export function erodeBits(src: BitMask, dst: BitMask, groups: readonly SpanGroup[], scratch: BitMask): void {
  morph(src, dst, groups, scratch, true);
}

/** cv::dilate with the default border; src, dst and scratch are distinct masks of one size. */
export function dilateBits(src: BitMask, dst: BitMask, groups: readonly SpanGroup[], scratch: BitMask): void {
  morph(src, dst, groups, scratch, false);
}

/**
 * The clutter pipeline's denoise: MORPH_CLOSE then MORPH_OPEN with one element, in place on
 * `mask`; `a` and `b` are scratch masks of the same size.
 */
export function closeThenOpenBits(mask: BitMask, groups: readonly SpanGroup[], a: BitMask, b: BitMask): void {
  dilateBits(mask, a, groups, b);
  erodeBits(a, mask, groups, b);
  erodeBits(mask, a, groups, b);
  dilateBits(a, mask, groups, b);
}
