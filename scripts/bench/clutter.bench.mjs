// Clutter scoring speed on one 1080p frame, per backend, as a ratio to OpenCV's own Python
// binding (Debian python3-opencv via /usr/bin/python3) doing the same in the same run.
// The Node side runs the path the station and `mieruka clutter score` take: ClutterScorer
// (scoreFrame on a decoded frame; score() end to end from the camera's JPEG bytes, i.e.
// sharp decode + score); cv2 does cv2.imdecode + the same pipeline. Two pipelines: "plain"
// (cvtColor + inRange + countNonZero, the whole frame) and "station" (perspective warp of the
// mat + HSV + inRange + close/open 5×5 + count). Cold = the first frame on a fresh backend
// (Node) or the first call in the process (cv2); warm = the median after warm-up, measured in
// alternating batches so a machine load that drifts during the run favours nobody.
// Targets (reported, not asserted): native no slower than cv2, WASM within 3×.
//
//   npm run bench -- clutter            (after `npm run build`)
//   node scripts/bench/clutter.bench.mjs
//   MIERUKA_BENCH_SMOKE=1 …             tiny frame, few samples (checks the bench runs)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { renderFixture } from '../lib/clutter-fixtures.mjs';
import { SMOKE, fmt, median, printTable, saveResult } from './lib.mjs';

export const name = 'clutter';

const WARMUP = SMOKE ? 1 : 5;
const ROUNDS = SMOKE ? 2 : 6;
const BATCH = SMOKE ? 2 : 5;
const OPS = ['plain', 'station', 'plainJpeg', 'stationJpeg'];
const PYTHON = '/usr/bin/python3';
const HSV = { hsvLower: [35, 60, 40], hsvUpper: [85, 255, 255] };
const FULL_SCENE = {
  file: 'bench-1080p.jpg',
  width: 1920,
  height: 1080,
  seed: 900,
  target: 0.3,
  mat: { width: 1440, height: 960 },
  quad: [
    [300, 130],
    [1650, 170],
    [1790, 990],
    [140, 950],
  ],
  benchObjects: 6,
};
const SCENE = SMOKE
  ? { ...FULL_SCENE, width: 320, height: 180, mat: { width: 240, height: 160 }, quad: FULL_SCENE.quad.map(([x, y]) => [Math.round(x / 6), Math.round(y / 6)]), benchObjects: 2 }
  : FULL_SCENE;

// A small server: set up once, then answers {"op": "plain"|"station"|"plainJpeg"|"stationJpeg",
// "n": N} lines with {"times": [ms…], "matPixels": count}. The *Jpeg ops decode the JPEG bytes
// (cv2.imdecode, BGR as cv2 delivers it) before the same pipeline.
const PY = String.raw`
import json, sys, time
import cv2, numpy as np
job = json.loads(sys.argv[1])
w, h = job["width"], job["height"]
bgr = np.ascontiguousarray(np.fromfile(job["raw"], dtype=np.uint8).reshape(h, w, 3)[:, :, ::-1])
jpeg = np.fromfile(job["jpeg"], dtype=np.uint8)
lo = np.array(job["lower"], dtype=np.uint8); hi = np.array(job["upper"], dtype=np.uint8)
rw, rh = job["regionWidth"], job["regionHeight"]
m = cv2.getPerspectiveTransform(np.array(job["roi"], dtype=np.float32), np.array([[0, 0], [rw, 0], [rw, rh], [0, rh]], dtype=np.float32))
kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (job["denoise"], job["denoise"]))
def plain(img=None):
    return cv2.countNonZero(cv2.inRange(cv2.cvtColor(bgr if img is None else img, cv2.COLOR_BGR2HSV), lo, hi))
def station(img=None):
    region = cv2.warpPerspective(bgr if img is None else img, m, (rw, rh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = cv2.inRange(cv2.cvtColor(region, cv2.COLOR_BGR2HSV), lo, hi)
    mask = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel), cv2.MORPH_OPEN, kernel)
    return cv2.countNonZero(mask)
fns = {"plain": plain, "station": station,
       "plainJpeg": lambda: plain(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)),
       "stationJpeg": lambda: station(cv2.imdecode(jpeg, cv2.IMREAD_COLOR))}
print(json.dumps({"opencv": cv2.__version__, "threads": cv2.getNumThreads()}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    fn = fns[req["op"]]
    times = []
    for _ in range(req["n"]):
        t0 = time.perf_counter_ns(); count = fn(); times.append((time.perf_counter_ns() - t0) / 1e6)
    print(json.dumps({"times": times, "matPixels": count}), flush=True)
`;

/** Starts the cv2 server; ask(op, n) resolves to { times, matPixels }. */
function startPython(job) {
  const child = spawn(PYTHON, ['-c', PY, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const failed = new Promise((_, reject) => {
    child.on('error', (err) => reject(new Error(`cannot run ${PYTHON}: ${err.message}`)));
    child.on('exit', (code) => reject(new Error(`${PYTHON} + cv2 exited ${code} (install python3-opencv: scripts/install-system-deps.sh): ${stderr.trim().slice(-300)}`)));
  });
  failed.catch(() => undefined);
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () => Promise.race([new Promise((resolve) => waiting.push(resolve)), failed]);
  const hello = next();
  return {
    hello,
    ask(op, n) {
      const reply = next();
      child.stdin.write(`${JSON.stringify({ op, n })}\n`);
      return reply;
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}

async function batch(fn, n) {
  const times = [];
  let matPixels = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    matPixels = await fn();
    times.push(performance.now() - t0);
  }
  return { times, matPixels };
}

/** What the station and the CLI run: a ClutterScorer on the backend, decoded frame or JPEG bytes. */
function scorerOps(edge, backend, frame, bytes, params) {
  const plain = new edge.ClutterScorer(backend, params.plain);
  const station = new edge.ClutterScorer(backend, params.station);
  return {
    plain: () => plain.scoreFrame(frame).matPixels,
    station: () => station.scoreFrame(frame).matPixels,
    plainJpeg: async () => (await plain.score(bytes)).matPixels,
    stationJpeg: async () => (await station.score(bytes)).matPixels,
  };
}

export async function run() {
  const edge = await import('@mieruka/edge');
  const scene = await renderFixture(SCENE);
  const decodeTimes = [];
  let frame;
  for (let i = 0; i < (SMOKE ? 2 : 10); i++) {
    const t0 = performance.now();
    frame = await edge.decodeRgb(scene.bytes);
    decodeTimes.push(performance.now() - t0);
  }
  const roi = SCENE.quad;
  const size = edge.rectifiedSize(roi);
  const params = { plain: { ...HSV }, station: { ...HSV, roi, denoise: 5 } };

  const dir = mkdtempSync(join(tmpdir(), 'mieruka-bench-'));
  const raw = join(dir, 'frame.raw');
  writeFileSync(raw, frame.data);
  const jpegFile = join(dir, 'frame.jpg');
  writeFileSync(jpegFile, scene.bytes);
  const python = startPython({ raw, jpeg: jpegFile, width: frame.width, height: frame.height, lower: HSV.hsvLower, upper: HSV.hsvUpper, roi, regionWidth: size.width, regionHeight: size.height, denoise: 5 });
  const results = { backends: {} };
  const rows = [];
  try {
    const hello = await python.hello;
    results.reference = { name: `python cv2 ${hello.opencv}`, threads: hello.threads };
    const impls = [{ key: 'cv2', label: `python cv2 ${hello.opencv} (${hello.threads} threads)`, ops: OPS, run: (op, n) => python.ask(op, n) }];
    const cold = new Map([['cv2', {}]]);
    for (const [kind, load] of Object.entries({ native: edge.loadNativeBackend, wasm: edge.loadWasmBackend })) {
      try {
        const backend = await load();
        // Cold: each op's first frame on a backend of its own, as a freshly started station.
        const coldMs = {};
        for (const op of OPS) {
          const fresh = await load();
          coldMs[op] = (await batch(scorerOps(edge, fresh, frame, scene.bytes, params)[op], 1)).times[0];
          fresh.releaseBuffers();
        }
        cold.set(kind, coldMs);
        const ops = scorerOps(edge, backend, frame, scene.bytes, params);
        impls.push({ key: kind, label: `${kind} (OpenCV ${backend.opencvVersion})`, opencv: backend.opencvVersion, ops: OPS, run: (op, n) => batch(ops[op], n) });
      } catch (err) {
        results.backends[kind] = { available: false, reason: err.message };
      }
    }
    impls.push({ key: 'js', label: 'plain JS (hsv.ts; no warp/denoise)', ops: ['plain'], run: (_op, n) => batch(() => edge.referenceCount(frame, HSV.hsvLower, HSV.hsvUpper), n) });

    const samples = new Map(impls.map((i) => [i.key, { ...Object.fromEntries(OPS.map((op) => [op, []])), matPixels: {} }]));
    for (const op of OPS) {
      const doing = impls.filter((i) => i.ops.includes(op));
      for (const impl of doing) {
        const first = await impl.run(op, WARMUP);
        if (impl.key === 'cv2') cold.get('cv2')[op] = first.times[0];
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < doing.length; k++) {
          const impl = doing[(k + round) % doing.length];
          const r = await impl.run(op, BATCH);
          samples.get(impl.key)[op].push(...r.times);
          samples.get(impl.key).matPixels[op] = r.matPixels;
        }
      }
    }
    const ref = samples.get('cv2');
    const summary = (s, op, key) => (s[op].length ? { ms: median(s[op]), coldMs: cold.get(key)?.[op] ?? null, matPixels: s.matPixels[op] } : null);
    for (const op of OPS) results.reference[op] = summary(ref, op, 'cv2');
    for (const impl of impls) {
      const s = samples.get(impl.key);
      const per = Object.fromEntries(OPS.map((op) => [op, summary(s, op, impl.key)]));
      // Decoded frames: the very same pixels, so the counts must match exactly. From JPEG,
      // sharp (libvips) and cv2.imdecode may upsample chroma differently: reported, not required.
      const same = ['plain', 'station'].every((op) => !per[op] || per[op].matPixels === ref.matPixels[op]);
      if (impl.key !== 'cv2') {
        results.backends[impl.key] = {
          available: true,
          ...(impl.opencv ? { opencv: impl.opencv } : {}),
          ...Object.fromEntries(OPS.map((op) => [op, per[op] && { ...per[op], ratio: per[op].ms / results.reference[op].ms, ...(per[op].coldMs === null ? {} : { coldRatio: per[op].coldMs / results.reference[op].coldMs }) }])),
          sameCountsAsReference: same,
        };
      }
      const cells = OPS.flatMap((op) => {
        const m = per[op];
        const r = results.reference[op];
        return m ? [fmt(m.ms), fmt(m.ms / r.ms), m.coldMs === null ? '—' : `${fmt(m.coldMs, 1)} (${fmt(m.coldMs / r.coldMs, 1)}×)`] : ['—', '—', '—'];
      });
      rows.push([impl.label, ...cells, impl.key === 'cv2' ? 'reference' : same ? 'same counts' : 'COUNTS DIFFER']);
    }
    for (const [kind, r] of Object.entries(results.backends)) if (!r.available) rows.push([kind, ...OPS.flatMap(() => ['—', '—', '—']), `unavailable: ${r.reason.slice(0, 80)}`]);
  } finally {
    python.close();
    rmSync(dir, { recursive: true, force: true });
  }

  printTable(
    `clutter scoring, one ${frame.width}×${frame.height} frame through ClutterScorer (station: ${size.width}×${size.height} rectified mat, denoise 5; *Jpeg: end to end from the ${Math.round(scene.bytes.length / 1024)} kB JPEG); warm = median of ${ROUNDS * BATCH} in alternating batches, cold = first frame (ratio to cv2's first call); sharp decode alone ${fmt(median(decodeTimes))} ms`,
    ['backend', ...OPS.flatMap((op) => [`${op} ms`, '× cv2', 'cold ms']), ''],
    rows,
  );
  const { native, wasm } = results.backends;
  const within = (b, limit) => OPS.every((op) => b[op].ratio <= limit);
  const targets = {
    nativeNoSlowerThanCv2: native?.available ? within(native, 1) : null,
    wasmWithin3x: wasm?.available ? within(wasm, 3) : null,
  };
  console.log(
    `targets (warm, decoded and end to end): native ≤ 1× cv2: ${targets.nativeNoSlowerThanCv2 === null ? 'n/a (no native addon)' : targets.nativeNoSlowerThanCv2 ? 'met' : 'NOT met'}; ` +
      `WASM ≤ 3× cv2: ${targets.wasmWithin3x ? 'met' : 'NOT met'}`,
  );
  const file = saveResult(name, { frame: { width: frame.width, height: frame.height, region: size, decodeMs: median(decodeTimes) }, samplesPerImpl: ROUNDS * BATCH, ...results, targets });
  console.log(`saved ${file}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
