/** Raspberry Pi camera modules through rpicam-still (libcamera): JPEG to stdout. */
import { MierukaError } from '@mieruka/protocol';
import { lastLine, runProcess } from '../run-process.js';
import type { Camera } from './camera.js';

export interface RpicamCameraOptions {
  width: number;
  height: number;
  /** Warm-up frames, turned into rpicam-still's preview time (≈ 100 ms per frame, at least 500 ms). */
  warmupFrames?: number;
  timeoutMs?: number;
  rpicamPath?: string;
}

export class RpicamCamera implements Camera {
  readonly description: string;
  private readonly opts: RpicamCameraOptions;
  private readonly aborts = new Set<AbortController>();

  constructor(opts: RpicamCameraOptions) {
    this.opts = opts;
    this.description = `rpicam ${opts.width}x${opts.height}`;
  }

  /** The arguments given to rpicam-still (exported for tests and docs). */
  args(): string[] {
    const settleMs = Math.max(500, (this.opts.warmupFrames ?? 10) * 100);
    return ['-n', '-t', String(settleMs), '--width', String(this.opts.width), '--height', String(this.opts.height), '--encoding', 'jpg', '-o', '-'];
  }

  async capture(): Promise<Buffer> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const bin = this.opts.rpicamPath ?? 'rpicam-still';
    try {
      const r = await runProcess(bin, this.args(), { timeoutMs: this.opts.timeoutMs ?? 15_000, signal: abort.signal });
      if (r.kind === 'exit' && r.code === 0 && r.stdout[0] === 0xff && r.stdout[1] === 0xd8) return r.stdout;
      if (r.kind === 'spawn-error' && r.error.code === 'ENOENT') throw new MierukaError('DEPENDENCY_MISSING', `${bin} is not installed (apt install rpicam-apps on Raspberry Pi OS)`);
      if (r.kind === 'timeout') throw new MierukaError('CAMERA_UNAVAILABLE', `camera ${this.description} timed out after ${this.opts.timeoutMs ?? 15_000} ms`);
      const said = r.kind === 'exit' ? lastLine(r.stderr) || `exit code ${r.code}` : r.kind;
      throw new MierukaError('CAMERA_UNAVAILABLE', `camera ${this.description} gave no picture: ${said}`);
    } finally {
      this.aborts.delete(abort);
    }
  }

  close(): void {
    for (const a of this.aborts) a.abort();
  }
}
