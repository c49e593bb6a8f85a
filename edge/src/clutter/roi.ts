/**
 * The mat's region in the camera frame: four corners, perspective-warped to a rectangle
 * before scoring so that the score is the share of the MAT that is covered, whatever the
 * camera angle. Corners are pixel coordinates of the full-size frame, in the order
 * top-left, top-right, bottom-right, bottom-left (as the mat appears in the photo).
 */
import { MierukaError } from '@mieruka/protocol';

export type Point = readonly [x: number, y: number];
/** Top-left, top-right, bottom-right, bottom-left. */
export type Quad = readonly [Point, Point, Point, Point];

/** Below this the rectified region is too small to mean anything (and to warp). */
const MIN_SIDE = 8;
/** Largest rectified side: keeps a typo'd corner from asking for a gigapixel warp. */
const MAX_SIDE = 8192;

/** "x1,y1,x2,y2,x3,y3,x4,y4" → Quad (TL, TR, BR, BL). Throws RangeError naming the problem. */
export function parseRoi(text: string): Quad {
  const parts = text.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== 8 || nums.some((n, i) => parts[i] === '' || !Number.isFinite(n))) {
    throw new RangeError('the ROI needs 8 numbers: x1,y1,x2,y2,x3,y3,x4,y4 (top-left, top-right, bottom-right, bottom-left)');
  }
  const [a, b, c, d, e, f, g, h] = nums as [number, number, number, number, number, number, number, number];
  return [
    [a, b],
    [c, d],
    [e, f],
    [g, h],
  ];
}

export function formatRoi(quad: Quad): string {
  return quad.map(([x, y]) => `${x},${y}`).join(',');
}

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** Shoelace area (positive for clockwise in image coordinates, y down). */
export function quadArea(quad: Quad): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    const [x0, y0] = quad[i]!;
    const [x1, y1] = quad[(i + 1) % 4]!;
    s += x0 * y1 - x1 * y0;
  }
  return s / 2;
}

/**
 * Puts four corners in TL, TR, BR, BL order: sorted clockwise around their centre (y down),
 * starting from the corner nearest the image's top-left (smallest x + y).
 */
export function orderCorners(points: readonly Point[]): Quad {
  if (points.length !== 4) throw new RangeError(`need 4 corners, got ${points.length}`);
  const cx = points.reduce((s, p) => s + p[0], 0) / 4;
  const cy = points.reduce((s, p) => s + p[1], 0) / 4;
  const clockwise = [...points].sort((p, q) => Math.atan2(p[1] - cy, p[0] - cx) - Math.atan2(q[1] - cy, q[0] - cx));
  let start = 0;
  for (let i = 1; i < 4; i++) if (clockwise[i]![0] + clockwise[i]![1] < clockwise[start]![0] + clockwise[start]![1]) start = i;
  const q = [0, 1, 2, 3].map((i) => clockwise[(start + i) % 4]!);
  return [q[0]!, q[1]!, q[2]!, q[3]!];
}

/** Size of the rectangle the quad is warped to: the longer of each pair of opposite sides. */
export function rectifiedSize(quad: Quad): { width: number; height: number } {
  const d = (a: Point, b: Point) => Math.hypot(b[0] - a[0], b[1] - a[1]);
  const [tl, tr, br, bl] = quad;
  return { width: Math.round(Math.max(d(tl, tr), d(bl, br))), height: Math.round(Math.max(d(tl, bl), d(tr, br))) };
}

/**
 * Checks a quad against the frame it will cut: corners inside the image, in TL-TR-BR-BL
 * (clockwise) order, convex, and big enough. Throws MierukaError('CONFIG_INVALID') — the
 * image is fine, the configured corners are not (e.g. the camera resolution changed).
 */
export function checkQuad(quad: Quad, width: number, height: number): void {
  const bad = (why: string) => new MierukaError('CONFIG_INVALID', `mat corners (roi) ${formatRoi(quad)}: ${why}`);
  for (const [x, y] of quad) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw bad('not numbers');
    if (x < 0 || y < 0 || x > width || y > height) throw bad(`corner ${x},${y} lies outside the ${width}×${height} image`);
  }
  for (let i = 0; i < 4; i++) {
    if (cross(quad[i]!, quad[(i + 1) % 4]!, quad[(i + 2) % 4]!) <= 0) {
      throw bad('not a convex quadrilateral in top-left, top-right, bottom-right, bottom-left order');
    }
  }
  const { width: w, height: h } = rectifiedSize(quad);
  if (w < MIN_SIDE || h < MIN_SIDE) throw bad(`too small (${w}×${h} px)`);
  if (w > MAX_SIDE || h > MAX_SIDE) throw bad(`too large (${w}×${h} px)`);
}
