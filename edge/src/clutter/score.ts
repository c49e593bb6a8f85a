/**
 * The clutter score (散乱度): the share of the region NOT showing green mat, in percent.
 * The only place the score is defined; the real station's pipeline must agree with it.
 */
import { decodeRgb, type DecodeOptions } from './decode-image.js';
import { countInRange, type Hsv } from './hsv.js';

export interface ScoreOptions {
  /** Mat colour range, OpenCV 8-bit HSV (H 0–179), inclusive. */
  hsvLower: Hsv;
  hsvUpper: Hsv;
  maxPixels?: number;
}

export interface ScoreResult {
  /** round(100 × coveredRatio, 1 decimal). */
  score: number;
  /** 1 − matPixels / regionPixels. */
  coveredRatio: number;
  width: number;
  height: number;
  /** Pixels of the region whose HSV is inside the mat range. */
  matPixels: number;
  /** Pixels considered; the whole frame for now (the real station adds a mat ROI). */
  regionPixels: number;
}

export function scoreFromCounts(matPixels: number, regionPixels: number): { score: number; coveredRatio: number } {
  const coveredRatio = regionPixels > 0 ? 1 - matPixels / regionPixels : 0;
  return { coveredRatio, score: Math.round(coveredRatio * 1000) / 10 };
}

/** Decodes and scores one photo. Throws MierukaError('IMAGE_INVALID') for anything that is not a sane image. */
export async function scoreImage(imageBytes: Buffer, opts: ScoreOptions): Promise<ScoreResult> {
  const decodeOpts: DecodeOptions = opts.maxPixels === undefined ? {} : { maxPixels: opts.maxPixels };
  const { data, width, height } = await decodeRgb(imageBytes, decodeOpts);
  const regionPixels = width * height;
  const matPixels = countInRange(data, 3, opts.hsvLower, opts.hsvUpper);
  return { ...scoreFromCounts(matPixels, regionPixels), width, height, matPixels, regionPixels };
}
