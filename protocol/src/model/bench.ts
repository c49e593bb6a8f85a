/** Work-bench clutter scores as reports show them. */

/** One clutter score of a work-bench station. */
export type BenchScore = {
  ts: number;
  seq: number;
  score: number;
  coveredRatio: number;
  slot: string;
  imageId: string | null;
  /** The image file is on disk (false after retention pruned it, or before it arrived). */
  imageAvailable: boolean;
};

/** A clutter station (one that has sent a score, or one named in the config) and its latest score. */
export type BenchSummary = { site: string; node: string; name: string | null; online: boolean | null; latest: BenchScore | null };
