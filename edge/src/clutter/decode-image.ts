/**
 * Untrusted image bytes → 8-bit RGB pixels, with the guards a long-running agent needs:
 * only raster photo formats, a pixel limit checked from the header before decoding
 * (decompression bombs), truncated or corrupt data rejected. Every failure is a
 * MierukaError('IMAGE_INVALID') with a message saying what was wrong.
 */
import { MierukaError } from '@mieruka/protocol';
import type sharp from 'sharp';
import { loadSharp } from './load-sharp.js';

/** 50 MP: above any camera a station uses (Pi HQ 12 MP, 4K webcam 8 MP), far below a bomb. */
export const MAX_INPUT_PIXELS = 50_000_000;
/** SVG, PDF and friends are not photos and bring their own parsers; refuse them. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff']);

export interface RgbImage {
  /** Interleaved RGB, 3 bytes per pixel, rows top to bottom. */
  data: Buffer;
  width: number;
  height: number;
}

export interface DecodeOptions {
  maxPixels?: number;
  /** Shrink to fit inside this box (never enlarges); applies EXIF orientation first. */
  fitInside?: { width: number; height: number };
}

function invalid(message: string, cause?: unknown): MierukaError {
  return new MierukaError('IMAGE_INVALID', message, cause === undefined ? undefined : { cause });
}

export async function decodeRgb(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? MAX_INPUT_PIXELS;
  if (!(bytes instanceof Uint8Array)) throw invalid('image must be a Buffer');
  if (bytes.length === 0) throw invalid('image is empty (0 bytes)');
  // failOn 'warning' also rejects truncated JPEGs, which libjpeg reports only as a warning.
  const input = { failOn: 'warning' as const, limitInputPixels: maxPixels };
  const sharp = await loadSharp();
  let meta: sharp.Metadata;
  try {
    // Header only; the limit is checked below so the message can give the size.
    meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
  } catch (err) {
    throw invalid(`image cannot be decoded: ${(err as Error).message}`, err);
  }
  if (meta.format === undefined || !ACCEPTED_FORMATS.has(meta.format)) {
    throw invalid(`unsupported image format "${meta.format ?? 'unknown'}": use JPEG, PNG, WebP or TIFF`);
  }
  const { width, height } = meta;
  if (!width || !height) throw invalid('image has no dimensions');
  if (width * height > maxPixels) {
    throw invalid(`image is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP), above the ${(maxPixels / 1e6).toFixed(1)} MP limit`);
  }
  try {
    let pipeline = sharp(bytes, input);
    if (opts.fitInside) {
      pipeline = pipeline.autoOrient().resize({ ...opts.fitInside, fit: 'inside', withoutEnlargement: true });
    }
    const { data, info } = await pipeline
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new Error(`unexpected decoded layout: ${info.channels} channels, ${data.length} bytes`);
    }
    return { data, width: info.width, height: info.height };
  } catch (err) {
    throw invalid(`image cannot be decoded: ${(err as Error).message}`, err);
  }
}
