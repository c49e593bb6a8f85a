/**
 * The pictures published with each score, drawn from what the backend measured (so a
 * supervisor sees exactly what the score saw): the scored region (the rectified mat when an
 * ROI is set), free mat tinted light cyan, covered areas outlined in magenta, the score
 * written on a banner; plus a small thumbnail without the banner.
 * Drawing is backend-independent: same mask and outlines → same picture.
 */
import { MAX_IMAGE_BYTES, MierukaError } from '@mieruka/protocol';
import { loadSharp } from './load-sharp.js';
import type { Outline } from './backend.js';

export interface AnnotateInput {
  /** RGB of the scored region, width × height × 3. */
  region: Buffer;
  /** 255 = free mat, 0 = covered; width × height. */
  mask: Buffer;
  width: number;
  height: number;
  outlines: readonly Outline[];
}

export interface AnnotateOptions {
  score: number;
  /** Second line of the banner, e.g. "bench-1 | 09:00 | 2026-11-24 09:00:00". ASCII is safest (fonts on a Pi). */
  caption: string;
  /** Width of the annotated image (never enlarged); default 640. */
  maxWidth?: number;
  /** Width of the thumbnail (never enlarged); default 160. */
  thumbnailWidth?: number;
}

export interface AnnotatedImages {
  /** Annotated JPEG, ≤ MAX_IMAGE_BYTES. */
  jpeg: Buffer;
  thumbnail: Buffer;
  width: number;
  height: number;
}

/** Free mat is blended towards this light cyan; objects keep their colours. */
export const TINT = [90, 200, 255] as const;
export const TINT_ALPHA = 0.45;
const OUTLINE_COLOUR = '#ff2bd6';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function bannerSvg(width: number, maxHeight: number, score: number, caption: string): Buffer {
  const size = Math.max(12, Math.round(width / 24));
  // composite() refuses an overlay larger than the image (tiny or very wide photos).
  const h = Math.min(maxHeight, Math.round(size * 2.9));
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}">` +
      `<rect width="100%" height="100%" fill="black" fill-opacity="0.55"/>` +
      `<text x="${size / 2}" y="${size * 1.25}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${size}" font-weight="bold" fill="white">clutter ${score.toFixed(1)} / 100</text>` +
      `<text x="${size / 2}" y="${size * 2.45}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${Math.round(size * 0.75)}" fill="white">${escapeXml(caption)}</text>` +
      `</svg>`,
  );
}

function outlineSvg(outlines: readonly Outline[], scale: number, width: number, height: number): Buffer {
  const f = (v: number) => ((v + 0.5) * scale).toFixed(1);
  const paths = outlines
    .filter((o) => o.points.length >= 2)
    .map((o) => `M${o.points.map(([x, y]) => `${f(x)} ${f(y)}`).join('L')}Z`)
    .join('');
  const stroke = Math.max(1, Math.round(width / 320));
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      (paths ? `<path d="${paths}" fill="none" stroke="${OUTLINE_COLOUR}" stroke-width="${stroke}" stroke-linejoin="round"/>` : '') +
      `</svg>`,
  );
}

export async function renderAnnotated(input: AnnotateInput, opts: AnnotateOptions): Promise<AnnotatedImages> {
  const { width, height } = input;
  if (input.region.length !== width * height * 3 || input.mask.length !== width * height) {
    throw new RangeError(`annotate: region/mask sizes do not match ${width}×${height}`);
  }
  const outW = Math.max(1, Math.min(width, opts.maxWidth ?? 640));
  const outH = Math.max(1, Math.round((height * outW) / width));
  const resize = { width: outW, height: outH, fit: 'fill' as const };
  const sharp = await loadSharp();
  const rgb = await sharp(input.region, { raw: { width, height, channels: 3 } }).resize(resize).raw().toBuffer();
  const mask = await sharp(input.mask, { raw: { width, height, channels: 1 } }).resize(resize).extractChannel(0).raw().toBuffer();
  for (let i = 0; i < mask.length; i++) {
    const a = (mask[i]! / 255) * TINT_ALPHA;
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(rgb[i * 3 + c]! * (1 - a) + TINT[c]! * a);
  }
  const drawn = await sharp(rgb, { raw: { width: outW, height: outH, channels: 3 } })
    .composite([{ input: outlineSvg(input.outlines, outW / width, outW, outH), top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer();
  const raw = { raw: { width: outW, height: outH, channels: 3 as const } };
  const banner = sharp(drawn, raw).composite([{ input: bannerSvg(outW, outH, opts.score, opts.caption), top: 0, left: 0 }]);
  let jpeg: Buffer | null = null;
  // Photos of this size are ~50–150 KiB; step the quality down in the unlikely case one is not.
  for (const quality of [80, 60, 40]) {
    const candidate = await banner.clone().jpeg({ quality }).toBuffer();
    if (candidate.length <= MAX_IMAGE_BYTES) {
      jpeg = candidate;
      break;
    }
  }
  if (!jpeg) throw new MierukaError('IMAGE_INVALID', `annotated image stays above ${MAX_IMAGE_BYTES} bytes even at quality 40`);
  const thumbW = Math.max(1, Math.min(outW, opts.thumbnailWidth ?? 160));
  const thumbnail = await sharp(drawn, raw)
    .resize({ width: thumbW, height: Math.max(1, Math.round((outH * thumbW) / outW)), fit: 'fill' })
    .jpeg({ quality: 70 })
    .toBuffer();
  return { jpeg, thumbnail, width: outW, height: outH };
}
