/**
 * `mieruka clutter score|calibrate` in-process (buildProgram with a capturing context), on the
 * fixtures of test/fixtures/clutter, with OpenCV's Python binding as the reference.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { decodeRgb, listSamplePhotos, rectifiedSize, selectBackend } from '@mieruka/edge';
import { isMierukaError, parseConfig } from '@mieruka/protocol';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { clutterFixturePath, cv2Counts, loadClutterManifest, type ClutterFixtureManifest } from '../../test/fixtures/clutter/fixtures.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { backendOption, denoiseOption, hsvOption, roiOption } from './clutter-command.js';
import { buildProgram } from './program.js';

let manifest: ClutterFixtureManifest;
beforeAll(async () => {
  manifest = await loadClutterManifest();
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function tempDir(): Promise<string> {
  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  return dir.path;
}

/** Runs `mieruka <args>`; everything printed goes through ctx.print (asserted: nothing else on stdout). */
async function mieruka(args: string[], cwd = process.cwd()): Promise<string[]> {
  const lines: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write');
  try {
    await buildProgram({ env: {}, cwd, print: (l) => lines.push(l), keepRunning: () => undefined }).parseAsync(['node', 'mieruka', ...args]);
  } finally {
    expect(stdout).not.toHaveBeenCalled();
    stdout.mockRestore();
  }
  return lines;
}

async function scoreJson(args: string[]): Promise<Record<string, unknown>> {
  const lines = await mieruka(['clutter', 'score', ...args, '--json']);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

const fixture = (kind: string) => manifest.fixtures.find((f) => f.kind === kind)!;

describe('mieruka clutter score', () => {
  it('prints one JSON object with score, coveredRatio and backend', async () => {
    const f = fixture('exact');
    const auto = await selectBackend('auto');
    const out = await scoreJson([clutterFixturePath(f.file)]);
    expect(out).toMatchObject({
      score: Math.round(f.coveredRatio * 1000) / 10,
      coveredRatio: f.coveredRatio,
      matPixels: f.matPixels - f.coveredPixels,
      regionPixels: f.matPixels,
      backend: auto.backend.name,
      backendReason: auto.reason,
      denoise: 0,
      roi: null,
      hsvLower: manifest.hsvLower,
      hsvUpper: manifest.hsvUpper,
    });
    expect(out).not.toHaveProperty('msPerFrame');
  });

  it('with --denoise 0 and no ROI equals cv2 cvtColor(BGR2HSV) + inRange + countNonZero on the same pixels', async () => {
    const files = [...manifest.fixtures.map((f) => clutterFixturePath(f.file)), ...(await listSamplePhotos())];
    const frames = await Promise.all(files.map(async (file) => decodeRgb(await readFile(file))));
    const ref = await cv2Counts(frames.map((fr) => ({ rgb: fr.data, width: fr.width, height: fr.height, lower: manifest.hsvLower, upper: manifest.hsvUpper })));
    for (const [i, file] of files.entries()) {
      for (const backend of ['auto', 'wasm']) {
        const out = await scoreJson([file, '--denoise', '0', '--backend', backend]);
        const { matPixels, regionPixels } = ref.results[i]!;
        expect(out.coveredRatio, `${backend} ${file}`).toBe((regionPixels - matPixels) / regionPixels);
        expect(out.matPixels).toBe(matPixels);
      }
    }
  });

  it('applies --roi and --denoise like cv2 does, and writes the annotated image with --out', async () => {
    const f = fixture('realistic');
    const dir = await tempDir();
    const roi = f.roi!.flat().join(',');
    const out = await scoreJson([clutterFixturePath(f.file), '--roi', roi, '--denoise', String(f.denoise), '--out', 'annotated.jpg', '--backend', 'wasm'].map((a) => (a === 'annotated.jpg' ? join(dir, a) : a)));
    expect(Math.abs((out.coveredRatio as number) - f.coveredRatio)).toBeLessThanOrEqual(f.tolerance);
    expect(out).toMatchObject({ backend: 'wasm', denoise: f.denoise, roi: f.roi, out: join(dir, 'annotated.jpg') });
    const frame = await decodeRgb(await readFile(clutterFixturePath(f.file)));
    const size = rectifiedSize(f.roi!);
    const ref = await cv2Counts([{ rgb: frame.data, width: frame.width, height: frame.height, lower: manifest.hsvLower, upper: manifest.hsvUpper, denoise: f.denoise, roi: f.roi, regionWidth: size.width, regionHeight: size.height }]);
    expect({ matPixels: out.matPixels, regionPixels: out.regionPixels }).toEqual(ref.results[0]);
    const jpeg = await readFile(join(dir, 'annotated.jpg'));
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('times the decoded frame with --repeat N (warm median, first frame) and end to end from the bytes', async () => {
    const once = await scoreJson([clutterFixturePath(fixture('lighting').file)]);
    const out = await scoreJson([clutterFixturePath(fixture('lighting').file), '--repeat', '5']);
    expect(out.repeat).toBe(5);
    for (const key of ['msPerFrame', 'firstFrameMs', 'endToEndMs']) {
      expect(typeof out[key]).toBe('number');
      expect(out[key] as number).toBeGreaterThan(0);
    }
    // Reused buffers change nothing: the repeated (and the end-to-end) scoring gives the same counts.
    expect(out.matPixels).toBe(once.matPixels);
    expect(out.score).toBe(once.score);
  });

  it('takes the HSV range from flags, or from a station of the config file', async () => {
    const f = fixture('lighting');
    // A magenta range nothing green falls into: (almost) everything is "covered".
    const magenta = await scoreJson([clutterFixturePath(f.file), '--hsv-lower', '150,0,0', '--hsv-upper', '170,255,255']);
    expect(magenta).toMatchObject({ hsvLower: [150, 0, 0], hsvUpper: [170, 255, 255] });
    expect(magenta.score as number).toBeGreaterThan(99);
    const dir = await tempDir();
    await writeFile(join(dir, 'mieruka.yaml'), 'stations:\n  bench-1:\n    hsvLower: [150, 0, 0]\n    hsvUpper: [170, 255, 255]\n');
    const lines = await mieruka(['clutter', 'score', clutterFixturePath(f.file), '-c', join(dir, 'mieruka.yaml'), '--station', 'bench-1', '--json']);
    expect(JSON.parse(lines[0]!)).toMatchObject({ score: magenta.score, hsvUpper: [170, 255, 255] });
    // Flags win over the file.
    const mixed = await mieruka(['clutter', 'score', clutterFixturePath(f.file), '-c', join(dir, 'mieruka.yaml'), '--station', 'bench-1', '--hsv-lower', '35,60,40', '--hsv-upper', '85,255,255', '--json']);
    expect((JSON.parse(mixed[0]!) as { score: number }).score).toBeLessThan(30);
    const missing = await mieruka(['clutter', 'score', clutterFixturePath(f.file), '-c', join(dir, 'mieruka.yaml'), '--station', 'bench-9']).catch((e: unknown) => e);
    expect(isMierukaError(missing, 'CONFIG_INVALID')).toBe(true);
  });

  it('prints a readable report without --json', async () => {
    const lines = await mieruka(['clutter', 'score', clutterFixturePath(fixture('perspective').file), '--roi', fixture('perspective').roi!.flat().join(',')]);
    expect(lines[0]).toMatch(/^clutter \d+\.\d \/ 100 {3}\(\d+\.\d\d % of the mat covered\)$/);
    expect(lines.join('\n')).toMatch(/scored region 815×394 \(roi 150,70,800,95,885,480,70,455\)/);
    expect(lines.join('\n')).toMatch(/backend (native|wasm) \(OpenCV 4\.\d+\.\d+\)/);
  });

  it('rejects bad images with IMAGE_INVALID and an ROI outside the photo with CONFIG_INVALID', async () => {
    for (const bad of manifest.bad) {
      const err = await mieruka(['clutter', 'score', clutterFixturePath(bad.file)]).catch((e: unknown) => e);
      expect(isMierukaError(err, 'IMAGE_INVALID'), bad.file).toBe(true);
      expect((err as Error).message).toMatch(new RegExp(bad.message));
    }
    const missing = await mieruka(['clutter', 'score', 'no-such-file.jpg']).catch((e: unknown) => e);
    expect(isMierukaError(missing, 'IMAGE_INVALID')).toBe(true);
    expect((missing as Error).message).toMatch(/cannot read no-such-file\.jpg: ENOENT/);
    const outside = await mieruka(['clutter', 'score', clutterFixturePath(fixture('lighting').file), '--roi', '0,0,900,0,900,500,0,500']).catch((e: unknown) => e);
    expect(isMierukaError(outside, 'CONFIG_INVALID')).toBe(true);
  });

  it('refuses malformed flags', async () => {
    const err = await mieruka(['clutter', 'score', 'x.jpg', '--denoise', '-1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).code).toBe('commander.invalidArgument');
    expect(() => hsvOption('1,2')).toThrow(/H,S,V/);
    expect(() => hsvOption('180,0,0')).toThrow(/H 0–179/);
    expect(hsvOption('35, 60, 40')).toEqual([35, 60, 40]);
    expect(() => roiOption('1,2,3')).toThrow(/8 numbers/);
    expect(() => denoiseOption('1.5')).toThrow(/whole number/);
    expect(denoiseOption('5')).toBe(5);
    expect(() => backendOption('cuda')).toThrow(/auto, native, wasm/);
    const swapped = await mieruka(['clutter', 'score', 'x.jpg', '--hsv-lower', '90,0,0', '--hsv-upper', '80,255,255']).catch((e: unknown) => e);
    expect(isMierukaError(swapped, 'BAD_REQUEST')).toBe(true);
  });
});

describe('mieruka clutter calibrate', () => {
  it('proposes the range and the corners of the empty mat', async () => {
    const f = fixture('calibration');
    const lines = await mieruka(['clutter', 'calibrate', clutterFixturePath(f.file), '--json']);
    const out = JSON.parse(lines[0]!) as { roi: [number, number][]; hsvLower: number[]; hsvUpper: number[]; check: { score: number }; written: null };
    out.roi.forEach(([x, y], i) => expect(Math.hypot(x - f.roi![i]![0], y - f.roi![i]![1])).toBeLessThanOrEqual(4));
    expect(out.check.score).toBeLessThanOrEqual(1);
    expect(out.written).toBeNull();
    const text = await mieruka(['clutter', 'calibrate', clutterFixturePath(f.file), '--station', 'bench-2']);
    expect(text.join('\n')).toContain(`  bench-2:\n    hsvLower: [${out.hsvLower.join(', ')}]\n    hsvUpper: [${out.hsvUpper.join(', ')}]\n    roi: [`);
    expect(text.join('\n')).toMatch(/mieruka clutter score <photo> --hsv-lower \d+,\d+,\d+ --hsv-upper \d+,255,255 --roi [\d,]+ --out annotated\.jpg/);
  });

  it('writes the proposal into the config file, keeping comments and validating first', async () => {
    const dir = await tempDir();
    const file = join(dir, 'mieruka.yaml');
    const original = '# Factory config\nsite: tohoku-1 # the plant\nstations:\n  bench-1:\n    # slots of the day\n    slots: ["08:30", "17:00"]\n  bench-9: {}\n';
    await writeFile(file, original);
    const lines = await mieruka(['clutter', 'calibrate', clutterFixturePath(fixture('calibration').file), '--write', file, '--station', 'bench-1', '--json']);
    const out = JSON.parse(lines[0]!) as { hsvLower: number[]; hsvUpper: number[]; roi: number[][]; written: { fields: string[]; skipped: string[] } };
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# Factory config');
    expect(text).toContain('site: tohoku-1 # the plant');
    expect(text).toContain('# slots of the day');
    expect(text).toContain(`hsvLower: [ ${out.hsvLower.join(', ')} ]`);
    const config = parseConfig({ text });
    expect(config.stations['bench-1']).toMatchObject({ slots: ['08:30', '17:00'], hsvLower: out.hsvLower, hsvUpper: out.hsvUpper });
    expect(config.stations['bench-9']).toBeDefined();
    // roi goes in as soon as the schema has the field; until then it is reported as skipped.
    const written = config.stations['bench-1'] as Record<string, unknown>;
    if (out.written.fields.includes('roi')) expect(written.roi).toEqual(out.roi);
    else expect(out.written.skipped).toEqual(['roi']);
  });

  it('creates the file when it does not exist, and leaves an invalid one untouched', async () => {
    const dir = await tempDir();
    const fresh = join(dir, 'new.yaml');
    await mieruka(['clutter', 'calibrate', clutterFixturePath(fixture('calibration').file), '--write', fresh, '--station', 'bench-1']);
    expect(parseConfig({ text: await readFile(fresh, 'utf8') }).stations['bench-1']?.hsvUpper[1]).toBe(255);

    const broken = join(dir, 'broken.yaml');
    const before = 'site: Not A Valid Id\n';
    await writeFile(broken, before);
    const err = await mieruka(['clutter', 'calibrate', clutterFixturePath(fixture('calibration').file), '--write', broken, '--station', 'bench-1']).catch((e: unknown) => e);
    expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
    expect(await readFile(broken, 'utf8')).toBe(before);

    const noStation = await mieruka(['clutter', 'calibrate', clutterFixturePath(fixture('calibration').file), '--write', fresh]).catch((e: unknown) => e);
    expect(isMierukaError(noStation, 'BAD_REQUEST')).toBe(true);
  });

  it('says clearly when the photo shows no mat', async () => {
    const err = await mieruka(['clutter', 'calibrate', clutterFixturePath('not-an-image.jpg')]).catch((e: unknown) => e);
    expect(isMierukaError(err, 'IMAGE_INVALID')).toBe(true);
  });
});
