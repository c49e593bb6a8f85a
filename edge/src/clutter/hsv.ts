/**
 * RGB → HSV exactly as OpenCV's `cvtColor(…, COLOR_RGB2HSV)` does it for 8-bit images, so
 * thresholds tuned with OpenCV (or its colour pickers) mean the same here.
 *
 * OpenCV 8-bit conventions: H = degrees / 2 in 0–179, S and V in 0–255. Its integer
 * algorithm (imgproc/src/color_hsv.simd.hpp, RGB2HSV_b; the SIMD path is bit-identical):
 *
 *   v = max(r,g,b), diff = v − min(r,g,b)
 *   s = (diff · sdiv[v] + 2^11) >> 12              sdiv[i] = round(255·2^12 / i), sdiv[0] = 0
 *   h' = g − b              if v = r
 *        b − r + 2·diff     else if v = g
 *        r − g + 4·diff     otherwise
 *   h = (h' · hdiv[diff] + 2^11) >> 12             hdiv[i] = round(180·2^12 / (6·i)), hdiv[0] = 0
 *   h += 180 if h < 0
 *
 * `>>` is an arithmetic shift (floor), which is why e.g. (255,0,1) gives H 0, not 180.
 * The tables live in pixels/hsv-tables.ts; the range test used here is the one the WASM
 * backend builds its colour table from (pixels/in-range-bits.ts).
 */
import { HDIV, HSV_HALF as HALF, HSV_SHIFT, SDIV } from './pixels/hsv-tables.js';
import { hsvRangeTest } from './pixels/in-range-bits.js';

/** An HSV triple in OpenCV 8-bit units. */
export type Hsv = readonly [h: number, s: number, v: number];

/** Converts one 8-bit RGB pixel to OpenCV 8-bit HSV. */
export function rgbToHsvOpenCv(r: number, g: number, b: number): [h: number, s: number, v: number] {
  const v = Math.max(r, g, b);
  const diff = v - Math.min(r, g, b);
  const s = (diff * SDIV[v]! + HALF) >> HSV_SHIFT;
  const hp = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
  let h = (hp * HDIV[diff]! + HALF) >> HSV_SHIFT;
  if (h < 0) h += 180;
  return [h, s, v];
}

function checkLayout(pixels: Uint8Array, channels: number): number {
  if (!Number.isInteger(channels) || channels < 3) throw new RangeError(`need at least 3 interleaved channels (RGB), got ${channels}`);
  if (pixels.length % channels !== 0) throw new RangeError(`buffer of ${pixels.length} bytes is not a whole number of ${channels}-channel pixels`);
  return pixels.length / channels;
}

/** Number of pixels of an interleaved RGB(A) buffer whose HSV lies in [lower, upper]. */
export function countInRange(pixels: Uint8Array, channels: number, lower: Hsv, upper: Hsv): number {
  const n = checkLayout(pixels, channels);
  const inRange = hsvRangeTest(lower, upper);
  let count = 0;
  for (let i = 0, o = 0; i < n; i++, o += channels) if (inRange(pixels[o]!, pixels[o + 1]!, pixels[o + 2]!)) count++;
  return count;
}

/** Per-pixel mask (1 = in range, 0 = not), like cv::inRange but 0/1 instead of 0/255. */
export function inRangeMask(pixels: Uint8Array, channels: number, lower: Hsv, upper: Hsv): Uint8Array {
  const n = checkLayout(pixels, channels);
  const inRange = hsvRangeTest(lower, upper);
  const mask = new Uint8Array(n);
  for (let i = 0, o = 0; i < n; i++, o += channels) if (inRange(pixels[o]!, pixels[o + 1]!, pixels[o + 2]!)) mask[i] = 1;
  return mask;
}
