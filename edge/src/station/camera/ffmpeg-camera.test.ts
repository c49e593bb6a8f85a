/** FfmpegCamera through the real ffmpeg binary: lavfi test source, photo file, folder, and failures. */
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { isMierukaError, StationConfig } from '@mieruka/protocol';
import { makeTempDir } from '../../../../test/helpers/temp-dir.js';
import { createCamera } from './create-camera.js';
import { FfmpegCamera, redactUrl } from './ffmpeg-camera.js';
import { RpicamCamera } from './rpicam-camera.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function tempDir() {
  const d = await makeTempDir();
  cleanups.push(() => d.remove());
  return d.path;
}

describe('FfmpegCamera (real ffmpeg)', () => {
  it('captures one JPEG from a device-less lavfi source, skipping warm-up frames', async () => {
    const cam = new FfmpegCamera({ source: { type: 'ffmpeg-input', args: ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'] }, warmupFrames: 5, timeoutMs: 20_000 });
    const jpeg = await cam.capture();
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([320, 240]);
  });

  it('reads a PNG file and the newest photo of a folder', async () => {
    const dir = await tempDir();
    const older = join(dir, 'a.png');
    const newer = join(dir, 'b.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 0, g: 200, b: 0 } } }).png().toFile(older);
    await sharp({ create: { width: 80, height: 40, channels: 3, background: { r: 200, g: 0, b: 0 } } }).png().toFile(newer);
    await utimes(older, new Date(2020, 0, 1), new Date(2020, 0, 1));
    await writeFile(join(dir, 'notes.txt'), 'not a photo');

    const one = await createCamera(StationConfig.parse({ camera: { type: 'file', path: older } }).camera).capture();
    expect((await sharp(one).metadata()).width).toBe(64);
    const newest = await createCamera(StationConfig.parse({ camera: { type: 'file', path: dir } }).camera).capture();
    const m = await sharp(newest).metadata();
    expect([m.format, m.width, m.height]).toEqual(['jpeg', 80, 40]);
  });

  it('fetches an HTTP snapshot URL (a local server on loopback); a 404 is CAMERA_UNAVAILABLE', async () => {
    const { createServer } = await import('node:http');
    const photo = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 10, g: 180, b: 10 } } }).jpeg().toBuffer();
    const server = createServer((req, res) => {
      if (req.url === '/snapshot.jpg') {
        res.setHeader('content-type', 'image/jpeg');
        res.end(photo);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const cam = createCamera(StationConfig.parse({ camera: { type: 'http', url: `http://127.0.0.1:${port}/snapshot.jpg`, timeoutMs: 10_000 } }).camera);
    const m = await sharp(await cam.capture()).metadata();
    expect([m.format, m.width, m.height]).toEqual(['jpeg', 96, 64]);
    const missing = createCamera(StationConfig.parse({ camera: { type: 'http', url: `http://127.0.0.1:${port}/nope.jpg`, timeoutMs: 10_000 } }).camera);
    const err = await missing.capture().then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'CAMERA_UNAVAILABLE')).toBe(true);
  });

  it('a missing v4l2 device gives CAMERA_UNAVAILABLE with ffmpeg’s reason', async () => {
    const cam = createCamera(StationConfig.parse({ camera: { type: 'v4l2', device: '/dev/video-does-not-exist', width: 640, height: 480, warmupFrames: 2, timeoutMs: 10_000 } }).camera);
    const err = await cam.capture().then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'CAMERA_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain('/dev/video-does-not-exist');
  });

  it('an empty folder and a missing file give clear CAMERA_UNAVAILABLE errors', async () => {
    const dir = await tempDir();
    const empty = createCamera(StationConfig.parse({ camera: { type: 'file', path: dir } }).camera);
    await expect(empty.capture()).rejects.toThrow(/holds no photo/);
    const missing = createCamera(StationConfig.parse({ camera: { type: 'file', path: join(dir, 'nope.jpg') } }).camera);
    await expect(missing.capture()).rejects.toThrow(/does not exist/);
  });

  it('a source that never delivers times out and the child is killed', async () => {
    // A FIFO nobody writes to: ffmpeg blocks opening it, like a hung camera.
    const dir = await tempDir();
    const fifo = join(dir, 'hung.fifo');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const cam = new FfmpegCamera({ source: { type: 'ffmpeg-input', args: ['-f', 'mjpeg', '-i', fifo] }, timeoutMs: 800 });
    const err = await cam.capture().then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'CAMERA_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/timed out/);
  });

  it('close() cancels a capture in progress', async () => {
    const cam = new FfmpegCamera({ source: { type: 'ffmpeg-input', args: ['-re', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=1'] }, warmupFrames: 100, timeoutMs: 60_000 });
    const p = cam.capture().then(() => null, (e: unknown) => e);
    setTimeout(() => cam.close(), 200);
    expect(String(await p)).toMatch(/cancelled/);
  });

  it('a missing ffmpeg or rpicam-still binary is DEPENDENCY_MISSING', async () => {
    const cam = new FfmpegCamera({ source: { type: 'file', path: '/dev/null' }, ffmpegPath: '/nonexistent/ffmpeg' });
    const err = await cam.capture().then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'DEPENDENCY_MISSING')).toBe(true);
    const pi = new RpicamCamera({ width: 640, height: 480, rpicamPath: '/nonexistent/rpicam-still' });
    expect(isMierukaError(await pi.capture().then(() => null, (e: unknown) => e), 'DEPENDENCY_MISSING')).toBe(true);
    expect(pi.args()).toEqual(expect.arrayContaining(['--width', '640', '--height', '480', '-o', '-']));
  });

  it('hides URL credentials', () => {
    expect(redactUrl('rtsp://admin:secret@10.0.0.5/stream')).toBe('rtsp://***@10.0.0.5/stream');
    const cam = createCamera(StationConfig.parse({ camera: { type: 'rtsp', url: 'rtsp://admin:secret@10.0.0.5/stream' } }).camera);
    expect(cam.description).not.toContain('secret');
  });

  it('keeps URL credentials out of the error when the stream is unreachable', async () => {
    const cam = createCamera(StationConfig.parse({ camera: { type: 'rtsp', url: 'rtsp://admin:secret@127.0.0.1:1/stream', warmupFrames: 0, timeoutMs: 10_000 } }).camera);
    const err = await cam.capture().then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'CAMERA_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).not.toContain('secret');
  });
});
