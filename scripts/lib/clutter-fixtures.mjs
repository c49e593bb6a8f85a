/**
 * Specifications and rendering of the clutter test fixtures (test/fixtures/clutter/):
 * photos of a green mat with a known covered share under awkward conditions, plus bad
 * images. Used by scripts/generate-clutter-fixtures.mjs and scripts/bench/clutter.mjs.
 */
import sharp from 'sharp';
import { addSensorNoise, castShadow, drawMatScene, GREENISH_PALETTE, PALETTE, placeInPhoto, prng, rotatedRect, woodBackground } from './mat-scene.mjs';

/** The HSV range the fixtures are drawn for: the config default. */
export const FIXTURE_HSV = { hsvLower: [35, 60, 40], hsvUpper: [85, 255, 255] };

/**
 * kind: what the fixture exercises. coveredRatio is known exactly as drawn; `tolerance` is
 * how far (absolute ratio) the score may be from it after JPEG, noise and resampling, with
 * the recommended `denoise` and `roi`.
 */
export const FIXTURES = [
  {
    file: 'lossless-25.png',
    kind: 'exact',
    description: 'no noise, lossless PNG: the mat count is exact',
    width: 320,
    height: 240,
    seed: 100,
    target: 0.25,
    noise: null,
    denoise: 0,
    tolerance: 0,
  },
  {
    file: 'gradient-25.jpg',
    kind: 'lighting',
    description: 'strong lighting gradient: half the light on the left, 1.25× on the right',
    width: 640,
    height: 480,
    seed: 101,
    target: 0.25,
    light: 'gradient',
    denoise: 0,
    tolerance: 0.02,
  },
  {
    file: 'noise-30.jpg',
    kind: 'noise',
    description: 'dim light (V ≈ 60) and heavy sensor noise: speckles fall out of the range; denoise 5 removes them',
    width: 640,
    height: 480,
    seed: 102,
    target: 0.3,
    light: () => 0.45,
    noise: { luma: 24, chroma: 18 },
    denoise: 5,
    tolerance: 0.02,
  },
  {
    file: 'shadow-35.jpg',
    kind: 'shadow',
    description: 'two big soft shadows (down to 45 % light) across mat and objects: shadows are not clutter',
    width: 640,
    height: 480,
    seed: 103,
    target: 0.35,
    shadows: [
      { cx: 120, cy: 380, rx: 260, ry: 150, angle: 0.4, depth: 0.45, soft: 60 },
      { cx: 560, cy: 60, rx: 160, ry: 90, angle: -0.3, depth: 0.6, soft: 40 },
    ],
    denoise: 0,
    tolerance: 0.02,
  },
  {
    file: 'greenish-20.jpg',
    kind: 'greenish',
    description: 'green-ish objects (lime, teal, pale and very dark green) that must count as clutter',
    width: 640,
    height: 480,
    seed: 104,
    target: 0.2,
    palette: 'greenish',
    denoise: 0,
    tolerance: 0.02,
  },
  {
    file: 'perspective-25.jpg',
    kind: 'perspective',
    description: 'mat seen at an angle on a wooden bench, with objects beside it; roi = its corners',
    width: 960,
    height: 540,
    seed: 105,
    target: 0.25,
    mat: { width: 720, height: 480 },
    quad: [
      [150, 70],
      [800, 95],
      [885, 480],
      [70, 455],
    ],
    benchObjects: 4,
    denoise: 0,
    tolerance: 0.02,
  },
  {
    file: 'realistic-40.jpg',
    kind: 'realistic',
    description: 'cutting mat with a printed grid, at an angle, warm light, vignette, slight blur, a shadow',
    width: 960,
    height: 540,
    seed: 106,
    target: 0.4,
    mat: { width: 720, height: 480 },
    quad: [
      [118, 58],
      [838, 40],
      [902, 502],
      [92, 516],
    ],
    texture: { spacing: 24, width: 2, rgb: [215, 232, 205], alpha: 0.85 },
    benchObjects: 3,
    shadows: [{ cx: 760, cy: 420, rx: 240, ry: 120, angle: 0.2, depth: 0.55, soft: 70 }],
    warm: true,
    vignette: 0.35,
    blur: 0.7,
    denoise: 5,
    tolerance: 0.03,
  },
  {
    file: 'empty-mat.jpg',
    kind: 'calibration',
    description: 'the empty mat at an angle: a calibration photo (corners known)',
    width: 960,
    height: 540,
    seed: 107,
    target: 0,
    mat: { width: 720, height: 480 },
    quad: [
      [132, 82],
      [828, 66],
      [880, 468],
      [88, 492],
    ],
    benchObjects: 2,
    denoise: 0,
    tolerance: 0.01,
  },
];

export const BAD_FIXTURES = [
  { file: 'empty.jpg', description: 'zero bytes', message: 'empty' },
  { file: 'truncated.jpg', description: 'the first 40 % of a JPEG', message: 'cannot be decoded' },
  { file: 'bomb-20000x20000.png', description: 'a small PNG whose header claims 20000×20000 pixels', message: '20000×20000' },
  { file: 'not-an-image.jpg', description: 'text with a .jpg name', message: 'cannot be decoded|unsupported' },
];

function pngChunk(type, body) {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), body])));
  return Buffer.concat([head, Buffer.from(type), body, crc]);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A well-formed PNG whose header claims width×height: a decompression bomb's shape. */
export async function pngClaiming(width, height) {
  const { deflateSync } = await import('node:zlib');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(64 * 1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Boxes and tools lying on the bench, outside the mat (an ROI must ignore them). */
function benchObjects(img, W, H, quad, count, seed) {
  const rand = prng(seed);
  const inQuad = (x, y) => {
    for (let i = 0; i < 4; i++) {
      const [ax, ay] = quad[i];
      const [bx, by] = quad[(i + 1) % 4];
      if ((bx - ax) * (y - ay) - (by - ay) * (x - ax) < 0) return false;
    }
    return true;
  };
  let placed = 0;
  for (let tries = 0; placed < count && tries < 200; tries++) {
    const shape = rotatedRect(rand() * W, rand() * H, 12 + rand() * 30, 8 + rand() * 20, rand() * Math.PI);
    const colour = PALETTE[Math.floor(rand() * PALETTE.length)];
    const [x0, y0, x1, y1] = shape.box.map((v, i) => Math.max(0, Math.min(i % 2 === 0 ? W - 1 : H - 1, Math.round(v))));
    let clash = false;
    for (let y = y0; y <= y1 && !clash; y++) for (let x = x0; x <= x1; x++) if (shape.inside(x + 0.5, y + 0.5) && inQuad(x + 0.5, y + 0.5)) clash = true;
    if (clash) continue;
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (shape.inside(x + 0.5, y + 0.5)) for (let c = 0; c < 3; c++) img[(y * W + x) * 3 + c] = colour[c];
    placed++;
  }
}

/**
 * Renders one fixture spec. Returns the encoded file plus what it was drawn with:
 * { bytes, rgb (before encoding), width, height, coveredRatio, coveredPixels, matPixels, roi }.
 */
export async function renderFixture(spec) {
  const { width: W, height: H } = spec;
  const palette = spec.palette === 'greenish' ? GREENISH_PALETTE : PALETTE;
  const matW = spec.mat?.width ?? W;
  const matH = spec.mat?.height ?? H;
  const scene = drawMatScene({ width: matW, height: matH, seed: spec.seed, target: spec.target, palette, light: spec.light ?? 'lamp', texture: spec.texture ?? null });
  let img = scene.img;
  if (spec.quad) {
    img = placeInPhoto(scene.img, matW, matH, W, H, spec.quad, woodBackground(spec.seed + 1000));
    if (spec.benchObjects) benchObjects(img, W, H, spec.quad, spec.benchObjects, spec.seed + 2000);
  }
  for (const shadow of spec.shadows ?? []) castShadow(img, W, H, shadow);
  if (spec.warm || spec.vignette) {
    const rMax = Math.hypot(W / 2, H / 2);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = spec.vignette ? 1 - spec.vignette * (Math.hypot(x - W / 2, y - H / 2) / rMax) ** 2 : 1;
        const o = (y * W + x) * 3;
        img[o] *= v * (spec.warm ? 1.06 : 1);
        img[o + 1] *= v;
        img[o + 2] *= v * (spec.warm ? 0.88 : 1);
      }
    }
  }
  const rgb =
    spec.noise === null
      ? Buffer.from(Array.from(img, (v) => Math.max(0, Math.min(255, Math.round(v)))))
      : addSensorNoise(img, W * H, scene.rand, spec.noise ?? {});
  let pipeline = sharp(rgb, { raw: { width: W, height: H, channels: 3 } });
  if (spec.blur) pipeline = pipeline.blur(spec.blur);
  const bytes = spec.file.endsWith('.png') ? await pipeline.png({ compressionLevel: 9 }).toBuffer() : await pipeline.jpeg({ quality: 85 }).toBuffer();
  return {
    bytes,
    rgb,
    width: W,
    height: H,
    coveredPixels: scene.coveredPixels,
    matPixels: matW * matH,
    coveredRatio: scene.coveredPixels / (matW * matH),
    objects: scene.objects,
    roi: spec.quad ?? null,
  };
}
