/** Voice: band choice, real espeak-ng (checked non-silent with sox), VOICEVOX against a local look-alike server. */
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isMierukaError, StationConfig } from '@mieruka/protocol';
import { makeTempDir } from '../../../../test/helpers/temp-dir.js';
import { wavRms } from '../../../../test/helpers/wav-rms.js';
import { CommandAudioSink, FakeAudioSink, type Sound } from './audio-sink.js';
import { EspeakTts, VoicevoxTts } from './tts.js';
import { chooseBand, Voice } from './voice.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

/** RMS of a WAV in memory: > 0 means something is heard. */
async function rmsOf(wav: Buffer): Promise<number> {
  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  const file = join(dir.path, 'v.wav');
  await writeFile(file, wav);
  return wavRms(file);
}

const fakeTts = { name: 'fake', synthesize: async (text: string) => Buffer.from(`RIFF....WAVE${text}`) };

describe('voice bands', () => {
  const bands = StationConfig.parse({}).voice.bands;
  it.each([
    [0, 20],
    [20, 20],
    [20.1, 50],
    [73, 100],
  ])('score %d → band ≤ %d', (score, max) => {
    expect(chooseBand(bands, score)!.maxScore).toBe(max);
  });

  it('unsorted bands and scores above every band', () => {
    expect(chooseBand([{ maxScore: 60, file: 'b.wav' }, { maxScore: 10, file: 'a.wav' }], 99)!.file).toBe('b.wav');
    expect(chooseBand([], 5)).toBeNull();
  });

  it('announces a file band, or the text band in the configured language (falling back to the other)', async () => {
    const cfg = StationConfig.parse({ voice: { language: 'en', bands: [{ maxScore: 30, file: '/srv/good.mp3' }, { maxScore: 100, text: { ja: '片付けてください' } }] } }).voice;
    const sink = new FakeAudioSink();
    const voice = new Voice(cfg, fakeTts, sink);
    expect(await voice.announce(10)).toBe('/srv/good.mp3');
    expect(await voice.announce(80)).toBe('片付けてください');
    expect(sink.played[0]).toEqual({ kind: 'file', path: '/srv/good.mp3' });
    expect(sink.played[1]!.kind).toBe('wav');
  });
});

describe('one voice at a time', () => {
  it('say() waits for the message playing; speakIfIdle() is refused while anything plays or waits', async () => {
    const log: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const sink = {
      async play(sound: Sound) {
        const what = sound.kind === 'wav' ? sound.data.toString('utf8').slice(12) : sound.path;
        log.push(`start ${what}`);
        if (log.length === 1) await held;
        log.push(`end ${what}`);
      },
      close() {},
    };
    const voice = new Voice(StationConfig.parse({}).voice, fakeTts, sink);
    expect(voice.busy).toBe(false);
    const first = voice.say('first');
    const second = voice.say('second');
    expect(voice.busy).toBe(true);
    expect(await voice.speakIfIdle({ text: 'arrival', language: 'ja' })).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['start first', 'end first', 'start second', 'end second']);
    expect(voice.busy).toBe(false);
    expect(await voice.speakIfIdle({ text: 'arrival', language: 'ja' })).toBe(true);
    expect(log.at(-1)).toBe('end arrival');
  });
});

describe('EspeakTts (real espeak-ng)', () => {
  it.each(['en', 'ja'] as const)('writes a non-silent WAV (%s)', async (lang) => {
    const wav = await new EspeakTts().synthesize(lang === 'ja' ? 'きれいです' : 'The bench is tidy', lang);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(await rmsOf(wav)).toBeGreaterThan(0.001);
  });

  it('a missing espeak-ng is DEPENDENCY_MISSING', async () => {
    const err = await new EspeakTts({ espeakPath: '/nonexistent/espeak-ng' }).synthesize('x', 'en').then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'DEPENDENCY_MISSING')).toBe(true);
  });
});

describe('VoicevoxTts against a VOICEVOX look-alike on loopback', () => {
  async function engine(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server: Server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('asks /audio_query then /synthesis with the query, speaker and text', async () => {
    const seen: string[] = [];
    const wav = await new EspeakTts().synthesize('ok', 'en');
    const url = await engine((req, res) => {
      const u = new URL(req.url!, 'http://x');
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${u.pathname} ${u.searchParams.get('speaker')} ${u.searchParams.get('text') ?? body}`);
        if (u.pathname === '/audio_query') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ accent_phrases: [], speedScale: 1, text: u.searchParams.get('text') }));
        } else if (u.pathname === '/synthesis' && JSON.parse(body).speedScale === 1) {
          res.setHeader('content-type', 'audio/wav');
          res.end(wav);
        } else {
          res.statusCode = 422;
          res.end();
        }
      });
    });
    const out = await new VoicevoxTts({ url, speaker: 3 }).synthesize('片付けましょう');
    expect(out.equals(wav)).toBe(true);
    expect(seen[0]).toBe('POST /audio_query 3 片付けましょう');
    expect(seen[1]).toMatch(/^POST \/synthesis 3 \{/);
  });

  it('an engine error or no engine is a clear DEPENDENCY_MISSING', async () => {
    const url = await engine((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await expect(new VoicevoxTts({ url, speaker: 1 }).synthesize('x')).rejects.toThrow(/audio_query answered 500/);
    const err = await new VoicevoxTts({ url: 'http://127.0.0.1:1', speaker: 1 }).synthesize('x').then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'DEPENDENCY_MISSING')).toBe(true);
    expect((err as Error).message).toMatch(/cannot be reached/);
  });
});

describe('CommandAudioSink', () => {
  it('plays WAV with aplay, MP3 always through ffmpeg', () => {
    const sink = new CommandAudioSink({ player: 'aplay' });
    expect(sink.commandFor({ kind: 'file', path: '/a/ok.wav' }).command).toBe('aplay');
    expect(sink.commandFor({ kind: 'file', path: '/a/ok.mp3' }).command).toBe('ffmpeg');
    const tts = sink.commandFor({ kind: 'wav', data: Buffer.from('RIFF') });
    expect(tts.args.at(-1)).toBe('-');
    expect(tts.stdin?.toString()).toBe('RIFF');
    expect(new CommandAudioSink({ player: 'ffmpeg', device: 'hw:1' }).commandFor({ kind: 'file', path: '/x.wav' }).args).toEqual(expect.arrayContaining(['-f', 'alsa', 'hw:1']));
  });

  it('a missing player is DEPENDENCY_MISSING', async () => {
    const err = await new CommandAudioSink({ player: 'aplay', aplayPath: '/nonexistent/aplay' }).play({ kind: 'wav', data: Buffer.alloc(10) }).then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'DEPENDENCY_MISSING')).toBe(true);
  });
});
