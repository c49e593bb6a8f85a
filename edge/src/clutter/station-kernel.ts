/**
 * The station kernel: edge/native/station, a small addon of ours (built with the native
 * backend by scripts/install-native-opencv.sh) that runs the per-frame pipeline — rectify,
 * HSV, inRange, close + open, count — in one call into Mats it keeps across frames. The
 * opencv4nodejs calls of native-backend.ts return a fresh Mat per operation, ~20 MB per 1080p
 * frame, whose first touch cost more than the arithmetic (docs/performance.md). Optional:
 * without it the native backend does the same calls through opencv4nodejs.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type KernelInput = {
  width: number;
  height: number;
  /** 4 corners x0, y0, … x3, y3 of the region, rectified to outWidth × outHeight. */
  roi?: number[];
  outWidth?: number;
  outHeight?: number;
  lower: readonly [number, number, number];
  upper: readonly [number, number, number];
  denoise: number;
  wantRegion: boolean;
  wantMask: boolean;
  /** The inverted mask (objects white), for their outlines. */
  wantInverted: boolean;
};

export type KernelOutput = {
  matPixels: number;
  regionPixels: number;
  regionWidth: number;
  regionHeight: number;
  region?: Buffer;
  mask?: Buffer;
  inverted?: Buffer;
};

export interface StationKernel {
  analyze(rgb: Buffer, input: KernelInput): KernelOutput;
  /** Frees the kept Mats. */
  release(): void;
  opencvVersion: string;
}

/** edge/native is one level above both src/ and dist/. */
export function stationKernelPath(): string {
  return fileURLToPath(new URL('../../native/station/build/Release/station.node', import.meta.url));
}

/** The kernel, or the reason it cannot be used. Never throws. */
export function loadStationKernel(): { kernel: StationKernel } | { kernel: null; reason: string } {
  const path = stationKernelPath();
  if (!existsSync(path)) return { kernel: null, reason: 'edge/native/station is not built (scripts/install-native-opencv.sh builds it)' };
  try {
    const kernel = createRequire(import.meta.url)(path) as StationKernel;
    if (typeof kernel.analyze !== 'function') return { kernel: null, reason: 'edge/native/station does not export analyze()' };
    return { kernel };
  } catch (err) {
    return { kernel: null, reason: `edge/native/station failed to load (OpenCV upgraded? rebuild it): ${(err as Error).message.split('\n')[0]}` };
  }
}
