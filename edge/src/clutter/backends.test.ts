/**
 * Both OpenCV backends against each other, against the pure-JS reference (hsv.ts) and, in
 * python-parity.test.ts, against OpenCV's Python binding. The native backend is tested
 * wherever its addon loaded; the WASM backend always.
 */
import { readFile } from 'node:fs/promises';
import { isMierukaError } from '@mieruka/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { clutterFixturePath, loadClutterManifest, type ClutterFixtureManifest } from '../../../test/fixtures/clutter/fixtures.js';
import type { ClutterBackend } from './backend.js';
import { decodeRgb, type RgbImage } from './decode-image.js';
import { loadNativeBackend, nativeAddonPath, type NativeBackend } from './native-backend.js';
import { listSamplePhotos } from './sample-photos.js';
import { referenceCount } from './score.js';
import { parseBackendPreference, selectBackend } from './select-backend.js';
import { liveWasmMats, loadWasmBackend, type WasmBackend } from './wasm-backend.js';

/** Independent of the loader: is the addon file where node-gyp puts it? */
const nativeAddonPresent = () => nativeAddonPath() !== null;

let manifest: ClutterFixtureManifest;
let wasm: WasmBackend;
let native: NativeBackend | null;
let nativePerCall: NativeBackend | null;
/** Every backend that loaded here: WASM always, native when its addon is built. */
let loaded: ClutterBackend[];
const frames = new Map<string, RgbImage>();

beforeAll(async () => {
  manifest = await loadClutterManifest();
  wasm = await loadWasmBackend();
  native = await loadNativeBackend().catch(() => null);
  // The native backend twice: through the station kernel and through opencv4nodejs alone.
  nativePerCall = native ? await loadNativeBackend({ kernel: false }) : null;
  loaded = native && nativePerCall ? [wasm, native, nativePerCall] : [wasm];
  for (const f of manifest.fixtures) frames.set(f.file, await decodeRgb(await readFile(clutterFixturePath(f.file))));
  for (const p of await listSamplePhotos()) frames.set(p, await decodeRgb(await readFile(p)));
});

describe('backend selection', () => {
  it('auto picks native exactly when its addon is built, and says why', async () => {
    const choice = await selectBackend('auto');
    if (nativeAddonPresent()) {
      expect(choice.backend.name).toBe('native');
      expect(choice.reason).toMatch(/^auto: native OpenCV \d+\.\d+\.\d+ loaded$/);
      expect(choice.nativeError).toBeUndefined();
    } else {
      expect(choice.backend.name).toBe('wasm');
      expect(choice.nativeError).toMatch(/@u4\/opencv4nodejs (is not installed|is installed but its addon is not built|addon failed to load)/);
      expect(choice.reason).toContain('auto: native unavailable');
      expect(choice.reason).toMatch(/using WASM OpenCV 4\.12\.0$/);
    }
    // The same backend object every time (loaded once per process).
    expect((await selectBackend('auto')).backend.name).toBe(choice.backend.name);
  });

  it('"wasm" always loads opencv.js 4.12; "native" loads the addon or fails with DEPENDENCY_MISSING', async () => {
    const w = await selectBackend('wasm');
    expect(w.backend.name).toBe('wasm');
    expect(w.backend.opencvVersion).toBe('4.12.0');
    expect(w.reason).toBe('configured: WASM OpenCV 4.12.0');
    const n = await selectBackend('native').then(
      (c) => c,
      (e: unknown) => e,
    );
    if (native) {
      expect(n).toMatchObject({ backend: { name: 'native' }, reason: expect.stringMatching(/^configured: native OpenCV/) });
    } else {
      expect(isMierukaError(n, 'DEPENDENCY_MISSING')).toBe(true);
      expect((n as Error).message).toMatch(/backend "native" was requested but is not available/);
    }
  });

  it('loads the native addon without its V8 memory-tracking allocator (it aborts the process from worker threads)', () => {
    // Only meaningful where the addon loaded; where it did not, the fallback above is tested.
    expect(native?.externalMemTracking ?? false).toBe(false);
  });

  it('runs native analyze() through the station kernel wherever the native addon is built', () => {
    if (!nativeAddonPresent()) return expect(native).toBeNull();
    // install-native-opencv.sh builds both; a kernel that failed to build must not pass unseen.
    expect(native!.pipeline).toEqual({ kind: 'station-kernel' });
    expect(nativePerCall!.pipeline.kind).toBe('opencv4nodejs');
  });

  it('parses preferences', () => {
    expect(parseBackendPreference('auto')).toBe('auto');
    expect(parseBackendPreference('native')).toBe('native');
    expect(parseBackendPreference('wasm')).toBe('wasm');
    expect(() => parseBackendPreference('gpu')).toThrow(/auto, native, wasm/);
  });

  it('loading opencv.js leaves no process-wide error handlers behind', () => {
    // On load opencv.js registers `unhandledRejection → abort` and `uncaughtException → rethrow
    // unless ExitStatus`; loadOpenCvJs removes both.
    expect(process.listeners('unhandledRejection').filter((l) => String(l).startsWith('function abort('))).toEqual([]);
    expect(process.listeners('uncaughtException').filter((l) => String(l).includes('ExitStatus'))).toEqual([]);
  });
});

describe('every loaded backend', () => {
  it('counts exactly like the pure-JS reference (no ROI, no denoise) on fixtures and sample photos', () => {
    const range = { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper };
    for (const [name, frame] of frames) {
      const expected = referenceCount(frame, range.hsvLower, range.hsvUpper);
      for (const b of loaded) {
        const a = b.analyze(frame, range);
        expect(a.matPixels, `${b.name} ${name}`).toBe(expected);
        expect(a.regionPixels).toBe(frame.width * frame.height);
        expect([a.regionWidth, a.regionHeight]).toEqual([frame.width, frame.height]);
      }
    }
  });

  it('gives identical counts, masks and outlines across backends with denoise and ROI', () => {
    const range = { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper };
    let compared = 0;
    for (const f of manifest.fixtures) {
      const frame = frames.get(f.file)!;
      for (const denoise of [0, 3, 5, 8]) {
        for (const roi of f.roi ? [null, f.roi] : [null]) {
          const results = loaded.map((b) => b.analyze(frame, { ...range, denoise, roi }, { mask: true, outlines: true }));
          const [first, ...rest] = results;
          for (const r of rest) {
            expect(r.matPixels, `${f.file} denoise ${denoise} roi ${roi ? 'yes' : 'no'}`).toBe(first!.matPixels);
            expect(r.mask!.equals(first!.mask!)).toBe(true);
            expect(r.outlines!.map((o) => o.area)).toEqual(first!.outlines!.map((o) => o.area));
            compared++;
          }
          // The mask agrees with the count, whichever backend.
          for (const r of results) expect(r.mask!.reduce((n, v) => n + (v === 255 ? 1 : v === 0 ? 0 : Number.NaN), 0)).toBe(r.matPixels);
        }
      }
    }
    // 44 cases, each compared with every other backend path that loaded.
    expect(compared).toBe(44 * (loaded.length - 1));
  });

  it('rectifies the ROI to the size of its longer sides and returns the region pixels', () => {
    const f = manifest.fixtures.find((x) => x.kind === 'perspective')!;
    for (const b of loaded) {
      const a = b.analyze(frames.get(f.file)!, { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper, roi: f.roi }, { region: true });
      expect([a.regionWidth, a.regionHeight]).toEqual([815, 394]);
      expect(a.region!.length).toBe(815 * 394 * 3);
      // Warped away: the wooden bench (and the boxes on it) is no longer in the picture.
      expect(Math.abs(a.matPixels / a.regionPixels - (1 - f.coveredRatio))).toBeLessThan(f.tolerance);
    }
  });

  it('outlines covered areas largest first, dropping specks', () => {
    const f = manifest.fixtures.find((x) => x.kind === 'exact')!;
    for (const b of loaded) {
      const { outlines, regionPixels } = b.analyze(frames.get(f.file)!, { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper }, { outlines: true });
      expect(outlines!.length).toBeGreaterThan(0);
      for (let i = 1; i < outlines!.length; i++) expect(outlines![i]!.area).toBeLessThanOrEqual(outlines![i - 1]!.area);
      for (const o of outlines!) {
        expect(o.area).toBeGreaterThanOrEqual(Math.max(16, regionPixels * 0.0002));
        for (const [x, y] of o.points) {
          expect(x >= 0 && x < 320 && y >= 0 && y < 240).toBe(true);
        }
      }
    }
  });

  it('offers the contour and polygon primitives calibration uses', () => {
    const mask = Buffer.alloc(100 * 80);
    for (let y = 10; y < 70; y++) for (let x = 20; x < 90; x++) mask[y * 100 + x] = 255; // 70×60 rectangle
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) mask[y * 100 + x] = 255; // a 9 px speck
    for (const b of loaded) {
      const found = b.contours({ data: mask, width: 100, height: 80 }, 20);
      expect(found).toHaveLength(1);
      expect(found[0]!.area).toBe(69 * 59);
      const quad = b.approxPolygon(found[0]!.points, 2);
      expect(quad).toHaveLength(4);
      expect(new Set(quad.map(([x, y]) => `${x},${y}`))).toEqual(new Set(['20,10', '89,10', '89,69', '20,69']));
      expect(b.toHsv({ data: Buffer.from([0, 255, 0, 255, 0, 1]), width: 2, height: 1 })).toEqual(Buffer.from([60, 255, 255, 0, 255, 255]));
    }
  });

  it('rejects bad parameters and mismatched buffers', () => {
    const frame = frames.get(manifest.fixtures[0]!.file)!;
    for (const b of loaded) {
      const range = { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper };
      for (const denoise of [-1, 1.5, 100]) expect(() => b.analyze(frame, { ...range, denoise })).toThrow(RangeError);
      expect(() => b.analyze(frame, { hsvLower: [180, 0, 0], hsvUpper: [180, 255, 255] })).toThrow(/H 0–179/);
      expect(() => b.analyze({ ...frame, width: frame.width + 1 }, range)).toThrow(/width × height × 3/);
      expect(() => b.contours({ data: Buffer.alloc(10), width: 3, height: 3 }, 1)).toThrow(/width × height/);
    }
  });
});

describe('reused frame buffers', () => {
  it('give the same counts when frame sizes and ROIs alternate (each backend keeps its buffers per size)', () => {
    const picks = manifest.fixtures.filter((x, i, all) => all.findIndex((y) => frames.get(y.file)!.width === frames.get(x.file)!.width) === i).slice(0, 3);
    const withRoi = manifest.fixtures.find((x) => x.roi)!;
    const jobs = [...picks.map((f) => ({ f, roi: null, denoise: 0 })), { f: withRoi, roi: withRoi.roi, denoise: 5 }];
    expect(new Set(jobs.map((j) => frames.get(j.f.file)!.width)).size).toBeGreaterThan(1);
    for (const b of loaded) {
      const run = (j: (typeof jobs)[number]) => b.analyze(frames.get(j.f.file)!, { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper, roi: j.roi, denoise: j.denoise }, { mask: true });
      const first = jobs.map((j) => run(j));
      for (let round = 0; round < 3; round++) {
        for (const [k, j] of [...jobs.entries()].reverse()) {
          const again = run(j);
          expect(again.matPixels).toBe(first[k]!.matPixels);
          expect(again.mask!.equals(first[k]!.mask!)).toBe(true);
        }
      }
    }
  });

  it('WASM keeps one buffer per role (Mats, bit masks, region, warp plan), not one per frame', () => {
    const f = manifest.fixtures.find((x) => x.roi)!;
    const frame = frames.get(f.file)!;
    const params = { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper, roi: f.roi, denoise: 5 };
    wasm.analyze(frame, params);
    const kept = wasm.pooledBuffers();
    expect(kept).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) wasm.analyze(frame, params);
    expect(wasm.pooledBuffers()).toBe(kept);
    wasm.releaseBuffers();
    expect(wasm.pooledBuffers()).toBe(0);
    expect(wasm.analyze(frame, params).matPixels).toBeGreaterThan(0);
  });
});

describe('WASM memory', () => {
  it('frees every Mat: a block of 100 frames leaves the heap as the previous block left it', () => {
    const f = manifest.fixtures.find((x) => x.kind === 'realistic')!;
    const frame = frames.get(f.file)!;
    const params = { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper, roi: f.roi, denoise: 5 };
    const run = () => wasm.analyze(frame, params, { region: true, mask: true, outlines: true });
    let last = 0;
    // 100 frames and every other call once. Where a small allocation lands alternates from
    // one frame to the next (seen with a probe after each frame), so the probe is compared
    // between blocks of an even number of frames, after one block to warm up.
    const block = () => {
      for (let i = 0; i < 100; i++) last = run().matPixels;
      wasm.toHsv(frame);
      wasm.contours({ data: Buffer.alloc(64 * 64, 255), width: 64, height: 64 }, 1);
      wasm.approxPolygon([[0, 0], [10, 0], [10, 10], [0, 10]], 1);
      return wasm.memoryProbe();
    };
    block();
    const before = block();
    const after = block();
    expect(last).toBeGreaterThan(0);
    expect(liveWasmMats()).toBe(0);
    // A leaked 960×540 Mat per frame would need ~150 MB more heap; a leaked small Mat moves the probe.
    expect(after.heapBytes).toBe(before.heapBytes);
    expect(after.probeAddress).toBe(before.probeAddress);
  });

  it('frees the Mats of a call that throws half-way, and reports an Error', () => {
    const f = manifest.fixtures.find((x) => x.kind === 'perspective')!;
    const frame = frames.get(f.file)!;
    const range = { hsvLower: manifest.hsvLower, hsvUpper: manifest.hsvUpper };
    const expected = wasm.analyze(frame, range).matPixels;
    expect(liveWasmMats()).toBe(0);
    // An absurd ROI (callers check it first) is refused once the corner and transform Mats
    // exist, before the warp plan would allocate for a 10^6 × 10^6 region.
    const roi = [[0, 0], [1e6, 0], [1e6, 1e6], [0, 1e6]] as const;
    for (let i = 0; i < 5; i++) {
      expect(() => wasm.analyze(frame, { ...range, roi })).toThrow(/rectified region 1000000×1000000 exceeds/);
      expect(liveWasmMats()).toBe(0);
    }
    expect(wasm.analyze(frame, range).matPixels).toBe(expected);
  });
});
