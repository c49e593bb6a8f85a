/** The audio check: espeak-ng renders a non-silent phrase (real program); missing programs fail with what to install. */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { audioCheck } from './audio-check.js';
import { findExecutable } from './find-executable.js';
import { wavPeak } from './wav-level.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const station = (player: 'aplay' | 'ffmpeg', language: 'ja' | 'en' = 'en') => ({ stations: { 'bench-1': { voice: { tts: 'espeak' as const, player, language } } } });

/** A 16-bit mono WAV of the given samples. */
function wav(samples: number[]): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(s, i * 2));
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(22050, 4);
  fmt.writeUInt32LE(44100, 8);
  fmt.writeUInt16LE(2, 12);
  fmt.writeUInt16LE(16, 14);
  const chunk = (id: string, body: Buffer) => Buffer.concat([Buffer.from(id, 'ascii'), Buffer.from(new Uint32Array([body.length]).buffer), body]);
  const inner = Buffer.concat([Buffer.from('WAVE', 'ascii'), chunk('fmt ', fmt), chunk('data', data)]);
  return Buffer.concat([Buffer.from('RIFF', 'ascii'), Buffer.from(new Uint32Array([inner.length]).buffer), inner]);
}

describe('audio check', () => {
  it('is ok when espeak-ng renders a phrase that is not silent and the player is installed', async () => {
    const espeak = await findExecutable('espeak-ng', process.env.PATH);
    const ffmpeg = await findExecutable('ffmpeg', process.env.PATH);
    expect(espeak, 'espeak-ng is installed on the test machine').not.toBeNull();
    expect(ffmpeg, 'ffmpeg is installed on the test machine').not.toBeNull();
    const out = await audioCheck.run(doctorContext(station('ffmpeg')), neverAborted);
    expect(out).toMatchObject({ status: 'ok', message: { en: 'bench-1: espeak renders speech (en), player ffmpeg installed' } });
  });

  it('fails naming the missing programs and the packages to install', async () => {
    const empty = await makeTempDir();
    cleanups.push(() => empty.remove());
    const out = await audioCheck.run(doctorContext(station('aplay'), { env: { PATH: empty.path } }), neverAborted);
    expect(out).toMatchObject({ status: 'fail', message: { en: 'bench-1: espeak-ng, aplay not installed' }, fix: { en: 'sudo apt install espeak-ng alsa-utils' } });
  });

  it('fails when only the player is missing', async () => {
    const bin = await makeTempDir();
    cleanups.push(() => bin.remove());
    await symlink((await findExecutable('espeak-ng', process.env.PATH)) ?? 'espeak-ng', join(bin.path, 'espeak-ng'));
    const out = await audioCheck.run(doctorContext(station('aplay', 'ja'), { env: { PATH: bin.path } }), neverAborted);
    expect(out).toMatchObject({ status: 'fail', message: { en: 'bench-1: aplay not installed' }, fix: { en: 'sudo apt install alsa-utils' } });
  });

  it('skips when no station speaks', async () => {
    expect((await audioCheck.run(doctorContext({ stations: { 'bench-1': { voice: { enabled: false } } } }), neverAborted)).status).toBe('skip');
  });

  it('tells silence from sound in a WAV', () => {
    expect(wavPeak(wav([0, 0, 1, -1, 0]))).toBeLessThan(0.001);
    expect(wavPeak(wav([0, 16384, -32768, 0]))).toBe(1);
    expect(wavPeak(Buffer.from('not a wav'))).toBeNull();
  });
});
