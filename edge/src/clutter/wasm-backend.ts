/**
 * The WASM backend: OpenCV compiled to WebAssembly (@techstark/opencv-js), single-threaded and
 * without SIMD, plus plain TypeScript for the per-pixel steps opencv.js is slowest at. Installs
 * everywhere (no compiler, no system OpenCV).
 *
 * Split of the pipeline (backend.ts): opencv.js computes the perspective transform, the
 * denoise element and the outlines; the pixel work is TypeScript, bit-identical to OpenCV
 * (each tested against opencv.js): the warp (pixels/warp-perspective.ts, its per-pixel taps
 * planned once per ROI), HSV + inRange as one scan through a colour table into a bit mask
 * (pixels/in-range-bits.ts; fused with the warp unless the region is wanted), close/open on
 * that mask 32 pixels per word (pixels/morphology-bits.ts) and a popcount. In opencv.js (single-threaded, no SIMD) these
 * steps took 5–7× as long as cv2 (docs/performance.md). The frame is read where it is, never
 * copied into the WASM heap.
 *
 * Two traps of the Emscripten module, both handled in loadOpenCvJs():
 * - the module object has a `then` method, so awaiting it (or resolving a promise with it)
 *   never settles: we wait for `onRuntimeInitialized` and hand it out wrapped in an object;
 * - loading it adds process-wide 'uncaughtException' (rethrow) and 'unhandledRejection'
 *   (abort) listeners, which would turn any stray rejection in the agent into an abort: we
 *   remove exactly the listeners it added.
 * Every cv.Mat lives in the WASM heap and must be delete()d: each call collects its small Mats
 * and frees them in `finally`. The frame-sized buffers (bit masks, warp plan; the RGB
 * Mat of toHsv, the inverted mask for outlines) are kept per backend and reused while the size
 * stays the same: allocating them afresh every frame costs first-touch page faults that take
 * longer than the work itself.
 */
import { createRequire } from 'node:module';
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
import { countBits, createBitMask, unpackBits, type BitMask } from './pixels/bit-mask.js';
import { inRangeBits, rgbRangeTable } from './pixels/in-range-bits.js';
import { closeThenOpenBits, spanGroups, type SpanGroup } from './pixels/morphology-bits.js';
import { planWarp, warpInRangeBits, warpWithPlan, type WarpPlan } from './pixels/warp-perspective.js';
import { rectifiedSize, type Point, type Quad } from './roi.js';

/** Larger than any quad checkQuad lets through (8192): guards the plan's allocation. */
const MAX_REGION_SIDE = 16384;

/* The part of the opencv.js API used here and by the parity tests, typed narrowly (its own typings are huge). */
export interface WMat {
  rows: number;
  cols: number;
  data: Uint8Array;
  data32S: Int32Array;
  data32F: Float32Array;
  data64F: Float64Array;
  delete(): void;
}
interface WMatVector {
  size(): number;
  get(i: number): WMat;
  delete(): void;
}
export interface CvJs {
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
  MORPH_ERODE: number;
  MORPH_DILATE: number;
  MORPH_OPEN: number;
  MORPH_RECT: number;
  MORPH_CROSS: number;
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
  invert(src: WMat, dst: WMat, flags: number): number;
  DECOMP_LU: number;
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

/** Bit masks kept between calls, one per role, replaced only when the size changes. */
class BitPool {
  private readonly masks = new Map<string, BitMask>();
  get(role: string, width: number, height: number): BitMask {
    const have = this.masks.get(role);
    if (have && have.width === width && have.height === height) return have;
    const m = createBitMask(width, height);
    this.masks.set(role, m);
    return m;
  }
  get size(): number {
    return this.masks.size;
  }
  clear(): void {
    this.masks.clear();
  }
}

export class WasmBackend implements ClutterBackend {
  readonly name = 'wasm' as const;
  readonly opencvVersion: string;
  private readonly cv: CvJs;
  private readonly pool: MatPool;
  private readonly bits = new BitPool();
  private plan: { key: string; plan: WarpPlan } | null = null;
  /** Span groups of the N×N ellipse per denoise size N (pixels/morphology-bits.ts). */
  private readonly elements = new Map<number, SpanGroup[]>();

  constructor(cv: CvJs) {
    this.cv = cv;
    this.opencvVersion = /OpenCV (\d+\.\d+\.\d+)/.exec(cv.getBuildInformation())?.[1] ?? 'unknown';
    this.pool = new MatPool(cv);
  }

  /** Frame-sized buffers kept for reuse: Mats (not counted by liveWasmMats), bit masks, warp plan. */
  pooledBuffers(): number {
    return this.pool.size + this.bits.size + (this.plan ? 1 : 0);
  }

  /** Frees the kept frame-sized buffers (the next call allocates them again). */
  releaseBuffers(): void {
    this.pool.clear();
    this.bits.clear();
    this.plan = null;
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
    checkFrame(frame);
    const m = this.pool.get('rgb', frame.height, frame.width, this.cv.CV_8UC3);
    m.data.set(frame.data);
    return m;
  }

  /** The denoise element exactly as OpenCV makes it (MORPH_ELLIPSE, n × n), as span groups. */
  private element(mats: Mats, n: number): SpanGroup[] {
    let groups = this.elements.get(n);
    if (!groups) {
      const k = mats.add(this.cv.getStructuringElement(this.cv.MORPH_ELLIPSE, new this.cv.Size(n, n)));
      groups = spanGroups(k.data, n, n);
      this.elements.set(n, groups);
    }
    return groups;
  }

  /**
   * The warp plan of a ROI on a frame size (pixels/warp-perspective.ts), made on first use:
   * the perspective transform from opencv.js, the per-pixel taps in JS. Kept for the last ROI.
   */
  private warpPlan(mats: Mats, frame: RgbImage, roi: Quad, width: number, height: number): WarpPlan {
    const key = `${frame.width}×${frame.height} ${roi.flat().join(',')}`;
    if (this.plan?.key === key) return this.plan.plan;
    const { cv } = this;
    const src = mats.add(cv.matFromArray(4, 1, cv.CV_32FC2, roi.flat()));
    const dst = mats.add(cv.matFromArray(4, 1, cv.CV_32FC2, [0, 0, width, 0, width, height, 0, height]));
    const m = mats.add(cv.getPerspectiveTransform(src, dst));
    // Callers check the quad (checkQuad); this keeps a bad one from allocating gigabytes.
    if (width > MAX_REGION_SIDE || height > MAX_REGION_SIDE) throw new RangeError(`rectified region ${width}×${height} exceeds ${MAX_REGION_SIDE} px a side`);
    this.plan = null;
    const plan = planWarp(m.data64F, frame.width, frame.height, width, height);
    this.plan = { key, plan };
    return plan;
  }

  analyze(frame: RgbImage, params: AnalyzeParams, wants: AnalyzeWants = {}): Analysis {
    const denoise = checkParams(params);
    checkFrame(frame);
    const mats = new Mats();
    try {
      let width = frame.width;
      let height = frame.height;
      const colours = rgbRangeTable(params.hsvLower, params.hsvUpper);
      let mask: BitMask;
      let matPixels: number;
      let region: Buffer | null = null;
      if (params.roi) {
        ({ width, height } = rectifiedSize(params.roi));
        const plan = this.warpPlan(mats, frame, params.roi, width, height);
        mask = this.bits.get('mask', width, height);
        if (wants.region) {
          region = Buffer.allocUnsafe(width * height * 3);
          warpWithPlan(plan, frame.data, region);
          matPixels = inRangeBits(region, 3, colours, mask);
        } else {
          // The usual case: warped pixels go straight into the mask, no region is written.
          matPixels = warpInRangeBits(plan, frame.data, colours, mask);
        }
      } else {
        mask = this.bits.get('mask', width, height);
        matPixels = inRangeBits(frame.data, 3, colours, mask);
        if (wants.region) region = Buffer.from(frame.data);
      }
      const out: Analysis = { matPixels, regionPixels: width * height, regionWidth: width, regionHeight: height };
      if (region) out.region = region;
      if (denoise > 0) {
        closeThenOpenBits(mask, this.element(mats, denoise), this.bits.get('a', width, height), this.bits.get('b', width, height));
        matPixels = countBits(mask);
        out.matPixels = matPixels;
      }
      if (wants.mask) out.mask = unpackBits(mask, Buffer.allocUnsafe(width * height), 255, 0);
      if (wants.outlines) {
        const covered = this.pool.get('covered', height, width, this.cv.CV_8UC1);
        unpackBits(mask, covered.data, 0, 255);
        out.outlines = this.contoursOf(mats, covered, minOutlineArea(width * height));
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

function checkFrame(frame: RgbImage): void {
  if (frame.data.length !== frame.width * frame.height * 3) throw new RangeError('frame data is not width × height × 3 bytes');
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
