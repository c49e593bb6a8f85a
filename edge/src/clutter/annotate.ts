/**
 * The picture published with each score: a thumbnail with the mat pixels that counted as
 * free tinted, so a supervisor sees what the score saw, and the score written on top.
 */
import { MAX_IMAGE_BYTES, MierukaError } from '@mieruka/protocol';
import sharp from 'sharp';
import { decodeRgb } from './decode-image.js';
import { inRangeMask, type Hsv } from './hsv.js';

export interface AnnotateOptions {
  hsvLower: Hsv;
  hsvUpper: Hsv;
  score: number;
  /** Second line of the banner, e.g. "bench-1 · 09:00 · 2026-11-24 09:00:00". ASCII is safest (fonts on a Pi). */
  caption: string;
  maxWidth?: number;
}

/** Free mat is blended towards this light cyan; objects keep their colours. */
const TINT = [90, 200, 255] as const;
const TINT_ALPHA = 0.45;

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

/** Renders the annotated JPEG (≤ MAX_IMAGE_BYTES). Throws MierukaError('IMAGE_INVALID') for bad input. */
export async function renderAnnotatedJpeg(imageBytes: Buffer, opts: AnnotateOptions): Promise<Buffer> {
  const maxWidth = opts.maxWidth ?? 640;
  const { data, width, height } = await decodeRgb(imageBytes, { fitInside: { width: maxWidth, height: maxWidth } });
  const mask = inRangeMask(data, 3, opts.hsvLower, opts.hsvUpper);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round(data[i * 3 + c]! * (1 - TINT_ALPHA) + TINT[c]! * TINT_ALPHA);
  }
  const banner = bannerSvg(width, height, opts.score, opts.caption);
  const base = sharp(data, { raw: { width, height, channels: 3 } }).composite([{ input: banner, top: 0, left: 0 }]);
  // Photos of this size are ~50–150 KiB; step the quality down in the unlikely case one is not.
  for (const quality of [80, 60, 40]) {
    const jpeg = await base.clone().jpeg({ quality }).toBuffer();
    if (jpeg.length <= MAX_IMAGE_BYTES) return jpeg;
  }
  throw new MierukaError('IMAGE_INVALID', `annotated image stays above ${MAX_IMAGE_BYTES} bytes even at quality 40`);
}
