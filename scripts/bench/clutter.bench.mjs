// Clutter scoring speed on one 1080p frame, per backend, as a ratio to OpenCV's own Python
// binding (Debian python3-opencv via /usr/bin/python3) on the same decoded pixels in the
// same run. Two pipelines: "plain" (cvtColor + inRange + countNonZero, the whole frame) and
// "station" (perspective warp of the mat + HSV + inRange + close/open 5×5 + count).
// cv2 and the Node backends are measured in alternating batches, so a machine load that
// drifts during the run does not favour one of them.
// Targets (reported, not asserted): native no slower than cv2, WASM within 3×.
//
//   npm run bench -- clutter            (after `npm run build`)
//   node scripts/bench/clutter.bench.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { renderFixture } from '../lib/clutter-fixtures.mjs';
import { fmt, median, printTable, saveResult } from './lib.mjs';

export const name = 'clutter';

const WARMUP = 5;
const ROUNDS = 6;
const BATCH = 5;
const PYTHON = '/usr/bin/python3';
const HSV = { hsvLower: [35, 60, 40], hsvUpper: [85, 255, 255] };
const SCENE = {
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

// A small server: set up once, then answers {"op": "plain"|"station", "n": N} lines with
// {"times": [ms…], "matPixels": count}.
const PY = String.raw`
import json, sys, time
import cv2, numpy as np
job = json.loads(sys.argv[1])
w, h = job["width"], job["height"]
bgr = np.ascontiguousarray(np.fromfile(job["raw"], dtype=np.uint8).reshape(h, w, 3)[:, :, ::-1])
lo = np.array(job["lower"], dtype=np.uint8); hi = np.array(job["upper"], dtype=np.uint8)
rw, rh = job["regionWidth"], job["regionHeight"]
m = cv2.getPerspectiveTransform(np.array(job["roi"], dtype=np.float32), np.array([[0, 0], [rw, 0], [rw, rh], [0, rh]], dtype=np.float32))
kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (job["denoise"], job["denoise"]))
def plain():
    return cv2.countNonZero(cv2.inRange(cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV), lo, hi))
def station():
    region = cv2.warpPerspective(bgr, m, (rw, rh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = cv2.inRange(cv2.cvtColor(region, cv2.COLOR_BGR2HSV), lo, hi)
    mask = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel), cv2.MORPH_OPEN, kernel)
    return cv2.countNonZero(mask)
fns = {"plain": plain, "station": station}
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

function batch(fn, n) {
  const times = [];
  let matPixels = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    matPixels = fn();
    times.push(performance.now() - t0);
  }
  return { times, matPixels };
}

export async function run() {
  const edge = await import('@mieruka/edge');
  const scene = await renderFixture(SCENE);
  const decodeTimes = [];
  let frame;
  for (let i = 0; i < 10; i++) {
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
  const python = startPython({ raw, width: frame.width, height: frame.height, lower: HSV.hsvLower, upper: HSV.hsvUpper, roi, regionWidth: size.width, regionHeight: size.height, denoise: 5 });
  const results = { backends: {} };
  const rows = [];
  try {
    const hello = await python.hello;
    results.reference = { name: `python cv2 ${hello.opencv}`, threads: hello.threads };
    const impls = [{ key: 'cv2', label: `python cv2 ${hello.opencv} (${hello.threads} threads)`, ops: ['plain', 'station'], run: (op, n) => python.ask(op, n) }];
    for (const [kind, load] of Object.entries({ native: edge.loadNativeBackend, wasm: edge.loadWasmBackend })) {
      try {
        const backend = await load();
        impls.push({ key: kind, label: `${kind} (OpenCV ${backend.opencvVersion})`, opencv: backend.opencvVersion, ops: ['plain', 'station'], run: async (op, n) => batch(() => backend.analyze(frame, params[op]).matPixels, n) });
      } catch (err) {
        results.backends[kind] = { available: false, reason: err.message };
      }
    }
    impls.push({ key: 'js', label: 'plain JS (hsv.ts; no warp/denoise)', ops: ['plain'], run: async (_op, n) => batch(() => edge.referenceCount(frame, HSV.hsvLower, HSV.hsvUpper), n) });

    const samples = new Map(impls.map((i) => [i.key, { plain: [], station: [], matPixels: {} }]));
    for (const op of ['plain', 'station']) {
      const doing = impls.filter((i) => i.ops.includes(op));
      for (const impl of doing) await impl.run(op, WARMUP);
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
    const summary = (s, op) => (s[op].length ? { ms: median(s[op]), matPixels: s.matPixels[op] } : null);
    results.reference.plain = summary(ref, 'plain');
    results.reference.station = summary(ref, 'station');
    const cells = (m, refOp) => (m ? [fmt(m.ms), fmt(m.ms / refOp.ms)] : ['—', '—']);
    for (const impl of impls) {
      const s = samples.get(impl.key);
      const plain = summary(s, 'plain');
      const station = summary(s, 'station');
      const same = (!plain || plain.matPixels === ref.matPixels.plain) && (!station || station.matPixels === ref.matPixels.station);
      if (impl.key !== 'cv2') {
        results.backends[impl.key] = {
          available: true,
          ...(impl.opencv ? { opencv: impl.opencv } : {}),
          plain: plain && { ...plain, ratio: plain.ms / results.reference.plain.ms },
          station: station && { ...station, ratio: station.ms / results.reference.station.ms },
          sameCountsAsReference: same,
        };
      }
      rows.push([impl.label, ...cells(plain, results.reference.plain), ...cells(station, results.reference.station), impl.key === 'cv2' ? 'reference' : same ? 'same counts' : 'COUNTS DIFFER']);
    }
    for (const [kind, r] of Object.entries(results.backends)) if (!r.available) rows.push([kind, '—', '—', '—', '—', `unavailable: ${r.reason.slice(0, 80)}`]);
  } finally {
    python.close();
    rmSync(dir, { recursive: true, force: true });
  }

  printTable(
    `clutter scoring, one ${frame.width}×${frame.height} frame (station: ${size.width}×${size.height} rectified mat, denoise 5); median of ${ROUNDS * BATCH} in alternating batches; decode (sharp) ${fmt(median(decodeTimes))} ms`,
    ['backend', 'plain ms', '× cv2', 'station ms', '× cv2', ''],
    rows,
  );
  const { native, wasm } = results.backends;
  const targets = {
    nativeNoSlowerThanCv2: native?.available ? native.plain.ratio <= 1 && native.station.ratio <= 1 : null,
    wasmWithin3x: wasm?.available ? wasm.plain.ratio <= 3 && wasm.station.ratio <= 3 : null,
  };
  console.log(
    `targets: native ≤ 1× cv2: ${targets.nativeNoSlowerThanCv2 === null ? 'n/a (no native addon)' : targets.nativeNoSlowerThanCv2 ? 'met' : 'NOT met'}; ` +
      `WASM ≤ 3× cv2: ${targets.wasmWithin3x ? 'met' : 'NOT met'}`,
  );
  const file = saveResult(name, { frame: { width: frame.width, height: frame.height, region: size, decodeMs: median(decodeTimes) }, samplesPerImpl: ROUNDS * BATCH, ...results, targets });
  console.log(`saved ${file}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
