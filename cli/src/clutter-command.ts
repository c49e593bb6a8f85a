/**
 * `mieruka clutter score` and `mieruka clutter calibrate`: the clutter pipeline on one photo
 * from the command line — for installing a station (calibrate, check a shot), for scripts
 * (--json) and for timing a machine (--repeat).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { isMap, parseDocument, type Document } from 'yaml';
import type { BackendChoice, BackendPreference, CalibrationResult, Hsv, Quad, RgbImage } from '@mieruka/edge';
import type * as Edge from '@mieruka/edge';
import { MierukaError, parseConfig, StationConfig } from '@mieruka/protocol';
import { writeFileAtomic } from '@mieruka/protocol/node';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { positiveInt } from './options.js';

let edge: typeof Edge | null = null;

/**
 * The edge package (scorer, decoder, OpenCV backends), loaded when a `clutter` subcommand is
 * dispatched — before its options are parsed, since the parsers below use it — and not at
 * start: every command shares this program, and the hub must not carry the edge code.
 */
export async function loadEdge(): Promise<typeof Edge> {
  edge ??= await import('@mieruka/edge');
  return edge;
}

function lib(): typeof Edge {
  if (!edge) throw new Error('clutter: the edge package is not loaded (call loadEdge first)');
  return edge;
}

/** "H,S,V" in OpenCV 8-bit units (H 0–179, S and V 0–255). */
export function hsvOption(value: string): Hsv {
  const parts = value.split(',').map((s) => s.trim());
  const n = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p === '') || n.some((x, i) => !Number.isInteger(x) || x < 0 || x > (i === 0 ? 179 : 255))) {
    throw new InvalidArgumentError('use H,S,V with whole numbers: H 0–179, S and V 0–255 (OpenCV units), e.g. 35,60,40');
  }
  return [n[0]!, n[1]!, n[2]!];
}

export function roiOption(value: string): Quad {
  try {
    return lib().parseRoi(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function denoiseOption(value: string): number {
  const n = Number(value);
  const max = lib().MAX_DENOISE;
  if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`must be a whole number 0–${max} (kernel size in pixels; 0 = off)`);
  return n;
}

export function backendOption(value: string): BackendPreference {
  try {
    return lib().parseBackendPreference(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Station fields proposed for the config schema; read when the schema has them. */
type StationScoring = StationConfig & { backend?: BackendPreference; denoise?: number; roi?: Quad | null };

interface ScoreOpts {
  json?: boolean;
  hsvLower?: Hsv;
  hsvUpper?: Hsv;
  roi?: Quad;
  denoise?: number;
  backend?: BackendPreference;
  repeat?: number;
  out?: string;
  config?: string;
  station?: string;
}

interface CalibrateOpts {
  json?: boolean;
  backend?: BackendPreference;
  write?: string;
  station?: string;
}

async function readImage(ctx: CliContext, file: string): Promise<{ path: string; bytes: Buffer; frame: RgbImage }> {
  const path = resolve(ctx.cwd, file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new MierukaError('IMAGE_INVALID', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return { path, bytes, frame: await lib().decodeRgb(bytes) };
}

/** The station section to start from: --config/--station when given, else the defaults. */
function baseStation(ctx: CliContext, opts: { config?: string; station?: string }): StationScoring {
  if (opts.config !== undefined && opts.station === undefined) throw new MierukaError('BAD_REQUEST', '--config needs --station <id>: whose settings?');
  if (opts.station === undefined) return StationConfig.parse({});
  const { config, file } = loadConfig({ file: opts.config, env: ctx.env, cwd: ctx.cwd });
  const station = config.stations[opts.station];
  if (!station) throw new MierukaError('CONFIG_INVALID', `station "${opts.station}" is not in ${file ?? 'the configuration (no config file found)'}`);
  return station as StationScoring;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function runScore(ctx: CliContext, image: string, opts: ScoreOpts): Promise<void> {
  const station = baseStation(ctx, opts);
  const hsvLower = opts.hsvLower ?? station.hsvLower;
  const hsvUpper = opts.hsvUpper ?? station.hsvUpper;
  if (hsvLower.some((v, i) => v > hsvUpper[i]!)) throw new MierukaError('BAD_REQUEST', `--hsv-lower ${hsvLower.join(',')} exceeds --hsv-upper ${hsvUpper.join(',')} on some channel`);
  const roi = opts.roi ?? station.roi ?? null;
  const denoise = opts.denoise ?? station.denoise ?? 0;
  const { ClutterScorer, formatRoi, selectBackend } = await loadEdge();
  const choice: BackendChoice = await selectBackend(opts.backend ?? station.backend ?? 'auto');
  const scorer = new ClutterScorer(choice.backend, { hsvLower, hsvUpper, roi, denoise });
  const { path, bytes, frame } = await readImage(ctx, image);

  // The first frame is timed on its own: it is what a station pays after a start (buffers
  // allocated, pages touched for the first time); the warm median is every frame after it.
  const ms = (t: number) => Math.round(t * 1000) / 1000;
  let t0 = performance.now();
  let result = scorer.scoreFrame(frame);
  const firstFrameMs = ms(performance.now() - t0);
  let timing: { msPerFrame: number; firstFrameMs: number; endToEndMs: number } | undefined;
  if (opts.repeat !== undefined) {
    const times: number[] = [];
    for (let i = 0; i < opts.repeat; i++) {
      t0 = performance.now();
      result = scorer.scoreFrame(frame);
      times.push(performance.now() - t0);
    }
    // End to end as the station scores a shot: the camera's JPEG bytes → decode → score.
    const endToEnd: number[] = [];
    for (let i = 0; i < opts.repeat; i++) {
      t0 = performance.now();
      result = await scorer.score(bytes);
      endToEnd.push(performance.now() - t0);
    }
    timing = { msPerFrame: ms(median(times)), firstFrameMs, endToEndMs: ms(median(endToEnd)) };
  }
  let out: string | undefined;
  if (opts.out) {
    out = resolve(ctx.cwd, opts.out);
    const { images } = await scorer.scoreAndAnnotateFrame(frame, { caption: `${basename(path)} | ${choice.backend.name}` });
    await writeFile(out, images.jpeg);
  }
  const report = {
    file: path,
    score: result.score,
    coveredRatio: result.coveredRatio,
    matPixels: result.matPixels,
    regionPixels: result.regionPixels,
    width: result.width,
    height: result.height,
    regionWidth: result.regionWidth,
    regionHeight: result.regionHeight,
    hsvLower,
    hsvUpper,
    roi,
    denoise,
    backend: choice.backend.name,
    opencv: choice.backend.opencvVersion,
    backendReason: choice.reason,
    ...(timing === undefined ? {} : { repeat: opts.repeat, ...timing }),
    ...(out ? { out } : {}),
  };
  if (opts.json) {
    ctx.print(JSON.stringify(report));
    return;
  }
  ctx.print(`clutter ${result.score.toFixed(1)} / 100   (${(result.coveredRatio * 100).toFixed(2)} % of the mat covered)`);
  ctx.print(`  photo ${result.width}×${result.height}, scored region ${result.regionWidth}×${result.regionHeight}${roi ? ` (roi ${formatRoi(roi)})` : ' (whole photo)'}`);
  ctx.print(`  mat pixels ${result.matPixels} of ${result.regionPixels}; HSV ${hsvLower.join(',')} … ${hsvUpper.join(',')}; denoise ${denoise}`);
  ctx.print(`  backend ${choice.backend.name} (OpenCV ${choice.backend.opencvVersion}) — ${choice.reason}`);
  if (timing !== undefined) {
    ctx.print(`  ${timing.msPerFrame} ms per decoded frame (median of ${opts.repeat} after the first; first frame ${timing.firstFrameMs} ms)`);
    ctx.print(`  ${timing.endToEndMs} ms per frame end to end from the image bytes (decode + score, median of ${opts.repeat})`);
  }
  if (out) ctx.print(`  annotated image written to ${out}`);
}

function flow(doc: Document, value: unknown) {
  return doc.createNode(value, { flow: true });
}

/**
 * Writes the proposal into stations.<id> of a YAML config, keeping comments and everything
 * else; validates the result with the real schema before touching the file.
 */
async function writeProposal(ctx: CliContext, file: string, stationId: string, c: CalibrationResult): Promise<{ file: string; fields: string[] }> {
  const path = resolve(ctx.cwd, file);
  const text = existsSync(path) ? await readFile(path, 'utf8') : '';
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new MierukaError('CONFIG_INVALID', `${file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new MierukaError('CONFIG_INVALID', `${file} must hold a mapping (key: value lines)`);
  const fields = ['hsvLower', 'hsvUpper', 'roi'];
  doc.setIn(['stations', stationId, 'hsvLower'], flow(doc, [...c.hsvLower]));
  doc.setIn(['stations', stationId, 'hsvUpper'], flow(doc, [...c.hsvUpper]));
  if (c.roi) doc.setIn(['stations', stationId, 'roi'], flow(doc, c.roi.map((p) => [...p])));
  else doc.deleteIn(['stations', stationId, 'roi']);
  const next = doc.toString();
  // Throws CONFIG_INVALID listing every problem; nothing is written then.
  parseConfig({ text: next, source: file });
  await writeFileAtomic(path, next);
  return { file: path, fields };
}

async function runCalibrate(ctx: CliContext, photo: string, opts: CalibrateOpts): Promise<void> {
  if (opts.write && !opts.station) throw new MierukaError('BAD_REQUEST', '--write needs --station <id>: which station is this mat for?');
  const { path, frame } = await readImage(ctx, photo);
  const { calibrateMat, formatRoi, selectBackend } = await loadEdge();
  const choice = await selectBackend(opts.backend ?? 'auto');
  const c = calibrateMat(choice.backend, frame);
  const written = opts.write ? await writeProposal(ctx, opts.write, opts.station!, c) : null;
  if (opts.json) {
    ctx.print(JSON.stringify({ file: path, ...c, opencv: choice.backend.opencvVersion, written }));
    return;
  }
  const id = opts.station ?? 'bench-1';
  ctx.print(`Mat found: ${(c.matShare * 100).toFixed(1)} % of the ${c.width}×${c.height} photo${c.roi ? '' : ' (it fills the photo: no roi needed)'}`);
  ctx.print(`  corners (TL, TR, BR, BL): ${c.corners.map(([x, y]) => `${x},${y}`).join('  ')}`);
  ctx.print(`  mat colour HSV (0.5 % / median / 99.5 %): H ${c.stats.h.p005}/${c.stats.h.p50}/${c.stats.h.p995}  S ${c.stats.s.p005}/${c.stats.s.p50}/${c.stats.s.p995}  V ${c.stats.v.p005}/${c.stats.v.p50}/${c.stats.v.p995}`);
  ctx.print(`  this photo scores ${c.check.score.toFixed(1)} with the proposal${c.check.score > 2 ? ' — more than 2: is the mat really empty?' : ' (empty mat: should be near 0)'}`);
  ctx.print('');
  ctx.print('Proposed settings:');
  ctx.print('stations:');
  ctx.print(`  ${id}:`);
  ctx.print(`    hsvLower: [${c.hsvLower.join(', ')}]`);
  ctx.print(`    hsvUpper: [${c.hsvUpper.join(', ')}]`);
  if (c.roi) ctx.print(`    roi: [${c.roi.map(([x, y]) => `[${x}, ${y}]`).join(', ')}]`);
  ctx.print('');
  ctx.print(`Check a shot with: mieruka clutter score <photo> --hsv-lower ${c.hsvLower.join(',')} --hsv-upper ${c.hsvUpper.join(',')}${c.roi ? ` --roi ${formatRoi(c.roi)}` : ''} --out annotated.jpg`);
  if (written) {
    ctx.print(`Wrote ${written.fields.join(', ')} of stations.${opts.station} to ${written.file}.`);
  }
}

export function registerClutterCommand(program: Command, ctx: CliContext): void {
  const clutter = program.command('clutter').description('clutter score (散乱度) of a photo of the green mat: score one, or calibrate from the empty mat');
  clutter.hook('preSubcommand', async () => {
    await loadEdge();
  });
  clutter
    .command('score')
    .description('score one photo: share of the mat covered by objects, 0–100')
    .argument('<image>', 'JPEG, PNG, WebP or TIFF file')
    .option('--json', 'print one JSON object (score, coveredRatio, backend, …)')
    .option('--hsv-lower <H,S,V>', 'lower bound of the mat colour, OpenCV units (default: config or 35,60,40)', hsvOption)
    .option('--hsv-upper <H,S,V>', 'upper bound of the mat colour (default: config or 85,255,255)', hsvOption)
    .option('--roi <x1,y1,x2,y2,x3,y3,x4,y4>', "the mat's corners: top-left, top-right, bottom-right, bottom-left", roiOption)
    .option('--denoise <N>', 'morphological close + open with an N×N kernel; 0 = off (default)', denoiseOption)
    .option('--backend <auto|native|wasm>', 'OpenCV backend (default: auto — native if its addon loads, else WASM)', backendOption)
    .option('--repeat <N>', 'time the scoring: first frame, then the median of N decoded frames and of N end to end from the bytes (decode + score)', positiveInt)
    .option('--out <annotated.jpg>', 'write the annotated image (what the score saw)')
    .option('-c, --config <file>', 'config file to take the station settings from (with --station)')
    .option('--station <id>', 'use this station’s settings from the config (flags still win)')
    .action((image: string, opts: ScoreOpts) => runScore(ctx, image, opts));
  clutter
    .command('calibrate')
    .description('propose the mat colour range and corners from a photo of the EMPTY mat')
    .argument('<photo>', 'photo of the empty mat, lit as at scoring time')
    .option('--json', 'print the proposal as one JSON object')
    .option('--backend <auto|native|wasm>', 'OpenCV backend (default: auto)', backendOption)
    .option('--write <config.yaml>', 'write the proposal into this config file (comments are kept; validated first)')
    .option('--station <id>', 'station id to write (and to name in the printed snippet)')
    .action((photo: string, opts: CalibrateOpts) => runCalibrate(ctx, photo, opts));
}
