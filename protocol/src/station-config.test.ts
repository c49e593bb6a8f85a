import { describe, expect, it } from 'vitest';
import { parseConfig, StationConfig } from './index.js';

describe('StationConfig station fields', () => {
  it('fills camera, light, motion and voice defaults so old configs keep validating', () => {
    const s = StationConfig.parse({ slots: ['09:00'] });
    expect(s.camera).toMatchObject({ type: 'v4l2', width: 1920, height: 1080, warmupFrames: 10, timeoutMs: 15_000 });
    expect(s.light).toEqual({ activeLow: false, settleMs: 1500 });
    expect(s.motion).toEqual({ debounceMs: 200, lightOffDelayS: 60 });
    expect(s.voice.tts).toBe('espeak');
    expect(s.voice.player).toBe('aplay');
    expect(s.voice.bands.map((b) => b.maxScore)).toEqual([20, 50, 100]);
    // Arrival lines are opt-in, with Japanese and English lines for every band and before the first score.
    expect(s.voice.onMotion).toMatchObject({ enabled: false, quietS: 600, cooldownS: 900 });
    expect(s.voice.onMotion.bands.map((b) => b.maxScore)).toEqual([20, 50, 100]);
    for (const line of [...s.voice.onMotion.bands, s.voice.onMotion.noScore]) expect(Object.keys(line.text!).sort()).toEqual(['en', 'ja']);
  });

  it('accepts a full station section', () => {
    const s = StationConfig.parse({
      camera: { type: 'http', url: 'http://192.168.1.50/snapshot.jpg', width: 1280, height: 720, warmupFrames: 0, timeoutMs: 5000 },
      light: { gpio: 17, activeLow: true, settleMs: 800 },
      motion: { gpio: 27, debounceMs: 100, lightOffDelayS: 30 },
      voice: { bands: [{ maxScore: 30, file: '/srv/ok.wav' }, { maxScore: 100, text: { en: 'Tidy up please' } }], tts: 'voicevox', voicevoxUrl: 'http://127.0.0.1:50021', player: 'ffmpeg' },
    });
    expect(s.light.gpio).toBe(17);
    expect(s.motion.gpio).toBe(27);
    expect(s.voice.bands[0]!.file).toBe('/srv/ok.wav');
  });

  it.each([
    [{ camera: { type: 'usb' } }],
    [{ camera: { type: 'http', url: 'ftp://x/y.jpg' } }],
    [{ camera: { warmupFrames: -1 } }],
    [{ light: { gpio: 99 } }],
    [{ motion: { debounceMs: 'fast' } }],
    [{ voice: { bands: [{ maxScore: 50 }] } }],
    [{ voice: { tts: 'say' } }],
    [{ voice: { onMotion: { bands: [] } } }],
    [{ voice: { onMotion: { noScore: {} } } }],
    [{ voice: { onMotion: { quietS: -1 } } }],
    [{ voice: { onMotion: { enable: true } } }],
    [{ light: { gpio: 17, colour: 'white' } }],
  ])('rejects %j', (input) => {
    expect(StationConfig.safeParse(input).success).toBe(false);
  });

  it('validates inside the whole config', () => {
    const cfg = parseConfig({ text: 'stations:\n  bench-1:\n    light: { gpio: 17 }\n    camera: { type: file, path: ./photos }\n' });
    expect(cfg.stations['bench-1']!.camera.type).toBe('file');
    expect(cfg.stations['bench-1']!.light.settleMs).toBe(1500);
  });
});
