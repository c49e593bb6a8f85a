/**
 * ClutterStation over the real wire: MqttNodeLink → aedes on 127.0.0.1 → an MQTT.js hub that
 * decodes everything with the contract. Hardware is faked (camera, GPIO, audio sink); slots
 * are fired by hand through ManualSlotScheduler. Arrival lines go through real espeak-ng into
 * WAV files, checked non-silent with sox.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  addDays,
  commandTopic,
  decodeMessage,
  LocalTime,
  MAX_IMAGE_BYTES,
  StationConfig,
  topicFilters,
  type ClutterPayload,
  type MotionPayload,
  type ShiftSpec,
  type StatusPayload,
} from '@mieruka/protocol';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { wavRms } from '../../../test/helpers/wav-rms.js';
import { createClutterScorer, type ClutterScorer } from '../clutter/clutter-scorer.js';
import { MqttNodeLink } from '../mqtt/index.js';
import { FakeGpioPort } from '../patlite/fake-gpio-port.js';
import { FakeCamera } from './camera/fake-camera.js';
import { ClutterStation } from './clutter-station.js';
import { ManualSlotScheduler } from './slot-scheduler.js';
import { FakeAudioSink, type AudioSink, type Sound } from './voice/audio-sink.js';
import { EspeakTts, type Tts } from './voice/tts.js';
import { Voice } from './voice/voice.js';
import { startTestBroker } from '../../../test/helpers/aedes-broker.js';

const logger = pino({ level: 'silent' });
const LIGHT = 17;
const PIR = 27;

/** TTS stand-in: the "WAV" carries the text, so tests can tell which message was spoken. */
const textTts: Tts = { name: 'text', synthesize: async (text, language) => Buffer.from(`RIFF\0\0\0\0WAVE${language}:${text}`) };
const spoken = (sink: FakeAudioSink) => sink.played.map((s) => (s.kind === 'wav' ? s.data.toString('utf8').slice(12) : `file:${s.path}`));

const solid = (r: number, g: number, b: number) => sharp({ create: { width: 320, height: 240, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();

let scorer: ClutterScorer;
let greenMat: Buffer; // nothing on the mat: score 0
let redBench: Buffer; // mat fully covered: score 100
beforeAll(async () => {
  const st = StationConfig.parse({});
  scorer = (await createClutterScorer({ hsvLower: st.hsvLower, hsvUpper: st.hsvUpper, backend: 'auto' })).scorer;
  greenMat = await solid(0, 200, 0);
  redBench = await solid(220, 30, 30);
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups.length = 0;
});

type Received = { kind: string; payload: unknown };

type Hardware<S extends AudioSink> = { gpio?: FakeGpioPort; camera?: FakeCamera; sink?: S; tts?: Tts; clock?: () => number; shifts?: ShiftSpec[]; lastScoreFile?: string };

async function setup<S extends AudioSink = FakeAudioSink>(stationInput: Record<string, unknown>, hw: Hardware<S> = {}) {
  const { aedes, url, close: closeBroker } = await startTestBroker();
  cleanups.push(closeBroker);
  const cmdFilter = topicFilters.commandsFor('factory', 'bench-1');
  let commandsSubscribed = false;
  aedes.on('subscribe', (subs) => {
    if (subs.some((s) => s.topic === cmdFilter)) commandsSubscribed = true;
  });

  const hub: MqttClient = await connectAsync(url, { clientId: 'test-hub', reconnectPeriod: 0 });
  cleanups.push(() => hub.endAsync());
  const received: Received[] = [];
  const rejected: string[] = [];
  hub.on('message', (topic, payload) => {
    const d = decodeMessage(topic, payload);
    if (!d.ok) rejected.push(`${topic}: ${d.message}`);
    else received.push({ kind: d.message.kind, payload: d.message.payload });
  });
  await hub.subscribeAsync('mieruka/v1/factory/bench-1/+', { qos: 1 });

  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  const link = new MqttNodeLink({ url, site: 'factory', node: 'bench-1', agent: 'clutter-station', version: '0.1.0-test', dataDir: dir.path, logger });
  cleanups.push(() => link.stop());
  await link.start();

  const station = StationConfig.parse(stationInput);
  const gpio = hw.gpio ?? new FakeGpioPort();
  const camera = hw.camera ?? new FakeCamera(greenMat);
  const sink = hw.sink ?? (new FakeAudioSink() as unknown as S);
  const scheduler = new ManualSlotScheduler();
  const { clock, shifts, lastScoreFile } = hw;
  const st = new ClutterStation({
    link,
    station,
    camera,
    gpio,
    voice: new Voice(station.voice, hw.tts ?? textTts, sink),
    logger,
    scheduler,
    scorer,
    timeZone: 'Asia/Tokyo',
    ...(clock ? { clock } : {}),
    ...(shifts ? { shifts } : {}),
    ...(lastScoreFile ? { lastScoreFile } : {}),
  });
  cleanups.push(() => st.stop());
  await st.start();
  await waitFor(() => commandsSubscribed, 'the station to subscribe to its commands');

  const of = <T>(kind: string) => received.filter((r) => r.kind === kind).map((r) => r.payload as T);
  const sendCommand = (action: string, body: Record<string, unknown>) => hub.publishAsync(commandTopic('factory', 'bench-1', action), JSON.stringify({ ts: Date.now(), ...body }), { qos: 1 });
  return { st, gpio, camera, sink, scheduler, received, rejected, of, sendCommand };
}

describe('ClutterStation over MQTT', () => {
  it('a scheduled slot: light on before the shot, off after; clutter + image published and valid', async () => {
    const t = await setup({ slots: ['09:00', '12:00', '17:00'], light: { gpio: LIGHT, settleMs: 5 } });
    expect(t.scheduler.scheduledSlots.sort()).toEqual(['09:00', '12:00', '17:00']);
    const lightAtCapture: boolean[] = [];
    t.camera.onCapture = () => lightAtCapture.push(t.gpio.isActive(LIGHT));

    expect(t.scheduler.fire('09:00')).toBe(1);
    await waitFor(() => t.of('image').length === 1, 'clutter + image');
    const [clutter] = t.of<ClutterPayload>('clutter');
    expect(clutter).toMatchObject({ slot: '09:00', score: 0, coveredRatio: 0 });
    expect(clutter!.imageId).toMatch(/^\d{8}-\d{6}-bench-1$/);
    const jpeg = t.of<Buffer>('image')[0]!;
    expect(jpeg.length).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
    expect((await sharp(jpeg).metadata()).format).toBe('jpeg');

    expect(lightAtCapture).toEqual([true]);
    expect(t.gpio.writes).toEqual([
      { line: LIGHT, active: true },
      { line: LIGHT, active: false },
    ]);
    expect(t.st.stats()).toMatchObject({ shots: 1, published: 1, light: 'enabled', lightOn: false, motion: 'off-by-config' });
    expect(t.rejected).toEqual([]);
  });

  it('a camera failure: status detail, light still off, no crash; the next slot works and clears the detail', async () => {
    const t = await setup({ slots: ['09:00', '12:00'], light: { gpio: LIGHT, settleMs: 0 } });
    t.camera.failNext('camera /dev/video0 gave no picture: No such file or directory');

    t.scheduler.fire('09:00');
    await waitFor(() => t.of<StatusPayload>('status').some((s) => s.detail?.includes('No such file')), 'a status detail about the camera');
    expect(t.st.stats()).toMatchObject({ cameraFailures: 1, published: 0, running: true, lightOn: false });
    expect(t.gpio.writes).toEqual([
      { line: LIGHT, active: true },
      { line: LIGHT, active: false },
    ]);
    expect(t.of('clutter')).toEqual([]);

    t.scheduler.fire('12:00');
    await waitFor(() => t.of('image').length === 1, 'the next slot to publish');
    expect(t.of<ClutterPayload>('clutter')[0]!.slot).toBe('12:00');
    await waitFor(() => t.of<StatusPayload>('status').at(-1)?.detail === undefined, 'the camera detail to clear');
  });

  it('motion switches the light on while someone is there, publishes motion, and the light goes off after the delay', async () => {
    const t = await setup({ light: { gpio: LIGHT }, motion: { gpio: PIR, debounceMs: 50, lightOffDelayS: 0.05 } });
    expect(t.st.stats().motion).toBe('enabled');

    t.gpio.setInput(PIR, true);
    await waitFor(() => t.of<MotionPayload>('motion').length === 1, 'motion active');
    expect(t.of<MotionPayload>('motion')[0]!.active).toBe(true);
    await waitFor(() => t.gpio.isActive(LIGHT), 'the light to switch on');

    t.gpio.setInput(PIR, false);
    await waitFor(() => t.of<MotionPayload>('motion').length === 2, 'motion inactive');
    expect(t.of<MotionPayload>('motion')[1]!.active).toBe(false);
    await waitFor(() => !t.gpio.isActive(LIGHT), 'the light to switch off after the delay');
    expect(t.st.stats().motionEvents).toBe(2);
  });

  it('the end-of-day slot speaks the message of the score band; earlier slots stay quiet', async () => {
    const bands = [
      { maxScore: 10, text: { en: 'tidy' } },
      { maxScore: 100, text: { en: 'messy' } },
    ];
    const t = await setup({ slots: ['17:00', '09:00'], voice: { language: 'en', bands } });
    t.scheduler.fire('09:00');
    await waitFor(() => t.of('image').length === 1, 'the morning shot');
    t.scheduler.fire('17:00'); // green mat: score 0
    await waitFor(() => t.sink.played.length === 1, 'the end-of-day message');
    t.camera.push(redBench);
    t.scheduler.fire('17:00'); // covered: score 100
    await waitFor(() => t.sink.played.length === 2, 'the second end-of-day message');
    await waitFor(() => t.of('clutter').length === 3, 'three clutter messages');
    expect(t.of<ClutterPayload>('clutter').map((c) => [c.slot, c.score])).toEqual([
      ['09:00', 0],
      ['17:00', 0],
      ['17:00', 100],
    ]);
    expect(spoken(t.sink)).toEqual(['en:tidy', 'en:messy']);
  });

  it('cmd/capture takes a manual shot and cmd/say speaks text (or the last score’s message)', async () => {
    const t = await setup({ voice: { language: 'ja' } });
    await t.sendCommand('capture', { id: 'cap-1' });
    await waitFor(() => t.of('image').length === 1, 'the manual shot');
    expect(t.of<ClutterPayload>('clutter')[0]!.slot).toBe('manual');

    await t.sendCommand('say', { text: 'こんにちは' });
    await waitFor(() => t.sink.played.length === 1, 'the spoken text');
    await t.sendCommand('say', {});
    await waitFor(() => t.sink.played.length === 2, 'the band message');
    expect(spoken(t.sink)).toEqual(['ja:こんにちは', `ja:${StationConfig.parse({}).voice.bands[0]!.text!.ja}`]);
    expect(t.st.stats().commands).toBe(3);
  });

  it('cmd/schedule from the hub replaces the photo times (and the end-of-day slot); an invalid one is refused and counted', async () => {
    const t = await setup({ slots: ['09:00', '17:00'], voice: { language: 'en' } });
    expect([...t.scheduler.scheduledSlots].sort()).toEqual(['09:00', '17:00']);
    await t.sendCommand('schedule', { slots: ['16:30', '08:15', '16:30'] });
    await waitFor(() => t.st.stats().slots.join() === '08:15,16:30', 'the new photo times');
    expect([...t.scheduler.scheduledSlots].sort()).toEqual(['08:15', '16:30']);
    expect(t.scheduler.fire('17:00')).toBe(0);
    t.scheduler.fire('16:30'); // now the last slot of the day: it speaks
    await waitFor(() => t.sink.played.length === 1, 'the end-of-day message at the new last slot');
    // Spoken after publishing, but the hub's copy may still be on its way.
    await waitFor(() => t.of('clutter').length === 1, 'the clutter message at the hub');
    expect(t.of<ClutterPayload>('clutter').map((c) => c.slot)).toEqual(['16:30']);

    await t.sendCommand('schedule', { slots: ['25:00'] });
    await waitFor(() => t.st.stats().commandsRefused === 1, 'the refused command');
    expect(t.st.stats().slots).toEqual(['08:15', '16:30']);
    expect(t.st.stats().running).toBe(true);
  });

  it('without GPIO (a PC) light and motion report themselves disabled and shots still work', async () => {
    const t = await setup({ light: { gpio: LIGHT }, motion: { gpio: PIR } }, { gpio: new FakeGpioPort({ accessible: false }) });
    await waitFor(() => {
      const d = t.of<StatusPayload>('status').at(-1)?.detail ?? '';
      return d.includes('light disabled') && d.includes('motion disabled');
    }, 'a status detail saying light and motion are disabled');
    expect(t.st.stats()).toMatchObject({ light: 'disabled', motion: 'disabled' });
    expect((await t.st.capture('manual')).ok).toBe(true);
    await waitFor(() => t.of('image').length === 1, 'the shot');
  });

  it('a failing light relay is reported in the status detail and the shot is still published', async () => {
    const gpio = new FakeGpioPort();
    const t = await setup({ light: { gpio: LIGHT, settleMs: 0 } }, { gpio });
    gpio.failWrites = 'EIO: relay board gone';
    expect((await t.st.capture('manual')).ok).toBe(true);
    await waitFor(() => t.of<StatusPayload>('status').some((s) => s.detail?.includes('EIO: relay board gone')), 'a status detail about the light');
    await waitFor(() => t.of('image').length === 1, 'the image');
  });

  it('stop() switches the light off and releases the GPIO lines', async () => {
    const t = await setup({ light: { gpio: LIGHT }, motion: { gpio: PIR, lightOffDelayS: 3600 } });
    t.gpio.setInput(PIR, true);
    await waitFor(() => t.gpio.isActive(LIGHT), 'the light on');
    await t.st.stop();
    expect(t.gpio.isActive(LIGHT)).toBe(false);
    expect(t.gpio.isOpen(LIGHT)).toBe(false);
    expect(t.gpio.isInputOpen(PIR)).toBe(false);
  });
});

/** The speaker at the hardware edge: each sound is written to a WAV file; hold() keeps the next one "playing" until released. */
class WavFileSink implements AudioSink {
  readonly files: string[] = [];
  playing = 0;
  private gate: { promise: Promise<void>; release: () => void } | null = null;
  constructor(private readonly dir: string) {}

  hold(): () => void {
    let release = () => {};
    const promise = new Promise<void>((r) => (release = r));
    this.gate = { promise, release };
    return () => {
      this.gate = null;
      release();
    };
  }

  async play(sound: Sound): Promise<void> {
    if (sound.kind !== 'wav') throw new Error('only TTS output is expected here');
    const file = join(this.dir, `${String(this.files.length).padStart(2, '0')}.wav`);
    this.files.push(file);
    await writeFile(file, sound.data);
    this.playing++;
    try {
      await this.gate?.promise;
    } finally {
      this.playing--;
    }
  }

  close(): void {
    this.gate?.release();
  }
}

describe('arrival lines (voice.onMotion) with real espeak-ng', () => {
  const tokyo = new LocalTime('Asia/Tokyo');
  const everyDay = [{ name: 'day', start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }];
  const onMotion = StationConfig.parse({}).voice.onMotion;
  const line = (score: number) => onMotion.bands.find((b) => score <= b.maxScore)!.text!.ja!;

  /** A clock the test moves by hand; it starts at a local time of today (Tokyo), and the fixture's times come from it. */
  function handClock(hour: number) {
    const today = tokyo.dateOf(Date.now());
    let now = tokyo.instant(today, hour);
    return Object.assign(() => now, {
      today,
      advanceS: (s: number) => (now += s * 1000),
      set: (t: number) => (now = t),
    });
  }

  async function voiceSetup(clock: () => number, extra: { lastScoreFile?: string } = {}) {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const said: string[] = [];
    const espeak = new EspeakTts();
    const tts: Tts = { name: 'espeak', synthesize: (text, language) => (said.push(text), espeak.synthesize(text, language)) };
    const sink = new WavFileSink(dir.path);
    const t = await setup({ motion: { gpio: PIR }, voice: { onMotion: { enabled: true, quietS: 600, cooldownS: 900 } } }, { sink, tts, clock, shifts: everyDay, ...extra });
    const arrivals = () => t.st.stats().motionVoice!;
    const settled = () => arrivals().spoken + Object.values(arrivals().skipped).reduce((a, b) => a + b, 0);
    /** Someone comes (the PIR fires), the station decides, and they go (quiet from now on). */
    const visit = async () => {
      const before = settled();
      t.gpio.setInput(PIR, true);
      await waitFor(() => settled() === before + 1, 'the arrival to be decided');
      t.gpio.setInput(PIR, false);
    };
    return { ...t, said, sink, arrivals, visit };
  }

  it('an arrival after a quiet spell speaks the line of the latest score; motion within quietS or cooldownS does not', async () => {
    const clock = handClock(10);
    const t = await voiceSetup(clock);
    t.camera.push(redBench);
    expect((await t.st.capture('manual')).ok).toBe(true); // score 100

    await t.visit();
    expect(t.said).toEqual([line(100)]);
    expect(t.sink.files).toHaveLength(1);
    expect(wavRms(t.sink.files[0]!)).toBeGreaterThan(0.001);

    clock.advanceS(60); // quiet for one minute only: the same visit
    await t.visit();
    clock.advanceS(700); // quiet long enough, but 760 s after the last line (cooldown 900 s)
    await t.visit();
    expect(t.arrivals()).toMatchObject({ spoken: 1, skipped: { recentMotion: 1, cooldown: 1 } });

    t.camera.push(greenMat);
    expect((await t.st.capture('manual')).ok).toBe(true); // score 0
    clock.advanceS(700);
    await t.visit();
    expect(t.said).toEqual([line(100), line(0)]);
    expect(t.sink.files).toHaveLength(2);
    expect(wavRms(t.sink.files[1]!)).toBeGreaterThan(0.001);
    expect(t.st.stats().voiceMessages).toBe(2);
    await waitFor(() => t.of<StatusPayload>('status').at(-1)?.detail === 'arrival lines: 2 spoken, skipped 1 recent motion, 1 cooldown', 'the counts in the status detail');
  });

  it('outside the work shifts it stays quiet; at the start of the next shift, with no score yet, it greets', async () => {
    const clock = handClock(18);
    const t = await voiceSetup(clock);
    await t.visit();
    expect(t.arrivals()).toMatchObject({ spoken: 0, skipped: { outsideShifts: 1 } });
    expect(t.sink.files).toEqual([]);

    clock.set(tokyo.instant(addDays(clock.today, 1), 8));
    await t.visit();
    expect(t.st.stats().lastScore).toBeNull();
    expect(t.said).toEqual([onMotion.noScore.text!.ja]);
    expect(wavRms(t.sink.files[0]!)).toBeGreaterThan(0.001);
  });

  it('never speaks over another message: an arrival while cmd/say plays is skipped, not queued', async () => {
    const clock = handClock(10);
    const t = await voiceSetup(clock);
    const release = t.sink.hold();
    await t.sendCommand('say', { text: '点検の時間です' });
    await waitFor(() => t.sink.playing === 1, 'the message to be playing');
    await t.visit();
    expect(t.arrivals()).toMatchObject({ spoken: 0, skipped: { busy: 1 } });
    release();
    await waitFor(() => t.sink.playing === 0, 'the message to end');
    expect(t.said).toEqual(['点検の時間です']);
    expect(t.sink.files).toHaveLength(1);

    clock.advanceS(600);
    await t.visit();
    expect(t.said).toEqual(['点検の時間です', onMotion.noScore.text!.ja]);
  });

  it('the latest score survives a restart (lastScoreFile)', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const lastScoreFile = join(dir.path, 'last-score.json');
    const first = await voiceSetup(handClock(10), { lastScoreFile });
    first.camera.push(redBench);
    expect((await first.st.capture('manual')).ok).toBe(true);
    await first.st.stop();

    const second = await voiceSetup(handClock(10), { lastScoreFile });
    expect(second.st.stats().lastScore).toBe(100);
    await second.visit();
    expect(second.said).toEqual([line(100)]);
  });
});
