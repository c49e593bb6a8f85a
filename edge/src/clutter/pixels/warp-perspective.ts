/**
 * cv::warpPerspective(src, dst, M, size, INTER_LINEAR, BORDER_REPLICATE) of an 8-bit RGB
 * image, bit-identical to OpenCV's fixed-point implementation (imgwarp.cpp:
 * WarpPerspectiveInvoker + remapBilinear), split in two so the per-frame part is cheap:
 *
 * - planWarp (once per ROI and frame size): M is inverted as cv::invert does a 3×3 (closed
 *   form, DECOMP_LU); every output pixel's source position is computed in doubles exactly as
 *   OpenCV does, in its 64-pixel-wide blocks (the block start enters the rounding), scaled by
 *   INTER_TAB_SIZE = 32 and rounded half to even (cvRound): integer part = top-left tap,
 *   low 5 bits per axis = the bilinear weights' index. Taps outside the frame are clamped
 *   (BORDER_REPLICATE).
 * - warpWithPlan (every frame): per channel (Σ tap · w + 2^9) >> 10 with
 *   w = (32 − fx | fx)·(32 − fy | fy), which is OpenCV's
 *   (Σ tap · 32·w + 2^14) >> 15 (INTER_REMAP_COEF_BITS 15; its table BilinearTab_i holds 32·w,
 *   exact in float, except 32767 for the weight 32768 of an integer position, which rounds
 *   to the same pixel).
 */

import { popcount, type BitMask } from './bit-mask.js';

const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
/** OpenCV's block width for the coordinate computation (BLOCK_SZ 32: bw0 = min(32·32 / bh0, width)). */
const BLOCK_AREA = 32 * 32;

export interface WarpPlan {
  readonly srcWidth: number;
  readonly srcHeight: number;
  readonly width: number;
  readonly height: number;
  /**
   * Two numbers per output pixel, interleaved (one memory stream while warping): the byte
   * offset of its top-left tap in the source, then fx | fy << 5 | (right tap differs) << 10 |
   * (lower tap differs) << 11.
   */
  readonly taps: Int32Array;
}

/** cv::invert of a 3×3 double matrix (row-major) the way OpenCV does it for n ≤ 3. */
export function invert3x3(m: ArrayLike<number>): number[] {
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = Array.from({ length: 9 }, (_, i) => m[i]!) as [number, number, number, number, number, number, number, number, number];
  const det = m0 * (m4 * m8 - m5 * m7) - m1 * (m3 * m8 - m5 * m6) + m2 * (m3 * m7 - m4 * m6);
  if (det === 0 || !Number.isFinite(det)) throw new RangeError('the perspective transform is not invertible');
  const d = 1 / det;
  return [
    (m4 * m8 - m5 * m7) * d,
    (m2 * m7 - m1 * m8) * d,
    (m1 * m5 - m2 * m4) * d,
    (m5 * m6 - m3 * m8) * d,
    (m0 * m8 - m2 * m6) * d,
    (m2 * m3 - m0 * m5) * d,
    (m3 * m7 - m4 * m6) * d,
    (m1 * m6 - m0 * m7) * d,
    (m0 * m4 - m1 * m3) * d,
  ];
}

/** cvRound: nearest integer, ties to even (the FPU's default rounding). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** saturate_cast<short>. */
function toShort(v: number): number {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

function clamp(v: number, hi: number): number {
  return v < 0 ? 0 : v > hi ? hi : v;
}

/**
 * The per-pixel source taps and weights of warpPerspective with `forward` (the 3×3 matrix
 * getPerspectiveTransform returns, mapping source to destination), for a srcWidth × srcHeight
 * RGB source and a width × height destination.
 */
export function planWarp(forward: ArrayLike<number>, srcWidth: number, srcHeight: number, width: number, height: number): WarpPlan {
  if (srcWidth < 1 || srcHeight < 1 || width < 1 || height < 1) throw new RangeError(`bad warp sizes ${srcWidth}×${srcHeight} → ${width}×${height}`);
  const M = invert3x3(forward);
  const taps = new Int32Array(2 * width * height);
  const stride = srcWidth * 3;
  let bh0 = Math.min(INTER_TAB_SIZE / 2, height);
  const bw0 = Math.min(Math.trunc(BLOCK_AREA / bh0), width);
  bh0 = Math.min(Math.trunc(BLOCK_AREA / bw0), height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x += bw0) {
      const bw = Math.min(bw0, width - x);
      const X0 = M[0]! * x + M[1]! * y + M[2]!;
      const Y0 = M[3]! * x + M[4]! * y + M[5]!;
      const W0 = M[6]! * x + M[7]! * y + M[8]!;
      for (let x1 = 0, i = y * width + x; x1 < bw; x1++, i++) {
        let W = W0 + M[6]! * x1;
        W = W ? INTER_TAB_SIZE / W : 0;
        const fX = Math.max(INT_MIN, Math.min(INT_MAX, (X0 + M[0]! * x1) * W));
        const fY = Math.max(INT_MIN, Math.min(INT_MAX, (Y0 + M[3]! * x1) * W));
        const X = roundHalfEven(fX) | 0;
        const Y = roundHalfEven(fY) | 0;
        const sx = toShort(X >> INTER_BITS);
        const sy = toShort(Y >> INTER_BITS);
        const x0 = clamp(sx, srcWidth - 1);
        const y0 = clamp(sy, srcHeight - 1);
        const right = clamp(sx + 1, srcWidth - 1) !== x0 ? 1 : 0;
        const down = clamp(sy + 1, srcHeight - 1) !== y0 ? 1 : 0;
        taps[2 * i] = y0 * stride + x0 * 3;
        taps[2 * i + 1] = (X & (INTER_TAB_SIZE - 1)) | ((Y & (INTER_TAB_SIZE - 1)) << INTER_BITS) | (right << 10) | (down << 11);
      }
    }
  }
  return { srcWidth, srcHeight, width, height, taps };
}

/** Bilinear weights w00, w01, w10, w11 (sum 1024) per 10-bit tap index fx | fy << 5. */
const WEIGHTS = new Int32Array(4 * INTER_TAB_SIZE * INTER_TAB_SIZE);
for (let fy = 0; fy < INTER_TAB_SIZE; fy++) {
  for (let fx = 0; fx < INTER_TAB_SIZE; fx++) {
    const k = 4 * (fx | (fy << INTER_BITS));
    WEIGHTS[k] = (INTER_TAB_SIZE - fx) * (INTER_TAB_SIZE - fy);
    WEIGHTS[k + 1] = fx * (INTER_TAB_SIZE - fy);
    WEIGHTS[k + 2] = (INTER_TAB_SIZE - fx) * fy;
    WEIGHTS[k + 3] = fx * fy;
  }
}

/** The warped colour of plan pixel i, packed r << 16 | g << 8 | b. */
function warpedColour(src: Uint8Array, stride: number, taps: Int32Array, i: number): number {
  const a = taps[2 * i]!;
  const t = taps[2 * i + 1]!;
  const b = a + ((t >> 10) & 1) * 3;
  const c = a + ((t >> 11) & 1) * stride;
  const d = c + (b - a);
  const k = (t & 1023) << 2;
  const w0 = WEIGHTS[k]!;
  const w1 = WEIGHTS[k + 1]!;
  const w2 = WEIGHTS[k + 2]!;
  const w3 = WEIGHTS[k + 3]!;
  return (
    (((src[a]! * w0 + src[b]! * w1 + src[c]! * w2 + src[d]! * w3 + 512) >> 10) << 16) |
    (((src[a + 1]! * w0 + src[b + 1]! * w1 + src[c + 1]! * w2 + src[d + 1]! * w3 + 512) >> 10) << 8) |
    ((src[a + 2]! * w0 + src[b + 2]! * w1 + src[c + 2]! * w2 + src[d + 2]! * w3 + 512) >> 10)
  );
}

function checkSource(plan: WarpPlan, src: Uint8Array): number {
  const stride = plan.srcWidth * 3;
  if (src.length < stride * plan.srcHeight) throw new RangeError(`source needs ${stride * plan.srcHeight} bytes, got ${src.length}`);
  return stride;
}

/** Warps `src` (srcWidth × srcHeight RGB) into `dst` (width × height RGB) with a plan. */
export function warpWithPlan(plan: WarpPlan, src: Uint8Array, dst: Uint8Array): void {
  const { taps, width, height } = plan;
  const stride = checkSource(plan, src);
  if (dst.length < width * height * 3) throw new RangeError(`destination needs ${width * height * 3} bytes, got ${dst.length}`);
  for (let i = 0, o = 0, n = width * height; i < n; i++, o += 3) {
    const colour = warpedColour(src, stride, taps, i);
    dst[o] = colour >>> 16;
    dst[o + 1] = (colour >>> 8) & 255;
    dst[o + 2] = colour & 255;
  }
}

/**
 * warpWithPlan fused with inRangeBits (in-range-bits.ts): each warped pixel goes straight
 * through the colour table into `out` (the plan's size), without writing the region. Same
 * result as the two steps; saves a region-sized write and read per frame. Returns the number
 * of set pixels.
 */
export function warpInRangeBits(plan: WarpPlan, src: Uint8Array, rangeTable: Int32Array, out: BitMask): number {
  const { taps, width, height } = plan;
  const stride = checkSource(plan, src);
  if (out.width !== width || out.height !== height) throw new RangeError('mask and plan differ in size');
  if (rangeTable.length !== 1 << 19) throw new RangeError('not a colour table from rgbRangeTable');
  const words = out.words;
  let count = 0;
  // Row by row (each row starts a word), 32 pixels per word.
  for (let y = 0, i = 0; y < height; y++) {
    for (let w = y * out.stride, x = 0; x < width; w++) {
      const run = Math.min(32, width - x);
      let word = 0;
      for (let k = 0; k < run; k++, i++) {
        const colour = warpedColour(src, stride, taps, i);
        word |= ((rangeTable[colour >>> 5]! >>> (colour & 31)) & 1) << k;
      }
      words[w] = word;
      count += popcount(word);
      x += run;
    }
  }
  return count;
}
