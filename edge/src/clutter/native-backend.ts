/**
 * The native backend: @u4/opencv4nodejs, an optional dependency whose addon is compiled
 * against the system OpenCV (Debian's libopencv-dev; see scripts/with-system-opencv.sh).
 * Loaded lazily and never imported by name, so neither a missing package nor an unbuilt
 * addon breaks compiling, importing or running anything: loadNativeBackend() rejects with
 * DEPENDENCY_MISSING and a reason, and the caller falls back to WASM.
 *
 * Mats here are garbage-collected native objects; the hot path still release()s its
 * intermediates so a 1080p frame's buffers do not wait for the next GC. The input Mat (the
 * largest buffer, 6 MB at 1080p) is kept per frame size and refilled with setData(): a
 * fresh one per frame costs first-touch page faults on every frame.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MierukaError } from '@mieruka/protocol';
import type { RgbImage } from './decode-image.js';
import {
  checkParams,
  minOutlineArea,
  pickOutlines,
  type AnalyzeParams,
  type AnalyzeWants,
  type Analysis,
  type ClutterBackend,
  type GrayImage,
  type Outline,
} from './backend.js';
import { rectifiedSize, type Point } from './roi.js';
import { loadStationKernel, type StationKernel } from './station-kernel.js';

/* The part of the @u4/opencv4nodejs API used here (its typings are absent when it is not installed). */
interface NPoint2 {
  x: number;
  y: number;
}
interface NContour {
  area: number;
  getPoints(): NPoint2[];
}
interface NMat {
  rows: number;
  cols: number;
  cvtColor(code: number): NMat;
  inRange(lower: unknown, upper: unknown): NMat;
  countNonZero(): number;
  morphologyEx(kernel: NMat, op: number, anchor?: unknown, iterations?: number, borderType?: number): NMat;
  bitwiseNot(): NMat;
  findContours(mode: number, method: number): NContour[];
  warpPerspective(m: NMat, size: unknown, flags: number, borderMode: number): NMat;
  getData(): Buffer;
  setData(data: Buffer): NMat;
  release(): void;
}
interface NativeCv {
  Mat: {
    new (data: Buffer, rows: number, cols: number, type: number): NMat;
    new (rows: number, cols: number, type: number): NMat;
  };
  Vec3: new (a: number, b: number, c: number) => unknown;
  Size: new (w: number, h: number) => unknown;
  Point2: new (x: number, y: number) => NPoint2;
  Contour: new (points: NPoint2[]) => { approxPolyDP(epsilon: number, closed: boolean): NPoint2[] };
  getStructuringElement(shape: number, size: unknown): NMat;
  getPerspectiveTransform(src: NPoint2[], dst: NPoint2[]): NMat;
  version: { major: number; minor: number; revision: number };
  isCustomMatAllocatorEnabled(): boolean;
  CV_8UC1: number;
  CV_8UC3: number;
  COLOR_RGB2HSV: number;
  MORPH_OPEN: number;
  MORPH_CLOSE: number;
  MORPH_ELLIPSE: number;
  RETR_EXTERNAL: number;
  CHAIN_APPROX_SIMPLE: number;
  INTER_LINEAR: number;
  BORDER_REPLICATE: number;
  BORDER_CONSTANT: number;
}

const NATIVE_PACKAGE = '@u4/opencv4nodejs';

let loading: Promise<NativeCv> | null = null;

/**
 * Where the addon is: edge/native/ (built by scripts/install-native-opencv.sh, apart from the
 * main install so `npm install` never compiles OpenCV), else anywhere node resolution finds it.
 * edge/native is one level above both src/ and dist/.
 */
export function resolveNativePackage(): string {
  const fromNativeDir = createRequire(new URL('../../native/package.json', import.meta.url));
  try {
    return fromNativeDir.resolve(NATIVE_PACKAGE);
  } catch {
    return createRequire(import.meta.url).resolve(NATIVE_PACKAGE);
  }
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').slice(0, 300);
}

/**
 * Loads the compiled addon once per process; rejects with DEPENDENCY_MISSING and the reason.
 *
 * The addon is required directly instead of through the package's JS entry: that loader
 * (via @u4/opencv-build) reads the package.json of the CURRENT directory, prints info lines
 * to stdout (breaking `--json` output) and throws "No build found" when started outside the
 * repository (systemd, another cwd) unless OPENCV4NODEJS_DISABLE_AUTOBUILD is set. The raw
 * binding has everything used here; dynamic, in try/catch, so a missing or unbuilt addon
 * only means "use WASM".
 */
/** The built addon file, or null when the package is missing or its addon is not built. */
export function nativeAddonPath(): string | null {
  try {
    const addon = addonPathFor(resolveNativePackage());
    return existsSync(addon) ? addon : null;
  } catch {
    return null;
  }
}

// cjs/lib/opencv4nodejs.js → build/Release/opencv4nodejs.node (where node-gyp puts it)
function addonPathFor(entry: string): string {
  return join(dirname(entry), '..', '..', 'build', 'Release', 'opencv4nodejs.node');
}

export function loadNativeOpenCv(): Promise<NativeCv> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    let entry: string;
    try {
      entry = resolveNativePackage();
    } catch (err) {
      throw new MierukaError('DEPENDENCY_MISSING', `${NATIVE_PACKAGE} is not installed (optional: run "bash scripts/install-native-opencv.sh" with libopencv-dev present)`, { cause: err });
    }
    const addon = addonPathFor(entry);
    if (!existsSync(addon)) {
      throw new MierukaError('DEPENDENCY_MISSING', `${NATIVE_PACKAGE} is installed but its addon is not built: run "bash scripts/install-native-opencv.sh"`);
    }
    // The addon's default "external memory tracking" installs a cv::Mat allocator that calls
    // V8 (AdjustAmountOfExternalAllocatedMemory) on every allocation — also from OpenCV's TBB
    // worker threads (warpPerspective → remap allocates there), which aborts the whole
    // process with "Fatal error … Check failed: marking_done_" when that triggers a GC.
    // Read once at addon init; we release() every Mat explicitly, so V8 need not know.
    process.env.OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING ??= '1';
    let cv: NativeCv;
    try {
      cv = require(addon) as NativeCv;
    } catch (err) {
      throw new MierukaError('DEPENDENCY_MISSING', `${NATIVE_PACKAGE} addon failed to load (system OpenCV removed or upgraded? rebuild it): ${firstLine(err)}`, { cause: err });
    }
    if (typeof cv.Mat !== 'function' || typeof cv.getStructuringElement !== 'function') {
      throw new MierukaError('DEPENDENCY_MISSING', `${NATIVE_PACKAGE} addon loaded but does not look like OpenCV bindings`);
    }
    return cv;
  })();
  return loading;
}

export class NativeBackend implements ClutterBackend {
  readonly name = 'native' as const;
  readonly opencvVersion: string;
  /** Whether the addon's V8-reporting Mat allocator is on (must be false: see loadNativeOpenCv). */
  readonly externalMemTracking: boolean;
  private readonly cv: NativeCv;
  /** The reused input Mat (see the file comment); replaced when the frame size changes. */
  private input: NMat | null = null;
  /** analyze() in one call into kept Mats (station-kernel.ts); null: through opencv4nodejs. */
  private readonly kernel: StationKernel | null;
  /** Which path analyze() takes, and why not the kernel. */
  readonly pipeline: { kind: 'station-kernel' | 'opencv4nodejs'; reason?: string };

  constructor(cv: NativeCv, options: { kernel?: StationKernel | null; kernelMissingReason?: string } = {}) {
    this.cv = cv;
    this.kernel = options.kernel ?? null;
    this.pipeline = this.kernel ? { kind: 'station-kernel' } : { kind: 'opencv4nodejs', reason: options.kernelMissingReason ?? 'not asked for' };
    this.externalMemTracking = cv.isCustomMatAllocatorEnabled();
    const v = cv.version;
    this.opencvVersion = v ? `${v.major}.${v.minor}.${v.revision}` : 'unknown';
  }

  private rgbMat(frame: RgbImage): NMat {
    if (frame.data.length !== frame.width * frame.height * 3) throw new RangeError('frame data is not width × height × 3 bytes');
    if (!this.input || this.input.rows !== frame.height || this.input.cols !== frame.width) {
      this.input?.release();
      this.input = null;
      this.input = new this.cv.Mat(frame.height, frame.width, this.cv.CV_8UC3);
    }
    this.input.setData(frame.data);
    return this.input;
  }

  /** Frees the kept input Mat (the next call allocates it again). */
  releaseBuffers(): void {
    this.input?.release();
    this.input = null;
    this.kernel?.release();
  }

  private analyzeWithKernel(kernel: StationKernel, frame: RgbImage, params: AnalyzeParams, denoise: number, wants: AnalyzeWants): Analysis {
    if (frame.data.length !== frame.width * frame.height * 3) throw new RangeError('frame data is not width × height × 3 bytes');
    const size = params.roi ? rectifiedSize(params.roi) : null;
    const r = kernel.analyze(frame.data, {
      width: frame.width,
      height: frame.height,
      ...(params.roi && size ? { roi: params.roi.flat(), outWidth: size.width, outHeight: size.height } : {}),
      lower: params.hsvLower,
      upper: params.hsvUpper,
      denoise,
      wantRegion: wants.region === true,
      wantMask: wants.mask === true,
      wantInverted: wants.outlines === true,
    });
    const out: Analysis = { matPixels: r.matPixels, regionPixels: r.regionPixels, regionWidth: r.regionWidth, regionHeight: r.regionHeight };
    if (r.region) out.region = r.region;
    if (r.mask) out.mask = r.mask;
    if (r.inverted) out.outlines = this.contours({ data: r.inverted, width: r.regionWidth, height: r.regionHeight }, minOutlineArea(r.regionPixels));
    return out;
  }

  analyze(frame: RgbImage, params: AnalyzeParams, wants: AnalyzeWants = {}): Analysis {
    const denoise = checkParams(params);
    if (this.kernel) return this.analyzeWithKernel(this.kernel, frame, params, denoise, wants);
    const { cv } = this;
    const temps: NMat[] = [];
    const keep = <T extends NMat>(m: T): T => (temps.push(m), m);
    try {
      let region = this.rgbMat(frame);
      if (params.roi) {
        const { width, height } = rectifiedSize(params.roi);
        const src = params.roi.map(([x, y]) => new cv.Point2(x, y));
        const dst = [new cv.Point2(0, 0), new cv.Point2(width, 0), new cv.Point2(width, height), new cv.Point2(0, height)];
        const m = keep(cv.getPerspectiveTransform(src, dst));
        region = keep(region.warpPerspective(m, new cv.Size(width, height), cv.INTER_LINEAR, cv.BORDER_REPLICATE));
      }
      const hsv = keep(region.cvtColor(cv.COLOR_RGB2HSV));
      let mask = keep(hsv.inRange(new cv.Vec3(...params.hsvLower), new cv.Vec3(...params.hsvUpper)));
      if (denoise > 0) {
        const kernel = keep(cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(denoise, denoise)));
        const anchor = new cv.Point2(-1, -1);
        mask = keep(mask.morphologyEx(kernel, cv.MORPH_CLOSE, anchor, 1, cv.BORDER_CONSTANT));
        mask = keep(mask.morphologyEx(kernel, cv.MORPH_OPEN, anchor, 1, cv.BORDER_CONSTANT));
      }
      const regionWidth = region.cols;
      const regionHeight = region.rows;
      const regionPixels = regionWidth * regionHeight;
      const out: Analysis = { matPixels: mask.countNonZero(), regionPixels, regionWidth, regionHeight };
      if (wants.region) out.region = Buffer.from(region.getData());
      if (wants.mask) out.mask = Buffer.from(mask.getData());
      if (wants.outlines) out.outlines = this.contoursOf(keep(mask.bitwiseNot()), minOutlineArea(regionPixels));
      return out;
    } finally {
      for (const m of temps) m.release();
    }
  }

  toHsv(frame: RgbImage): Buffer {
    const hsv = this.rgbMat(frame).cvtColor(this.cv.COLOR_RGB2HSV);
    const out = Buffer.from(hsv.getData());
    hsv.release();
    return out;
  }

  contours(mask: GrayImage, minArea: number): Outline[] {
    if (mask.data.length !== mask.width * mask.height) throw new RangeError('mask data is not width × height bytes');
    const m = new this.cv.Mat(mask.data, mask.height, mask.width, this.cv.CV_8UC1);
    try {
      return this.contoursOf(m, minArea);
    } finally {
      m.release();
    }
  }

  approxPolygon(points: readonly Point[], epsilon: number): Point[] {
    const contour = new this.cv.Contour(points.map(([x, y]) => new this.cv.Point2(Math.round(x), Math.round(y))));
    return contour.approxPolyDP(epsilon, true).map((p) => [p.x, p.y] as const);
  }

  private contoursOf(binary: NMat, minArea: number): Outline[] {
    const found: Outline[] = [];
    for (const c of binary.findContours(this.cv.RETR_EXTERNAL, this.cv.CHAIN_APPROX_SIMPLE)) {
      const area = c.area;
      if (area >= minArea) found.push({ points: c.getPoints().map((p) => [p.x, p.y] as const), area });
    }
    return pickOutlines(found);
  }
}

/** `kernel: false` keeps analyze() on the opencv4nodejs calls (tests compare the two paths). */
export async function loadNativeBackend(options: { kernel?: boolean } = {}): Promise<NativeBackend> {
  const cv = await loadNativeOpenCv();
  if (options.kernel === false) return new NativeBackend(cv);
  const loaded = loadStationKernel();
  return new NativeBackend(cv, loaded.kernel ? { kernel: loaded.kernel } : { kernelMissingReason: loaded.reason });
}
