/**
 * The clutter score (散乱度): the share of the mat region NOT showing free mat, in percent.
 * scoreFromCounts is the one place the score is defined; both OpenCV backends only count
 * pixels. referenceCount is a pure-JS count (hsv.ts, OpenCV's integer HSV algorithm) used by
 * tests and the benchmark to cross-check the backends; the WASM backend shares its scan
 * (pixels/in-range-bits.ts), so native OpenCV and Python's cv2 are the independent checks.
 */
import type { BackendName } from './backend.js';
import type { RgbImage } from './decode-image.js';
import { countInRange, type Hsv } from './hsv.js';

export interface ScoreResult {
  /** round(100 × coveredRatio, 1 decimal). */
  score: number;
  /** 1 − matPixels / regionPixels. */
  coveredRatio: number;
  /** Size of the decoded photo. */
  width: number;
  height: number;
  /** Pixels of the region whose HSV is inside the mat range (after denoise). */
  matPixels: number;
  /** Pixels scored: the rectified mat region, or the whole photo without ROI. */
  regionPixels: number;
  regionWidth: number;
  regionHeight: number;
  backend: BackendName;
}

/** Both from integer counts, so that e.g. 5 covered pixels in 10 000 is 0.1, not 0.0 (0.0005 is not exact in binary). */
export function scoreFromCounts(matPixels: number, regionPixels: number): { score: number; coveredRatio: number } {
  if (regionPixels <= 0) return { coveredRatio: 0, score: 0 };
  const covered = regionPixels - matPixels;
  return { coveredRatio: covered / regionPixels, score: Math.round((covered * 1000) / regionPixels) / 10 };
}

/** Pure-JS mat pixel count of a whole frame (no ROI, no denoise): cvtColor + inRange + countNonZero. */
export function referenceCount(frame: RgbImage, hsvLower: Hsv, hsvUpper: Hsv): number {
  return countInRange(frame.data, 3, hsvLower, hsvUpper);
}
