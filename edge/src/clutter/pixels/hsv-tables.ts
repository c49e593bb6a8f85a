/**
 * OpenCV's fixed-point division tables for 8-bit RGB → HSV (imgproc/src/color_hsv.simd.hpp,
 * RGB2HSV_b), shared by the per-pixel conversion (hsv.ts) and the in-range scan
 * (in-range-bits.ts) so both stay bit-identical to cvtColor.
 *
 *   s = (diff · SDIV[v] + HSV_HALF) >> HSV_SHIFT
 *   h = (h' · HDIV[diff] + HSV_HALF) >> HSV_SHIFT, + 180 when negative
 */
export const HSV_SHIFT = 12;
export const HSV_HALF = 1 << (HSV_SHIFT - 1);
/** SDIV[i] = round(255·2^12 / i), SDIV[0] = 0. */
export const SDIV = new Int32Array(256);
/** HDIV[i] = round(180·2^12 / (6·i)), HDIV[0] = 0. */
export const HDIV = new Int32Array(256);
// Exact ties never occur for these quotients, so Math.round matches OpenCV's saturate_cast.
for (let i = 1; i < 256; i++) {
  SDIV[i] = Math.round((255 << HSV_SHIFT) / i);
  HDIV[i] = Math.round((180 << HSV_SHIFT) / (6 * i));
}
