/**
 * Cameras read through ffmpeg: a v4l2 device (size + MJPEG input), an HTTP snapshot URL, an
 * RTSP stream, or a photo file / the newest photo of a folder (tests, demos), plus any raw
 * ffmpeg input (e.g. `-f lavfi -i testsrc`). Warm-up frames are dropped with a select filter
 * so auto exposure has settled when the frame is taken.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { MierukaError, redactText } from '@mieruka/protocol';
import { lastLine, runProcess, type RunResult } from '../run-process.js';
import type { Camera } from './camera.js';

export type CameraSource =
  | { type: 'v4l2'; device: string; width: number; height: number }
  | { type: 'http'; url: string }
  | { type: 'rtsp'; url: string }
  | { type: 'file'; path: string }
  | { type: 'ffmpeg-input'; args: string[] };

export interface FfmpegCameraOptions {
  source: CameraSource;
  warmupFrames?: number;
  timeoutMs?: number;
  ffmpegPath?: string;
  /** JPEG quality as ffmpeg's -q:v (2 best … 31 worst); default 3. */
  quality?: number;
}

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp']);

export class FfmpegCamera implements Camera {
  readonly description: string;
  private readonly opts: FfmpegCameraOptions;
  private readonly aborts = new Set<AbortController>();

  constructor(opts: FfmpegCameraOptions) {
    this.opts = opts;
    const s = opts.source;
    this.description =
      s.type === 'v4l2'
        ? `v4l2 ${s.device} ${s.width}x${s.height}`
        : s.type === 'file'
          ? `file ${s.path}`
          : s.type === 'ffmpeg-input'
            ? `ffmpeg ${s.args.join(' ')}`
            : `${s.type} ${redactUrl(s.url)}`;
  }

  async capture(): Promise<Buffer> {
    const input = await this.inputArgs();
    const warmup = this.stillSource() ? 0 : (this.opts.warmupFrames ?? 0);
    const filter = warmup > 0 ? ['-vf', `select=gte(n\\,${warmup})`] : [];
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input, ...filter, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(this.opts.quality ?? 3), 'pipe:1'];
    const abort = new AbortController();
    this.aborts.add(abort);
    try {
      const r = await runProcess(this.opts.ffmpegPath ?? 'ffmpeg', args, { timeoutMs: this.opts.timeoutMs ?? 15_000, signal: abort.signal });
      return this.result(r);
    } finally {
      this.aborts.delete(abort);
    }
  }

  close(): void {
    for (const a of this.aborts) a.abort();
  }

  private stillSource(): boolean {
    return this.opts.source.type === 'http' || this.opts.source.type === 'file';
  }

  private async inputArgs(): Promise<string[]> {
    const s = this.opts.source;
    switch (s.type) {
      case 'v4l2':
        return ['-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', `${s.width}x${s.height}`, '-i', s.device];
      case 'http':
        return ['-rw_timeout', String((this.opts.timeoutMs ?? 15_000) * 1000), '-i', s.url];
      case 'rtsp':
        return ['-rtsp_transport', 'tcp', '-i', s.url];
      case 'file':
        return ['-i', await pickPhoto(s.path)];
      case 'ffmpeg-input':
        return [...s.args];
    }
  }

  private result(r: RunResult): Buffer {
    const what = this.description;
    switch (r.kind) {
      case 'exit': {
        if (r.code === 0 && r.stdout.length > 2 && r.stdout[0] === 0xff && r.stdout[1] === 0xd8) return r.stdout;
        const said = redactUrl(lastLine(r.stderr)) || `exit code ${r.code ?? r.signal}`;
        const hint = /busy/i.test(r.stderr) ? ' (the camera is busy: another program is using it)' : '';
        throw new MierukaError('CAMERA_UNAVAILABLE', `camera ${what} gave no picture: ${said}${hint}`);
      }
      case 'timeout':
        throw new MierukaError('CAMERA_UNAVAILABLE', `camera ${what} timed out after ${this.opts.timeoutMs ?? 15_000} ms${r.stderr ? `: ${redactUrl(lastLine(r.stderr))}` : ''}`);
      case 'aborted':
        throw new MierukaError('CAMERA_UNAVAILABLE', `camera ${what}: capture cancelled (station stopping)`);
      case 'too-large':
        throw new MierukaError('CAMERA_UNAVAILABLE', `camera ${what} sent more data than one photo`);
      case 'spawn-error':
        if (r.error.code === 'ENOENT') throw new MierukaError('DEPENDENCY_MISSING', `ffmpeg is not installed (${this.opts.ffmpegPath ?? 'ffmpeg'} not found); run scripts/install-system-deps.sh`);
        throw new MierukaError('CAMERA_UNAVAILABLE', `camera ${what}: cannot start ffmpeg (${r.error.message})`);
    }
  }
}

/** A file as it is, or the newest photo in a folder. */
export async function pickPhoto(path: string): Promise<string> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new MierukaError('CAMERA_UNAVAILABLE', `camera file source ${path} does not exist`);
  }
  if (!st.isDirectory()) return path;
  const names = (await readdir(path)).filter((n) => PHOTO_EXTENSIONS.has(extname(n).toLowerCase()));
  let best: { file: string; mtime: number } | null = null;
  for (const n of names) {
    const file = join(path, n);
    const m = (await stat(file)).mtimeMs;
    if (!best || m > best.mtime || (m === best.mtime && file > best.file)) best = { file, mtime: m };
  }
  if (!best) throw new MierukaError('CAMERA_UNAVAILABLE', `camera folder ${path} holds no photo (.jpg, .png, .webp, .bmp)`);
  return best.file;
}

/** Credentials in a camera URL (or in ffmpeg's words about it) never reach a log. */
export function redactUrl(text: string): string {
  return redactText(text);
}
