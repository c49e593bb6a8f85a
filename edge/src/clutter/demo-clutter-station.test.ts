import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  ClutterPayload,
  encodePayload,
  looksLikeJpeg,
  MAX_IMAGE_BYTES,
  StationConfig,
  type CommandPayload,
  type JsonKind,
  type PayloadOf,
} from '@mieruka/protocol';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeLink } from '../node-link.js';
import { DemoClutterStation } from './demo-clutter-station.js';
import { listSamplePhotos } from './sample-photos.js';
import { createClutterScorer } from './clutter-scorer.js';

type Published = { kind: JsonKind; payload: unknown } | { kind: 'image'; payload: Buffer };

/**
 * In-memory NodeLink: keeps what would go on the wire, validating every payload with the
 * contract's encoder as the MQTT link does before publishing.
 */
class MemoryNodeLink implements NodeLink {
  readonly published: Published[] = [];
  readonly site = 'factory';
  readonly node = 'bench-1';
  private seq = 0;
  private readonly handlers = new Set<(action: string, payload: CommandPayload) => void>();

  nextSeq(): number {
    return ++this.seq;
  }

  async publish<K extends JsonKind>(kind: K, payload: PayloadOf<K>): Promise<void> {
    this.published.push({ kind, payload: JSON.parse(encodePayload(kind, payload).toString('utf8')) });
  }

  async publishImage(jpeg: Buffer): Promise<void> {
    if (!looksLikeJpeg(jpeg)) throw new TypeError('image is not a JPEG');
    if (jpeg.length > MAX_IMAGE_BYTES) throw new RangeError(`image of ${jpeg.length} bytes exceeds ${MAX_IMAGE_BYTES}`);
    this.published.push({ kind: 'image', payload: jpeg });
  }

  onCommand(handler: (action: string, payload: CommandPayload) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  get commandHandlers(): number {
    return this.handlers.size;
  }

  command(action: string, payload: CommandPayload): void {
    for (const h of this.handlers) h(action, payload);
  }

  clutter(): ClutterPayload[] {
    return this.published.filter((p) => p.kind === 'clutter').map((p) => ClutterPayload.parse(p.payload));
  }

  images(): Buffer[] {
    return this.published.flatMap((p) => (p.kind === 'image' ? [p.payload] : []));
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const station = StationConfig.parse({});
// 2026-11-24 09:00:00 in Tokyo.
const T0 = Date.UTC(2026, 10, 24, 0, 0, 0);

describe('DemoClutterStation', () => {
  let dir: string;
  let samples: string[];
  let running: DemoClutterStation | null = null;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mieruka-clutter-'));
    samples = await listSamplePhotos();
  });

  afterEach(async () => {
    await running?.stop();
    running = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes valid clutter and images with increasing seq, and keeps going after broken photos', async () => {
    const broken = join(dir, 'broken.jpg');
    const full = await readFile(samples[0]!);
    await writeFile(broken, full.subarray(0, 1000));
    const photos = [samples[0]!, broken, samples[5]!, join(dir, 'missing.jpg'), samples[2]!];
    const link = new MemoryNodeLink();
    const { logger, lines } = capturingLogger();
    let now = T0;
    const st = new DemoClutterStation({
      link,
      photos,
      intervalMs: 5,
      firstShotDelayMs: 5,
      station,
      logger,
      timeZone: 'Asia/Tokyo',
      clock: () => (now += 400), // several shots share a second: ids must still be unique
    });
    running = st;
    await st.start();
    expect(link.published).toHaveLength(0); // nothing before the first tick
    await waitFor(() => st.stats().shots >= 7, 'seven shots');
    await st.stop();

    const clutter = link.clutter();
    const stats = st.stats();
    expect(stats.failures).toBeGreaterThanOrEqual(2);
    expect(stats.published).toBe(clutter.length);
    expect(stats.shots).toBe(stats.published + stats.failures);
    expect(clutter.length).toBeGreaterThanOrEqual(4);
    expect(link.images()).toHaveLength(clutter.length);
    // Each clutter message is followed by its image.
    link.published.forEach((p, i) => expect(p.kind).toBe(i % 2 === 0 ? 'clutter' : 'image'));

    for (let i = 1; i < clutter.length; i++) expect(clutter[i]!.seq).toBeGreaterThan(clutter[i - 1]!.seq);
    expect(new Set(clutter.map((c) => c.imageId)).size).toBe(clutter.length);
    expect(clutter[0]!.imageId).toBe('20261124-090000-bench-1');
    expect(clutter[1]!.imageId).toBe('20261124-090000-bench-1-2'); // same second
    for (const c of clutter) {
      expect(c.slot).toBe('demo');
      expect(c.imageId).toMatch(/^20261124-0900\d\d-bench-1(-\d+)?$/);
    }
    // The good photos cycle in order: 0, 5, 2, 0, …, with the scores the pipeline gives.
    const { scorer } = await createClutterScorer({ hsvLower: station.hsvLower, hsvUpper: station.hsvUpper });
    const expected = await Promise.all([0, 5, 2].map(async (i) => (await scorer.score(await readFile(samples[i]!))).score));
    expect(clutter.slice(0, 3).map((c) => c.score)).toEqual(expected);

    for (const jpeg of link.images()) {
      const meta = await sharp(jpeg).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBeLessThanOrEqual(640);
    }
    const warnings = lines.filter((l) => l.level === 40 && l.msg === 'clutter shot failed; continuing with the next photo');
    expect(warnings.map((w) => w.photo)).toEqual(expect.arrayContaining(['broken.jpg', 'missing.jpg']));
    expect(stats.lastError).not.toBeNull();
    // The backend is chosen and logged once, at start.
    const chosen = lines.filter((l) => l.msg === 'clutter scoring backend chosen');
    expect(chosen).toHaveLength(1);
    expect(chosen[0]).toMatchObject({ backend: stats.backend, reason: expect.stringMatching(/^auto: /), opencv: expect.stringMatching(/^4\./) });
  });

  it('uses the backend it is told to, and stop() during start() leaves nothing running', async () => {
    const link = new MemoryNodeLink();
    const st = new DemoClutterStation({ link, photos: [samples[0]!], intervalMs: 5, firstShotDelayMs: 5, station, logger: pino({ level: 'silent' }), backend: 'wasm' });
    running = st;
    const starting = st.start();
    await st.stop();
    await starting;
    expect(st.stats()).toMatchObject({ running: false, backend: 'wasm' });
    expect(link.commandHandlers).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(link.published).toHaveLength(0);
    await st.start();
    await waitFor(() => link.clutter().length >= 1, 'a shot');
    expect(st.stats().backend).toBe('wasm');
  });

  it('takes a manual shot on cmd/capture and releases the subscription on stop', async () => {
    const link = new MemoryNodeLink();
    const st = new DemoClutterStation({
      link,
      photos: [samples[1]!],
      intervalMs: 3_600_000,
      firstShotDelayMs: 3_600_000,
      station,
      logger: pino({ level: 'silent' }),
      clock: () => T0,
      timeZone: 'UTC',
    });
    running = st;
    await st.start();
    expect(link.commandHandlers).toBe(1);
    link.command('light', { ts: T0 }); // not ours: ignored
    link.command('capture', { ts: T0, id: 'c1' });
    await waitFor(() => link.images().length === 1, 'the manual shot');
    const [shot] = link.clutter();
    expect(shot).toMatchObject({ slot: 'manual', ts: T0, seq: 1, imageId: '20261124-000000-bench-1' });
    expect(st.stats()).toMatchObject({ captureCommands: 1, shots: 1, published: 1, failures: 0, lastScore: shot!.score });

    await st.stop();
    expect(link.commandHandlers).toBe(0);
    expect(st.stats().running).toBe(false);
    expect(await st.capture()).toBeNull(); // stopped: no shot
    expect(link.clutter()).toHaveLength(1);
  });

  it('stops its timer: no shot after stop()', async () => {
    const link = new MemoryNodeLink();
    const st = new DemoClutterStation({ link, photos: [samples[0]!], intervalMs: 5, firstShotDelayMs: 5, station, logger: pino({ level: 'silent' }) });
    running = st;
    await st.start();
    await waitFor(() => link.clutter().length >= 2, 'two shots');
    await st.stop();
    const count = link.published.length;
    const shots = st.stats().shots;
    await new Promise((r) => setTimeout(r, 100)); // twenty intervals
    expect(link.published.length).toBe(count);
    expect(st.stats().shots).toBe(shots);
  });

  it('validates its options', () => {
    const base = { link: new MemoryNodeLink(), station, logger: pino({ level: 'silent' }) };
    expect(() => new DemoClutterStation({ ...base, photos: [], intervalMs: 1000 })).toThrow(RangeError);
    expect(() => new DemoClutterStation({ ...base, photos: ['a.jpg'], intervalMs: 0 })).toThrow(RangeError);
    expect(() => new DemoClutterStation({ ...base, photos: ['a.jpg'], intervalMs: 1000, timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });
});
