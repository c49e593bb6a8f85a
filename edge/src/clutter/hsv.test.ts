import { describe, expect, it } from 'vitest';
import { countInRange, inRangeMask, rgbToHsvOpenCv } from './hsv.js';

describe('rgbToHsvOpenCv (OpenCV COLOR_RGB2HSV, 8-bit)', () => {
  it('maps the primaries to OpenCV half-degree hues', () => {
    expect(rgbToHsvOpenCv(255, 0, 0)).toEqual([0, 255, 255]);
    expect(rgbToHsvOpenCv(0, 255, 0)).toEqual([60, 255, 255]);
    expect(rgbToHsvOpenCv(0, 0, 255)).toEqual([120, 255, 255]);
    expect(rgbToHsvOpenCv(255, 255, 0)).toEqual([30, 255, 255]);
    expect(rgbToHsvOpenCv(0, 255, 255)).toEqual([90, 255, 255]);
    expect(rgbToHsvOpenCv(255, 0, 255)).toEqual([150, 255, 255]);
  });

  it('gives greys zero saturation and hue', () => {
    expect(rgbToHsvOpenCv(0, 0, 0)).toEqual([0, 0, 0]);
    expect(rgbToHsvOpenCv(128, 128, 128)).toEqual([0, 0, 128]);
    expect(rgbToHsvOpenCv(255, 255, 255)).toEqual([0, 0, 255]);
  });

  // Expected values worked by hand with OpenCV's fixed-point tables (see hsv.ts).
  it('matches hand-computed mixed colours, including OpenCV rounding', () => {
    // v=140 (g), diff=95: s=(95·7461+2048)>>12=173, h=(205·1293+2048)>>12=65
    expect(rgbToHsvOpenCv(45, 140, 60)).toEqual([65, 173, 140]);
    // v=200 (r), diff=150: h=(50·819+2048)>>12=10, s=(150·5222+2048)>>12=191
    expect(rgbToHsvOpenCv(200, 100, 50)).toEqual([10, 191, 200]);
    // v=230 (r), diff=190: h=(160·647+2048)>>12=25, s=(190·4541+2048)>>12=211
    expect(rgbToHsvOpenCv(230, 200, 40)).toEqual([25, 211, 230]);
    // v=30 (b), diff=20: h=(70·6144+2048)>>12=105 (105.5 floors), s=(20·34816+2048)>>12=170
    expect(rgbToHsvOpenCv(10, 20, 30)).toEqual([105, 170, 30]);
  });

  it('wraps negative hues the OpenCV way (arithmetic shift, then +180)', () => {
    // h' = -10: (-10·482+2048)>>12 = -1 → 179
    expect(rgbToHsvOpenCv(255, 0, 10)).toEqual([179, 255, 255]);
    // h' = -1: (-482+2048)>>12 = 0, so this near-360° red is 0, not 180
    expect(rgbToHsvOpenCv(255, 0, 1)).toEqual([0, 255, 255]);
  });

  it('stays within one unit of the float formula everywhere (coarse RGB grid)', () => {
    for (let r = 0; r < 256; r += 15) {
      for (let g = 0; g < 256; g += 15) {
        for (let b = 0; b < 256; b += 15) {
          const [h, s, v] = rgbToHsvOpenCv(r, g, b);
          const max = Math.max(r, g, b);
          const diff = max - Math.min(r, g, b);
          expect(v).toBe(max);
          expect(Math.abs(s - (max ? (255 * diff) / max : 0))).toBeLessThanOrEqual(1);
          expect(h).toBeGreaterThanOrEqual(0);
          expect(h).toBeLessThanOrEqual(179);
          if (diff === 0) continue;
          let deg = max === r ? (60 * (g - b)) / diff : max === g ? 120 + (60 * (b - r)) / diff : 240 + (60 * (r - g)) / diff;
          if (deg < 0) deg += 360;
          const delta = Math.abs(h - deg / 2);
          expect(Math.min(delta, 180 - delta)).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});

describe('countInRange / inRangeMask', () => {
  const lower = [35, 60, 40] as const;
  const upper = [85, 255, 255] as const;
  // green mat, red, grey, dark green (V 30 < 40), the exact bounds
  const rgb = Uint8Array.from([45, 140, 60, 200, 40, 40, 128, 128, 128, 10, 30, 12, 0, 255, 0]);

  it('counts pixels inside the inclusive HSV box', () => {
    expect(countInRange(rgb, 3, lower, upper)).toBe(2);
    expect(Array.from(inRangeMask(rgb, 3, lower, upper))).toEqual([1, 0, 0, 0, 1]);
  });

  it('treats the bounds as inclusive on every channel', () => {
    const green = Uint8Array.from([0, 255, 0]); // HSV (60, 255, 255)
    expect(countInRange(green, 3, [60, 255, 255], [60, 255, 255])).toBe(1);
    expect(countInRange(green, 3, [61, 0, 0], [179, 255, 255])).toBe(0);
    expect(countInRange(green, 3, [0, 0, 0], [59, 255, 255])).toBe(0);
  });

  it('skips the alpha of RGBA buffers', () => {
    const rgba = Uint8Array.from([45, 140, 60, 0, 200, 40, 40, 255]);
    expect(countInRange(rgba, 4, lower, upper)).toBe(1);
  });

  it('rejects buffers that are not whole pixels', () => {
    expect(() => countInRange(Uint8Array.from([1, 2, 3, 4]), 3, lower, upper)).toThrow(RangeError);
    expect(() => countInRange(Uint8Array.from([1, 2]), 2, lower, upper)).toThrow(RangeError);
  });
});
