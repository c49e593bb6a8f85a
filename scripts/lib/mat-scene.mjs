/**
 * Drawing of synthetic green-mat scenes, shared by scripts/generate-mat-photos.mjs (sample
 * photos), scripts/generate-clutter-fixtures.mjs (test fixtures) and the clutter benchmark.
 * Everything is driven by a seeded PRNG: same inputs, same pixels.
 *
 * The defaults reproduce the original sample photos exactly (same PRNG call sequence).
 */
import { mulberry32 } from '@mieruka/protocol';

/** Mat colour under even light: OpenCV HSV ≈ (65, 173, 140), mid-range of the default 35–85 hue band. */
export const MAT = [45, 140, 60];
/** Object colours kept well outside the mat's HSV band: saturated non-greens, greys, black, white. */
export const PALETTE = [
  [200, 40, 40], // red
  [230, 120, 30], // orange
  [230, 180, 30], // yellow (H ≈ 22)
  [40, 80, 200], // blue
  [60, 160, 220], // light blue (H ≈ 101)
  [120, 60, 160], // purple
  [160, 120, 80], // cardboard
  [180, 130, 70], // wooden handle
  [30, 30, 35], // black
  [90, 90, 95], // dark grey
  [170, 170, 175], // steel
  [235, 235, 230], // white
];
/** Green-ish objects that must still count as clutter: each misses the default range on one channel. */
export const GREENISH_PALETTE = [
  [190, 200, 40], // lime, H ≈ 32 (< 35)
  [40, 170, 170], // teal, H = 90 (> 85)
  [180, 210, 185], // pale green, S ≈ 36 (< 60)
  [15, 28, 17], // very dark green, V = 28 (< 40)
  [40, 150, 175], // green-blue cup, H ≈ 94
];

/** Seeded, so the same seed draws the same picture (protocol's mulberry32). */
export const prng = mulberry32;

// Shapes are predicates over pixel centres plus a bounding box.
export function rotatedRect(cx, cy, hw, hh, angle) {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const r = Math.hypot(hw, hh);
  return {
    box: [cx - r, cy - r, cx + r, cy + r],
    inside: (x, y) => Math.abs((x - cx) * c + (y - cy) * s) <= hw && Math.abs(-(x - cx) * s + (y - cy) * c) <= hh,
  };
}

function ring(cx, cy, rOut, rIn) {
  return {
    box: [cx - rOut, cy - rOut, cx + rOut, cy + rOut],
    inside: (x, y) => {
      const d = Math.hypot(x - cx, y - cy);
      return d <= rOut && d >= rIn;
    },
  };
}

function polyline(points, width) {
  const half = width / 2;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return {
    box: [Math.min(...xs) - half, Math.min(...ys) - half, Math.max(...xs) + half, Math.max(...ys) + half],
    inside: (x, y) => {
      for (let i = 1; i < points.length; i++) {
        const [ax, ay] = points[i - 1];
        const [bx, by] = points[i];
        const dx = bx - ax;
        const dy = by - ay;
        const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
        if (Math.hypot(x - ax - t * dx, y - ay - t * dy) <= half) return true;
      }
      return false;
    },
  };
}

/** A random object; `scale` (0–1] shrinks it so the last objects do not overshoot the target. */
function randomObject(rand, scale, W, H, size) {
  const cx = rand() * W;
  const cy = rand() * H;
  const angle = rand() * Math.PI;
  const kind = rand();
  const s = scale * size;
  if (kind < 0.35) return rotatedRect(cx, cy, (20 + rand() * 90) * s, (15 + rand() * 60) * s, angle); // box
  if (kind < 0.55) return rotatedRect(cx, cy, (40 + rand() * 70) * s, (4 + rand() * 6) * Math.max(scale, 0.6) * size, angle); // tool
  if (kind < 0.75) {
    const rOut = (12 + rand() * 45) * s;
    return ring(cx, cy, rOut, rand() < 0.5 ? rOut * 0.55 : 0); // tape roll or lid
  }
  const points = [[cx, cy]];
  let heading = angle * 2;
  for (let i = 0; i < 3 + Math.floor(rand() * 4); i++) {
    heading += (rand() - 0.5) * 2;
    const last = points[points.length - 1];
    const step = (40 + rand() * 80) * Math.max(scale, 0.5) * size;
    points.push([last[0] + Math.cos(heading) * step, last[1] + Math.sin(heading) * step]);
  }
  return polyline(points, (6 + rand() * 6) * size); // cable
}

/**
 * Draws a mat W×H with objects covering `target` of it.
 * Options: matRgb, palette, light ('lamp' | 'gradient' | (x, y) => factor), size (object
 * scale), texture ({ spacing, width, rgb, alpha }: printed grid of a cutting mat, drawn on the
 * mat before objects — not clutter).
 * Returns float RGB, the object mask, the covered pixel count and the PRNG (for the noise).
 */
export function drawMatScene({ width: W, height: H, seed, target, matRgb = MAT, palette = PALETTE, light = 'lamp', size = 1, texture = null }) {
  const rand = prng(seed);
  const img = new Float32Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  // Mat under a lamp: brighter towards one corner.
  const lx = rand() * W;
  const ly = rand() * H;
  const lightAt =
    typeof light === 'function'
      ? light
      : light === 'gradient'
        ? (x, y) => 0.5 + 0.75 * ((x / W) * 0.7 + (y / H) * 0.3) // strong: 0.5 at the left/top to 1.25 at the right
        : (x, y) => 1.08 - 0.25 * (Math.hypot(x - lx, y - ly) / Math.hypot(W, H));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let rgb = matRgb;
      if (texture) {
        const onLine = (x % texture.spacing) < texture.width || (y % texture.spacing) < texture.width;
        if (onLine) rgb = matRgb.map((v, c) => v * (1 - texture.alpha) + texture.rgb[c] * texture.alpha);
      }
      const k = lightAt(x, y);
      for (let c = 0; c < 3; c++) img[(y * W + x) * 3 + c] = rgb[c] * k;
    }
  }
  const clampBox = ([x0, y0, x1, y1]) => [Math.max(0, Math.floor(x0)), Math.max(0, Math.floor(y0)), Math.min(W - 1, Math.ceil(x1)), Math.min(H - 1, Math.ceil(y1))];
  let covered = 0;
  let objects = 0;
  while (covered / (W * H) < target) {
    const remaining = target * W * H - covered;
    // Try shrinking sizes until the object does not overshoot the target by more than 0.3 %.
    let shape = null;
    let added = 0;
    for (let scale = 1; scale > 0.05; scale *= 0.7) {
      const candidate = randomObject(rand, scale, W, H, size);
      const [x0, y0, x1, y1] = clampBox(candidate.box);
      let n = 0;
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (!mask[y * W + x] && candidate.inside(x + 0.5, y + 0.5)) n++;
      if (n > 0 && n <= remaining + 0.003 * W * H) {
        shape = candidate;
        added = n;
        break;
      }
    }
    if (!shape) continue;
    const colour = palette[Math.floor(rand() * palette.length)];
    const [x0, y0, x1, y1] = clampBox(shape.box);
    // Soft shadow: fraction of 5 offset samples inside the shape, cast down-right.
    const [sx0, sy0, sx1, sy1] = clampBox([x0 - 2, y0 - 2, x1 + 12 * size, y1 + 12 * size]);
    const offsets = [[7, 7], [4, 6], [9, 8], [6, 10], [10, 5]].map(([ox, oy]) => [ox * size, oy * size]);
    for (let y = sy0; y <= sy1; y++) {
      for (let x = sx0; x <= sx1; x++) {
        if (shape.inside(x + 0.5, y + 0.5)) continue;
        let hits = 0;
        for (const [ox, oy] of offsets) if (shape.inside(x + 0.5 - ox, y + 0.5 - oy)) hits++;
        const k = 1 - 0.07 * hits;
        for (let c = 0; c < 3; c++) img[(y * W + x) * 3 + c] *= k;
      }
    }
    const shade = 0.15 * (rand() - 0.5);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        if (!shape.inside(x + 0.5, y + 0.5)) continue;
        const i = y * W + x;
        const shading = 1 + shade * ((x - x0) / (x1 - x0 + 1) - (y - y0) / (y1 - y0 + 1));
        // The original sample photos leave objects unlit; other light modes light them too.
        const k = light === 'lamp' ? shading : shading * lightAt(x, y);
        for (let c = 0; c < 3; c++) img[i * 3 + c] = colour[c] * k;
        mask[i] = 1;
      }
    }
    covered += added;
    objects++;
  }
  return { img, mask, coveredPixels: covered, objects, rand };
}

/**
 * Multiplies a soft-edged shadow into the image: an ellipse (cx, cy, rx, ry, angle) darkened
 * to `depth` (0.45 = 45 % of the light), fading over `soft` pixels. Shadows are not clutter.
 */
export function castShadow(img, W, H, { cx, cy, rx, ry, angle = 0, depth, soft }) {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = ((x - cx) * c + (y - cy) * s) / rx;
      const v = (-(x - cx) * s + (y - cy) * c) / ry;
      const d = (Math.hypot(u, v) - 1) * Math.min(rx, ry); // pixels outside the ellipse edge
      const t = Math.max(0, Math.min(1, 0.5 - d / soft)); // 1 inside, 0 outside, ramp across the edge
      if (t === 0) continue;
      const k = 1 - (1 - depth) * t;
      for (let ch = 0; ch < 3; ch++) img[(y * W + x) * 3 + ch] *= k;
    }
  }
}

/** Sensor noise: mostly luminance, a little per channel; rounds and clamps to 8-bit RGB. */
export function addSensorNoise(img, pixels, rand, { luma = 6, chroma = 3 } = {}) {
  const rgb = Buffer.alloc(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const l = (rand() + rand() - 1) * luma;
    for (let c = 0; c < 3; c++) {
      const v = img[i * 3 + c] + l + (rand() - 0.5) * chroma;
      rgb[i * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return rgb;
}

/** Homography mapping the unit square's corners (0,0),(1,0),(1,1),(0,1) to quad q (TL, TR, BR, BL). */
function squareToQuad(q) {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q;
  const dx1 = x1 - x2;
  const dx2 = x3 - x2;
  const dy1 = y1 - y2;
  const dy2 = y3 - y2;
  const sx = x0 - x1 + x2 - x3;
  const sy = y0 - y1 + y2 - y3;
  const den = dx1 * dy2 - dx2 * dy1;
  const g = (sx * dy2 - dx2 * sy) / den;
  const h = (dx1 * sy - sx * dy1) / den;
  return [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1];
}

function invert3(m) {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

/**
 * Places a flat mat image (float RGB, mw×mh) into a photo W×H so that its corners land on
 * `quad` (TL, TR, BR, BL), over `background(x, y) → [r, g, b]`. Bilinear sampling; edge
 * pixels blend mat and background by coverage (4×4 supersampling of the border).
 */
export function placeInPhoto(mat, mw, mh, W, H, quad, background) {
  const inv = invert3(squareToQuad(quad));
  const out = new Float32Array(W * H * 3);
  const sample = (u, v, c) => {
    const x = Math.min(mw - 1, Math.max(0, u * mw - 0.5));
    const y = Math.min(mh - 1, Math.max(0, v * mh - 0.5));
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const x1 = Math.min(mw - 1, x0 + 1);
    const y1 = Math.min(mh - 1, y0 + 1);
    const fx = x - x0;
    const fy = y - y0;
    const p = (xx, yy) => mat[(yy * mw + xx) * 3 + c];
    return (p(x0, y0) * (1 - fx) + p(x1, y0) * fx) * (1 - fy) + (p(x0, y1) * (1 - fx) + p(x1, y1) * fx) * fy;
  };
  const toMat = (x, y) => {
    const w = inv[6] * x + inv[7] * y + inv[8];
    return [(inv[0] * x + inv[1] * y + inv[2]) / w, (inv[3] * x + inv[4] * y + inv[5]) / w];
  };
  const inside = (u, v) => u >= 0 && u < 1 && v >= 0 && v < 1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const [u, v] = toMat(x + 0.5, y + 0.5);
      // Near the mat's edge: supersample to get the coverage of this pixel.
      const margin = 2 / Math.min(mw, mh);
      const nearEdge = u > -margin && u < 1 + margin && v > -margin && v < 1 + margin && (u < margin || u > 1 - margin || v < margin || v > 1 - margin);
      if (!nearEdge) {
        if (inside(u, v)) for (let c = 0; c < 3; c++) out[o + c] = sample(u, v, c);
        else {
          const bg = background(x, y);
          for (let c = 0; c < 3; c++) out[o + c] = bg[c];
        }
        continue;
      }
      const bg = background(x, y);
      const acc = [0, 0, 0];
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const [su, sv] = toMat(x + (sx + 0.5) / 4, y + (sy + 0.5) / 4);
          for (let c = 0; c < 3; c++) acc[c] += inside(su, sv) ? sample(su, sv, c) : bg[c];
        }
      }
      for (let c = 0; c < 3; c++) out[o + c] = acc[c] / 16;
    }
  }
  return out;
}

/** A wooden bench top: warm brown with grain along x. */
export function woodBackground(seed) {
  const rand = prng(seed);
  const phases = Array.from({ length: 4 }, () => rand() * Math.PI * 2);
  return (x, y) => {
    const grain = 0.08 * Math.sin(y * 0.21 + phases[0] + 3 * Math.sin(x * 0.004 + phases[1])) + 0.04 * Math.sin(y * 0.9 + phases[2]) + 0.03 * Math.sin(x * 0.013 + phases[3]);
    const k = 1 + grain;
    return [168 * k, 124 * k, 82 * k];
  };
}
