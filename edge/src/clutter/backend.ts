/**
 * The small interface both OpenCV backends implement: native (@u4/opencv4nodejs, built
 * against the system's libopencv) and WASM (@techstark/opencv-js). The pipeline steps and
 * their order are fixed here in words and in each backend in code; they must give identical
 * pixel counts (tested on the fixture set).
 *
 *   RGB frame ─(roi)→ warpPerspective to a rectangle (INTER_LINEAR, BORDER_REPLICATE)
 *             → cvtColor RGB2HSV (8-bit: H 0–179) → inRange [lower, upper] (mat = 255)
 *             → denoise N > 0: morphologyEx CLOSE then OPEN, N×N ellipse (close first
 *               fills the speckle holes noise leaves in the mat; open then removes mat-
 *               coloured specks inside objects — the other order lets dense holes grow)
 *             → countNonZero = matPixels;  regionPixels = width × height
 */
import type { RgbImage } from './decode-image.js';
import type { Hsv } from './hsv.js';
import type { Point, Quad } from './roi.js';

export type BackendName = 'native' | 'wasm';
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'native', 'wasm'];

/** Largest accepted denoise kernel (pixels). */
export const MAX_DENOISE = 99;

export interface AnalyzeParams {
  /** Mat colour range, OpenCV 8-bit HSV (H 0–179), inclusive. */
  hsvLower: Hsv;
  hsvUpper: Hsv;
  /** Mat corners in the frame; absent = the whole frame. Checked by the caller (checkQuad). */
  roi?: Quad | null;
  /** Morphological close + open kernel size in pixels; 0 or absent = off. */
  denoise?: number;
}

export interface AnalyzeWants {
  /** Return the (rectified) RGB region that was scored. */
  region?: boolean;
  /** Return the final mask (255 = free mat, 0 = covered), one byte per region pixel. */
  mask?: boolean;
  /** Return outlines of the covered areas (external contours of the inverted mask). */
  outlines?: boolean;
}

export interface Outline {
  /** Polygon in region pixel coordinates (CHAIN_APPROX_SIMPLE). */
  points: Point[];
  /** contourArea of the polygon, pixels. */
  area: number;
}

export interface Analysis {
  /** Region pixels inside the mat range after denoise. */
  matPixels: number;
  regionPixels: number;
  regionWidth: number;
  regionHeight: number;
  region?: Buffer;
  mask?: Buffer;
  outlines?: Outline[];
}

/** An 8-bit single-channel image, e.g. a mask (0/255). */
export interface GrayImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface ClutterBackend {
  readonly name: BackendName;
  /** OpenCV version of the implementation, e.g. "4.6.0". */
  readonly opencvVersion: string;
  /** The scoring pipeline above, synchronous (a 1080p frame takes milliseconds). */
  analyze(frame: RgbImage, params: AnalyzeParams, wants?: AnalyzeWants): Analysis;
  /** cvtColor RGB2HSV of a whole frame, interleaved H,S,V bytes. */
  toHsv(frame: RgbImage): Buffer;
  /** External contours of the non-zero areas of a mask whose area is ≥ minArea, largest first. */
  contours(mask: GrayImage, minArea: number): Outline[];
  /** approxPolyDP of a closed polygon. */
  approxPolygon(points: readonly Point[], epsilon: number): Point[];
}

/** Outlines smaller than this share of the region are noise specks, not objects worth drawing. */
export const MIN_OUTLINE_SHARE = 0.0002;
/** At most this many outlines are returned (keeps the annotated image's SVG small). */
export const MAX_OUTLINES = 300;

export function minOutlineArea(regionPixels: number): number {
  return Math.max(16, regionPixels * MIN_OUTLINE_SHARE);
}

/** Validates the numeric parameters both backends rely on. Throws RangeError. */
export function checkParams(params: AnalyzeParams): number {
  const denoise = params.denoise ?? 0;
  if (!Number.isInteger(denoise) || denoise < 0 || denoise > MAX_DENOISE) throw new RangeError(`denoise must be a whole number 0–${MAX_DENOISE}, got ${denoise}`);
  const ok = (v: Hsv) => v.length === 3 && v.every((x, i) => Number.isInteger(x) && x >= 0 && x <= (i === 0 ? 179 : 255));
  if (!ok(params.hsvLower) || !ok(params.hsvUpper)) throw new RangeError('HSV bounds must be whole numbers: H 0–179, S and V 0–255');
  return denoise;
}

/** Sorts largest first and keeps the first MAX_OUTLINES; shared so both backends return the same list. */
export function pickOutlines(all: Outline[]): Outline[] {
  return all.sort((a, b) => b.area - a.area).slice(0, MAX_OUTLINES);
}
