/** The camera port of the station: one JPEG per call. Real: FfmpegCamera, RpicamCamera; tests: FakeCamera. */
export interface Camera {
  /** A JPEG. Rejects with MierukaError('CAMERA_UNAVAILABLE') (missing, busy, timed out) or 'DEPENDENCY_MISSING'. */
  capture(): Promise<Buffer>;
  /** Kills a capture in progress (its promise rejects). */
  close(): void;
  /** For logs and status details, e.g. "v4l2 /dev/video0 1920x1080". */
  readonly description: string;
}
