/**
 * The scoring pipeline end to end: untrusted image bytes → decode (sharp, guarded) → the
 * backend's warp / HSV / inRange / denoise / count → score, plus the annotated JPEG and the
 * thumbnail. One scorer per station; it holds a loaded backend and the station's parameters.
 */
import type { Logger } from 'pino';
import { renderAnnotated, type AnnotatedImages } from './annotate.js';
import { checkParams, type AnalyzeParams, type BackendPreference, type ClutterBackend } from './backend.js';
import { decodeRgb, type RgbImage } from './decode-image.js';
import type { Hsv } from './hsv.js';
import { checkQuad, type Quad } from './roi.js';
import { scoreFromCounts, type ScoreResult } from './score.js';
import { selectBackend, type BackendChoice } from './select-backend.js';

export interface ClutterScorerOptions {
  hsvLower: Hsv;
  hsvUpper: Hsv;
  /** Mat corners (TL, TR, BR, BL) in the full-size photo; absent = the whole photo. */
  roi?: Quad | null;
  /** Morphological close + open kernel size in pixels (see backend.ts); 0 = off (default). */
  denoise?: number;
  /** Decoder pixel limit (see decode-image.ts). */
  maxPixels?: number;
}

export interface AnnotateShotOptions {
  /** Second banner line, e.g. "bench-1 | 09:00 | 2026-11-24 09:00:00". */
  caption: string;
  /** Annotated image width (never enlarged); default 640. */
  maxWidth?: number;
  /** Thumbnail width; default 160. */
  thumbnailWidth?: number;
}

export interface ClutterShot {
  result: ScoreResult;
  images: AnnotatedImages;
}

export class ClutterScorer {
  readonly backend: ClutterBackend;
  private readonly params: AnalyzeParams;
  private readonly maxPixels: number | undefined;

  /** Validates the parameters (RangeError); no I/O. */
  constructor(backend: ClutterBackend, opts: ClutterScorerOptions) {
    this.backend = backend;
    this.params = { hsvLower: [...opts.hsvLower], hsvUpper: [...opts.hsvUpper], roi: opts.roi ?? null, denoise: opts.denoise ?? 0 };
    checkParams(this.params);
    this.maxPixels = opts.maxPixels;
  }

  /** Throws MierukaError('IMAGE_INVALID') for anything that is not a sane photo. */
  decode(bytes: Uint8Array): Promise<RgbImage> {
    return decodeRgb(bytes, this.maxPixels === undefined ? {} : { maxPixels: this.maxPixels });
  }

  /** Scores a decoded frame. Throws MierukaError('CONFIG_INVALID') when the ROI does not fit it. */
  scoreFrame(frame: RgbImage): ScoreResult {
    if (this.params.roi) checkQuad(this.params.roi, frame.width, frame.height);
    const a = this.backend.analyze(frame, this.params);
    return this.toResult(frame, a);
  }

  async score(bytes: Uint8Array): Promise<ScoreResult> {
    return this.scoreFrame(await this.decode(bytes));
  }

  /** Scores and draws the annotated JPEG + thumbnail in one pass over the frame. */
  async scoreAndAnnotate(bytes: Uint8Array, opts: AnnotateShotOptions): Promise<ClutterShot> {
    return this.scoreAndAnnotateFrame(await this.decode(bytes), opts);
  }

  async scoreAndAnnotateFrame(frame: RgbImage, opts: AnnotateShotOptions): Promise<ClutterShot> {
    if (this.params.roi) checkQuad(this.params.roi, frame.width, frame.height);
    const a = this.backend.analyze(frame, this.params, { region: true, mask: true, outlines: true });
    const result = this.toResult(frame, a);
    const images = await renderAnnotated(
      { region: a.region!, mask: a.mask!, width: a.regionWidth, height: a.regionHeight, outlines: a.outlines ?? [] },
      { score: result.score, ...opts },
    );
    return { result, images };
  }

  private toResult(frame: RgbImage, a: { matPixels: number; regionPixels: number; regionWidth: number; regionHeight: number }): ScoreResult {
    return {
      ...scoreFromCounts(a.matPixels, a.regionPixels),
      width: frame.width,
      height: frame.height,
      matPixels: a.matPixels,
      regionPixels: a.regionPixels,
      regionWidth: a.regionWidth,
      regionHeight: a.regionHeight,
      backend: this.backend.name,
    };
  }
}

/**
 * Loads the backend (auto: native if it loads, else WASM; or the configured one), logs the
 * choice once, and returns a scorer. Rejects with DEPENDENCY_MISSING when "native" is forced
 * but unavailable, and RangeError for bad parameters.
 */
export async function createClutterScorer(
  opts: ClutterScorerOptions & { backend?: BackendPreference; logger?: Logger },
): Promise<{ scorer: ClutterScorer; choice: BackendChoice }> {
  checkParams({ hsvLower: opts.hsvLower, hsvUpper: opts.hsvUpper, denoise: opts.denoise ?? 0 });
  const choice = await selectBackend(opts.backend ?? 'auto');
  const scorer = new ClutterScorer(choice.backend, opts);
  opts.logger?.info({ backend: choice.backend.name, opencv: choice.backend.opencvVersion, reason: choice.reason }, 'clutter scoring backend chosen');
  return { scorer, choice };
}
