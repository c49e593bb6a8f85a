/**
 * The WASM backend: OpenCV compiled to WebAssembly (@techstark/opencv-js). Installs
 * everywhere (no compiler, no system OpenCV), ~5–7× slower than native.
 *
 * Two traps of the Emscripten module, both handled in loadOpenCvJs():
 * - the module object has a `then` method, so awaiting it (or resolving a promise with it)
 *   never settles: we wait for `onRuntimeInitialized` and hand it out wrapped in an object;
 * - loading it adds process-wide 'uncaughtException' (rethrow) and 'unhandledRejection'
 *   (abort) listeners, which would turn any stray rejection in the agent into an abort: we
 *   remove exactly the listeners it added.
 * Every cv.Mat lives in the WASM heap and must be delete()d: each call collects its small Mats
 * and frees them in `finally`. The frame-sized ones (RGB, warped region, HSV, masks) are kept
 * per backend and reused while the frame size stays the same: allocating them afresh every
 * frame costs first-touch page faults (the WASM heap is returned and regrown) that take
 * longer than the OpenCV work itself; OpenCV's create() is a no-op on a Mat of the right
 * size and type, so the results are the same.
 */
import { createRequire } from 'node:module';
import type { RgbImage } from './decode-image.js';
import type { Hsv } from './hsv.js';
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

/* The part of the opencv.js API used here, typed narrowly (its own typings are huge). */
interface WMat {
  rows: number;
  cols: number;
  data: Uint8Array;
  data32S: Int32Array;
  data32F: Float32Array;
  delete(): void;
}
interface WMatVector {
  size(): number;
  get(i: number): WMat;
  delete(): void;
}
interface CvJs {
  Mat: new (...args: unknown[]) => WMat;
  MatVector: new () => WMatVector;
  Size: new (w: number, h: number) => unknown;
  Point: new (x: number, y: number) => unknown;
  Scalar: new (...v: number[]) => unknown;
  CV_8UC1: number;
  CV_8UC3: number;
  CV_64F: number;
  CV_32FC2: number;
  CV_32SC2: number;
  COLOR_RGB2HSV: number;
  MORPH_OPEN: number;
  MORPH_CLOSE: number;
  MORPH_ELLIPSE: number;
  RETR_EXTERNAL: number;
  CHAIN_APPROX_SIMPLE: number;
  INTER_LINEAR: number;
  BORDER_REPLICATE: number;
  BORDER_CONSTANT: number;
  matFromArray(rows: number, cols: number, type: number, values: ArrayLike<number>): WMat;
  cvtColor(src: WMat, dst: WMat, code: number): void;
  inRange(src: WMat, lower: WMat, upper: WMat, dst: WMat): void;
  countNonZero(src: WMat): number;
  getStructuringElement(shape: number, size: unknown): WMat;
  morphologyEx(src: WMat, dst: WMat, op: number, kernel: WMat, anchor: unknown, iterations: number, borderType: number, borderValue: unknown): void;
  morphologyDefaultBorderValue(): unknown;
  bitwise_not(src: WMat, dst: WMat): void;
  findContours(image: WMat, contours: WMatVector, hierarchy: WMat, mode: number, method: number): void;
  contourArea(contour: WMat): number;
  approxPolyDP(curve: WMat, out: WMat, epsilon: number, closed: boolean): void;
  getPerspectiveTransform(src: WMat, dst: WMat): WMat;
  warpPerspective(src: WMat, dst: WMat, m: WMat, size: unknown, flags: number, borderMode: number, borderValue: unknown): void;
  getBuildInformation(): string;
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  onRuntimeInitialized?: () => void;
}

let loading: Promise<{ cv: CvJs }> | null = null;

/** Loads and initialises opencv.js once per process. Resolves to a wrapper (the module is a thenable). */
export function loadOpenCvJs(): Promise<{ cv: CvJs }> {
  loading ??= new Promise<{ cv: CvJs }>((resolve, reject) => {
    type Listener = (...args: unknown[]) => void;
    const listeners = (e: string) => process.listeners(e as 'uncaughtException') as Listener[];
    const events = ['uncaughtException', 'unhandledRejection'];
    const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
    let cv: CvJs;
    try {
      cv = createRequire(import.meta.url)('@techstark/opencv-js') as CvJs;
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    } finally {
      for (const e of events) for (const l of listeners(e)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
    const ready = () => resolve({ cv });
    if (typeof cv.Mat === 'function') ready();
    else cv.onRuntimeInitialized = ready;
  });
  return loading;
}

/**
 * opencv.js throws C++ exceptions as bare numbers (a pointer; this build has no
 * exceptionFromPtr to read the message). Turn them into Errors. The exception object itself
 * (a few hundred bytes of WASM heap) cannot be freed from JS: the callers validate inputs so
 * OpenCV errors stay exceptional.
 */
function asError(err: unknown, what: string): unknown {
  return typeof err === 'number' ? new Error(`OpenCV (WASM) failed in ${what} (C++ exception at ${err})`) : err;
}

let liveMats = 0;

/** Mats (and MatVectors) allocated by this backend and not yet deleted: 0 between calls. */
export function liveWasmMats(): number {
  return liveMats;
}

/** Collects Mats so one `finally` frees them all, whatever threw. */
class Mats {
  private readonly all: { delete(): void }[] = [];
  add<T extends { delete(): void }>(m: T): T {
    this.all.push(m);
    liveMats++;
    return m;
  }
  free(): void {
    for (const m of this.all.splice(0)) {
      m.delete();
      liveMats--;
    }
  }
}

/** Frame-sized Mats kept between calls, one per role, replaced only when the size changes. */
class MatPool {
  private readonly mats = new Map<string, { m: WMat; rows: number; cols: number; type: number }>();
  constructor(private readonly cv: CvJs) {}
  get(role: string, rows: number, cols: number, type: number): WMat {
    const have = this.mats.get(role);
    if (have && have.rows === rows && have.cols === cols && have.type === type) return have.m;
    if (have) {
      this.mats.delete(role);
      have.m.delete();
    }
    const m = new this.cv.Mat(rows, cols, type);
    this.mats.set(role, { m, rows, cols, type });
    return m;
  }
  get size(): number {
    return this.mats.size;
  }
  clear(): void {
    for (const { m } of this.mats.values()) m.delete();
    this.mats.clear();
  }
}

export class WasmBackend implements ClutterBackend {
  readonly name = 'wasm' as const;
  readonly opencvVersion: string;
  private readonly cv: CvJs;
  private readonly pool: MatPool;

  constructor(cv: CvJs) {
    this.cv = cv;
    this.opencvVersion = /OpenCV (\d+\.\d+\.\d+)/.exec(cv.getBuildInformation())?.[1] ?? 'unknown';
    this.pool = new MatPool(cv);
  }

  /** Frame-sized Mats kept for reuse (not counted by liveWasmMats). */
  pooledMats(): number {
    return this.pool.size;
  }

  /** Frees the kept frame-sized Mats (the next call allocates them again). */
  releaseBuffers(): void {
    this.pool.clear();
  }

  /**
   * For leak checks: the WASM heap size and where a small allocation lands right now. With
   * every Mat freed, repeating the same work leaves both unchanged.
   */
  memoryProbe(): { heapBytes: number; probeAddress: number } {
    const probeAddress = this.cv._malloc(64);
    this.cv._free(probeAddress);
    return { heapBytes: this.cv.HEAPU8.length, probeAddress };
  }

  private rgbMat(frame: RgbImage): WMat {
    if (frame.data.length !== frame.width * frame.height * 3) throw new RangeError('frame data is not width × height × 3 bytes');
    const m = this.pool.get('rgb', frame.height, frame.width, this.cv.CV_8UC3);
    m.data.set(frame.data);
    return m;
  }

  private bound(mats: Mats, v: Hsv): WMat {
    // A 4×1 CV_64F Mat is how cv::Scalar travels as an array: inRange takes it as a scalar
    // bound (a 1×1 CV_8UC3 Mat, also legal in C++, silently matches nothing in opencv.js).
    return mats.add(this.cv.matFromArray(4, 1, this.cv.CV_64F, [v[0], v[1], v[2], 0]));
  }

  analyze(frame: RgbImage, params: AnalyzeParams, wants: AnalyzeWants = {}): Analysis {
    const denoise = checkParams(params);
    const { cv } = this;
    const mats = new Mats();
    try {
      let region = this.rgbMat(frame);
      if (params.roi) {
        const { width, height } = rectifiedSize(params.roi);
        const src = mats.add(cv.matFromArray(4, 1, cv.CV_32FC2, params.roi.flat()));
        const dst = mats.add(cv.matFromArray(4, 1, cv.CV_32FC2, [0, 0, width, 0, width, height, 0, height]));
        const m = mats.add(cv.getPerspectiveTransform(src, dst));
        const warped = this.pool.get('warped', height, width, cv.CV_8UC3);
        cv.warpPerspective(region, warped, m, new cv.Size(width, height), cv.INTER_LINEAR, cv.BORDER_REPLICATE, new cv.Scalar());
        region = warped;
      }
      const hsv = this.pool.get('hsv', region.rows, region.cols, cv.CV_8UC3);
      cv.cvtColor(region, hsv, cv.COLOR_RGB2HSV);
      let mask = this.pool.get('mask', region.rows, region.cols, cv.CV_8UC1);
      cv.inRange(hsv, this.bound(mats, params.hsvLower), this.bound(mats, params.hsvUpper), mask);
      if (denoise > 0) {
        const kernel = mats.add(cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(denoise, denoise)));
        const closed = this.pool.get('closed', region.rows, region.cols, cv.CV_8UC1);
        const opened = this.pool.get('opened', region.rows, region.cols, cv.CV_8UC1);
        const anchor = new cv.Point(-1, -1);
        const borderValue = cv.morphologyDefaultBorderValue();
        cv.morphologyEx(mask, closed, cv.MORPH_CLOSE, kernel, anchor, 1, cv.BORDER_CONSTANT, borderValue);
        cv.morphologyEx(closed, opened, cv.MORPH_OPEN, kernel, anchor, 1, cv.BORDER_CONSTANT, borderValue);
        mask = opened;
      }
      const regionWidth = region.cols;
      const regionHeight = region.rows;
      const regionPixels = regionWidth * regionHeight;
      const out: Analysis = { matPixels: cv.countNonZero(mask), regionPixels, regionWidth, regionHeight };
      if (wants.region) out.region = Buffer.from(region.data);
      if (wants.mask) out.mask = Buffer.from(mask.data);
      if (wants.outlines) {
        const covered = mats.add(new cv.Mat());
        cv.bitwise_not(mask, covered);
        out.outlines = this.contoursOf(mats, covered, minOutlineArea(regionPixels));
      }
      return out;
    } catch (err) {
      throw asError(err, 'analyze');
    } finally {
      mats.free();
    }
  }

  toHsv(frame: RgbImage): Buffer {
    const mats = new Mats();
    try {
      const hsv = mats.add(new this.cv.Mat());
      this.cv.cvtColor(this.rgbMat(frame), hsv, this.cv.COLOR_RGB2HSV);
      return Buffer.from(hsv.data);
    } finally {
      mats.free();
    }
  }

  contours(mask: GrayImage, minArea: number): Outline[] {
    const mats = new Mats();
    try {
      if (mask.data.length !== mask.width * mask.height) throw new RangeError('mask data is not width × height bytes');
      const m = mats.add(new this.cv.Mat(mask.height, mask.width, this.cv.CV_8UC1));
      m.data.set(mask.data);
      return this.contoursOf(mats, m, minArea);
    } finally {
      mats.free();
    }
  }

  approxPolygon(points: readonly Point[], epsilon: number): Point[] {
    const mats = new Mats();
    try {
      const curve = mats.add(this.cv.matFromArray(points.length, 1, this.cv.CV_32SC2, points.flat().map(Math.round)));
      const out = mats.add(new this.cv.Mat());
      this.cv.approxPolyDP(curve, out, epsilon, true);
      return pairs(out.data32S);
    } finally {
      mats.free();
    }
  }

  private contoursOf(mats: Mats, binary: WMat, minArea: number): Outline[] {
    const { cv } = this;
    const vec = mats.add(new cv.MatVector());
    const hierarchy = mats.add(new cv.Mat());
    cv.findContours(binary, vec, hierarchy, cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE);
    const found: Outline[] = [];
    for (let i = 0; i < vec.size(); i++) {
      const c = mats.add(vec.get(i));
      const area = cv.contourArea(c);
      if (area >= minArea) found.push({ points: pairs(c.data32S), area });
    }
    return pickOutlines(found);
  }
}

function pairs(xy: Int32Array): Point[] {
  const out: Point[] = [];
  for (let i = 0; i + 1 < xy.length; i += 2) out.push([xy[i]!, xy[i + 1]!]);
  return out;
}

export async function loadWasmBackend(): Promise<WasmBackend> {
  const { cv } = await loadOpenCvJs();
  return new WasmBackend(cv);
}
