#!/usr/bin/env node
/**
 * Generates the sample photos of the clutter station: a green work mat seen straight from
 * above (the mat fills the frame; its edge and the bench are just outside), with tools,
 * boxes, tape rolls and cables covering a known fraction of it.
 *
 *   node scripts/generate-mat-photos.mjs [outDir]     (default edge/assets/sample-photos/)
 *
 * Deterministic: a seeded PRNG drives everything, so re-running gives the same files.
 * Writes 640×480 JPEGs (quality 85) and manifest.json with each photo's covered ratio as
 * drawn (object pixels / mat pixels, before JPEG compression).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const W = 640;
const H = 480;
/** Mat colour under even light: OpenCV HSV ≈ (65, 173, 140), mid-range of the default 35–85 hue band. */
const MAT = [45, 140, 60];
/** Object colours kept well outside the mat's HSV band: saturated non-greens, greys, black, white. */
const PALETTE = [
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

const PHOTOS = [
  { file: 'mat-03.jpg', seed: 3, target: 0.03 },
  { file: 'mat-10.jpg', seed: 10, target: 0.1 },
  { file: 'mat-20.jpg', seed: 20, target: 0.2 },
  { file: 'mat-32.jpg', seed: 32, target: 0.32 },
  { file: 'mat-45.jpg', seed: 45, target: 0.45 },
  { file: 'mat-60.jpg', seed: 60, target: 0.6 },
];

/** mulberry32: tiny, fast, good enough for test pictures. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Shapes are predicates over pixel centres plus a bounding box.
function rotatedRect(cx, cy, hw, hh, angle) {
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
function randomObject(rand, scale) {
  const cx = rand() * W;
  const cy = rand() * H;
  const angle = rand() * Math.PI;
  const kind = rand();
  if (kind < 0.35) return rotatedRect(cx, cy, (20 + rand() * 90) * scale, (15 + rand() * 60) * scale, angle); // box
  if (kind < 0.55) return rotatedRect(cx, cy, (40 + rand() * 70) * scale, (4 + rand() * 6) * Math.max(scale, 0.6), angle); // tool
  if (kind < 0.75) {
    const rOut = (12 + rand() * 45) * scale;
    return ring(cx, cy, rOut, rand() < 0.5 ? rOut * 0.55 : 0); // tape roll or lid
  }
  const points = [[cx, cy]];
  let heading = angle * 2;
  for (let i = 0; i < 3 + Math.floor(rand() * 4); i++) {
    heading += (rand() - 0.5) * 2;
    const last = points[points.length - 1];
    const step = (40 + rand() * 80) * Math.max(scale, 0.5);
    points.push([last[0] + Math.cos(heading) * step, last[1] + Math.sin(heading) * step]);
  }
  return polyline(points, 6 + rand() * 6); // cable
}

function clampBox([x0, y0, x1, y1]) {
  return [Math.max(0, Math.floor(x0)), Math.max(0, Math.floor(y0)), Math.min(W - 1, Math.ceil(x1)), Math.min(H - 1, Math.ceil(y1))];
}

function drawPhoto({ seed, target }) {
  const rand = prng(seed);
  const img = new Float32Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  // Mat under a lamp: brighter towards one corner.
  const lx = rand() * W;
  const ly = rand() * H;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const light = 1.08 - 0.25 * (Math.hypot(x - lx, y - ly) / Math.hypot(W, H));
      for (let c = 0; c < 3; c++) img[(y * W + x) * 3 + c] = MAT[c] * light;
    }
  }
  let covered = 0;
  let objects = 0;
  while (covered / (W * H) < target) {
    const remaining = target * W * H - covered;
    // Try shrinking sizes until the object does not overshoot the target by more than 0.3 %.
    let shape = null;
    let added = 0;
    for (let scale = 1; scale > 0.05; scale *= 0.7) {
      const candidate = randomObject(rand, scale);
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
    const colour = PALETTE[Math.floor(rand() * PALETTE.length)];
    const [x0, y0, x1, y1] = clampBox(shape.box);
    // Soft shadow: fraction of 5 offset samples inside the shape, cast down-right.
    const [sx0, sy0, sx1, sy1] = clampBox([x0 - 2, y0 - 2, x1 + 12, y1 + 12]);
    for (let y = sy0; y <= sy1; y++) {
      for (let x = sx0; x <= sx1; x++) {
        if (shape.inside(x + 0.5, y + 0.5)) continue;
        let hits = 0;
        for (const [ox, oy] of [[7, 7], [4, 6], [9, 8], [6, 10], [10, 5]]) if (shape.inside(x + 0.5 - ox, y + 0.5 - oy)) hits++;
        const k = 1 - 0.07 * hits;
        for (let c = 0; c < 3; c++) img[(y * W + x) * 3 + c] *= k;
      }
    }
    const shade = 0.15 * (rand() - 0.5);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        if (!shape.inside(x + 0.5, y + 0.5)) continue;
        const i = y * W + x;
        const k = 1 + shade * ((x - x0) / (x1 - x0 + 1) - (y - y0) / (y1 - y0 + 1));
        for (let c = 0; c < 3; c++) img[i * 3 + c] = colour[c] * k;
        mask[i] = 1;
      }
    }
    covered += added;
    objects++;
  }
  // Sensor noise: mostly luminance, a little per channel.
  const rgb = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    const luma = (rand() + rand() - 1) * 6;
    for (let c = 0; c < 3; c++) {
      const v = img[i * 3 + c] + luma + (rand() - 0.5) * 3;
      rgb[i * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { rgb, coveredPixels: covered, objects };
}

const outDir = resolve(process.argv[2] ?? fileURLToPath(new URL('../edge/assets/sample-photos/', import.meta.url)));
await mkdir(outDir, { recursive: true });
const manifest = { generator: 'scripts/generate-mat-photos.mjs', width: W, height: H, matRgb: MAT, photos: [] };
for (const spec of PHOTOS) {
  const { rgb, coveredPixels, objects } = drawPhoto(spec);
  const jpeg = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
  await writeFile(resolve(outDir, spec.file), jpeg);
  const matPixels = W * H;
  manifest.photos.push({ file: spec.file, seed: spec.seed, coveredRatio: coveredPixels / matPixels, coveredPixels, matPixels, objects });
  console.log(`${spec.file}: covered ${(100 * coveredPixels / matPixels).toFixed(2)} %, ${objects} objects, ${jpeg.length} bytes`);
}
await writeFile(resolve(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
