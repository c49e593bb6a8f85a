/**
 * Calibration from one photo of the EMPTY mat: where the mat is (its four corners, the
 * largest green quadrilateral: contours + approxPolyDP) and which HSV range is "mat" (from
 * the pixel distribution inside it, with margins for shadows, lamp warm-up and noise).
 * Green mats only: the seed range below is where a search starts, not the result.
 */
import { MierukaError } from '@mieruka/protocol';
import type { ClutterBackend, Outline } from './backend.js';
import type { RgbImage } from './decode-image.js';
import type { Hsv } from './hsv.js';
import { orderCorners, rectifiedSize, type Point, type Quad } from './roi.js';
import { scoreFromCounts } from './score.js';

/** Any plausibly green, not too grey, not too dark pixel: where the mat search starts. */
export const SEED_LOWER: Hsv = [25, 40, 30];
export const SEED_UPPER: Hsv = [95, 255, 255];
/** The mat must fill at least this share of the photo. */
const MIN_MAT_SHARE = 0.05;

export interface CalibrateOptions {
  /** Added below/above the 0.5th/99.5th hue percentiles. Default 8. */
  hueMargin?: number;
  /** Subtracted from the 0.5th saturation percentile. Default 40. */
  saturationMargin?: number;
  /** Lower V bound = this share of the 0.5th V percentile (shadows). Default 0.5. */
  shadowFactor?: number;
}

export interface ChannelStats {
  p005: number;
  p50: number;
  p995: number;
}

export interface CalibrationResult {
  hsvLower: Hsv;
  hsvUpper: Hsv;
  /** Mat corners (TL, TR, BR, BL), or null when the mat fills the whole photo. */
  roi: Quad | null;
  /** The quadrilateral found, even when roi is null. */
  corners: Quad;
  /** Share of the photo inside the corners. */
  matShare: number;
  width: number;
  height: number;
  stats: { h: ChannelStats; s: ChannelStats; v: ChannelStats; pixels: number };
  /** The calibration photo scored with the proposal (no denoise): near 0 for an empty mat. */
  check: { score: number; coveredRatio: number };
  backend: ClutterBackend['name'];
}

function polygonArea(points: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    s += x0 * y1 - x1 * y0;
  }
  return Math.abs(s) / 2;
}

function perimeter(points: readonly Point[]): number {
  let p = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    p += Math.hypot(x1 - x0, y1 - y0);
  }
  return p;
}

/** The contour's four corners: approxPolyDP with a growing tolerance until it has 4 vertices, else its extreme points. */
export function quadFromContour(backend: ClutterBackend, contour: Outline): Quad {
  const p = perimeter(contour.points);
  for (let k = 0.005; k <= 0.1; k += 0.005) {
    const approx = backend.approxPolygon(contour.points, k * p);
    if (approx.length === 4) return orderCorners(approx);
    if (approx.length < 4) break;
  }
  // Extreme points along the diagonals: fine for a mat roughly aligned with the photo.
  const by = (f: (q: Point) => number, max: boolean) => contour.points.reduce((best, q) => ((max ? f(q) > f(best) : f(q) < f(best)) ? q : best));
  return orderCorners([by((q) => q[0] + q[1], false), by((q) => q[0] - q[1], true), by((q) => q[0] + q[1], true), by((q) => q[0] - q[1], false)]);
}

function percentile(hist: Uint32Array, total: number, q: number): number {
  const target = q * total;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i]!;
    if (acc > target) return i;
  }
  return hist.length - 1;
}

function shrink(quad: Quad, share: number): Quad {
  const cx = quad.reduce((s, p) => s + p[0], 0) / 4;
  const cy = quad.reduce((s, p) => s + p[1], 0) / 4;
  const m = quad.map(([x, y]) => [x + (cx - x) * share, y + (cy - y) * share] as const);
  return [m[0]!, m[1]!, m[2]!, m[3]!];
}

/** Finds the mat and proposes its HSV range. Throws MierukaError('IMAGE_INVALID') when no mat is visible. */
export function calibrateMat(backend: ClutterBackend, frame: RgbImage, opts: CalibrateOptions = {}): CalibrationResult {
  const { width, height } = frame;
  const framePixels = width * height;
  // Clean specks and thin lines (grid prints, cables) so the mat is one blob; scaled to the photo.
  const k = Math.min(15, Math.max(3, 2 * Math.round(Math.min(width, height) / 200) + 1));
  const seed = backend.analyze(frame, { hsvLower: SEED_LOWER, hsvUpper: SEED_UPPER, denoise: k }, { mask: true });
  const [largest] = backend.contours({ data: seed.mask!, width, height }, framePixels * MIN_MAT_SHARE);
  if (!largest) {
    throw new MierukaError('IMAGE_INVALID', `no green mat found: no green area covers ${MIN_MAT_SHARE * 100} % of the photo (is this a photo of the empty mat, lit as at scoring time?)`);
  }
  const corners = quadFromContour(backend, largest);
  const matShare = Math.min(1, polygonArea(corners) / framePixels);
  // A mat running past the photo's edges gives the frame's own corners: no ROI needed.
  const tol = 0.015 * Math.hypot(width, height);
  const frameCorners: Quad = [
    [0, 0],
    [width - 1, 0],
    [width - 1, height - 1],
    [0, height - 1],
  ];
  const fillsFrame = corners.every(([x, y], i) => Math.hypot(x - frameCorners[i]![0], y - frameCorners[i]![1]) <= tol);
  const roi = fillsFrame ? null : corners;

  // Pixel distribution of the mat, away from its edges, seed-green pixels only.
  const inner = shrink(fillsFrame ? frameCorners : corners, 0.04);
  const size = rectifiedSize(inner);
  const region = backend.analyze(frame, { hsvLower: SEED_LOWER, hsvUpper: SEED_UPPER, roi: inner }, { region: true, mask: true });
  const hsv = backend.toHsv({ data: region.region!, width: size.width, height: size.height });
  const hist = [new Uint32Array(180), new Uint32Array(256), new Uint32Array(256)] as const;
  let pixels = 0;
  for (let i = 0; i < region.mask!.length; i++) {
    if (!region.mask![i]) continue;
    hist[0][hsv[i * 3]!]!++;
    hist[1][hsv[i * 3 + 1]!]!++;
    hist[2][hsv[i * 3 + 2]!]!++;
    pixels++;
  }
  if (pixels < 100) throw new MierukaError('IMAGE_INVALID', 'no green mat found: too few green pixels inside the detected corners');
  const stats = (h: Uint32Array): ChannelStats => ({ p005: percentile(h, pixels, 0.005), p50: percentile(h, pixels, 0.5), p995: percentile(h, pixels, 0.995) });
  const [hs, ss, vs] = [stats(hist[0]), stats(hist[1]), stats(hist[2])];
  const hueMargin = opts.hueMargin ?? 8;
  const hsvLower: Hsv = [
    Math.max(0, hs.p005 - hueMargin),
    Math.max(20, ss.p005 - (opts.saturationMargin ?? 40)),
    Math.max(20, Math.round(vs.p005 * (opts.shadowFactor ?? 0.5))),
  ];
  const hsvUpper: Hsv = [Math.min(179, hs.p995 + hueMargin), 255, 255];
  const check = backend.analyze(frame, { hsvLower, hsvUpper, roi });
  return {
    hsvLower,
    hsvUpper,
    roi,
    corners,
    matShare,
    width,
    height,
    stats: { h: hs, s: ss, v: vs, pixels },
    check: scoreFromCounts(check.matPixels, check.regionPixels),
    backend: backend.name,
  };
}
