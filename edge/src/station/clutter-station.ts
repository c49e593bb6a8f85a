/**
 * The clutter station on the bench: at each scheduled slot (or on `cmd/capture`) light on →
 * settle → shoot → light off → score → publish `clutter` + `image`; at the last slot of the day
 * a voice message chosen by score band; a PIR keeps the light on while someone is there,
 * publishes `motion` and (voice.onMotion) greets an arrival with a line for the latest score.
 * Hardware that is absent (GPIO on a PC) or failing is reported in the `status` detail and
 * never stops the station; the next slot simply tries again.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ScheduleCommand, type ClutterPayload, type CommandPayload } from '@mieruka/protocol';
import type { Logger } from 'pino';
import { createClutterScorer, type ClutterScorer } from '../clutter/clutter-scorer.js';
import type { GpioInput, GpioOutput } from '../patlite/gpio-port.js';
import { fitImage } from './fit-image.js';
import { CronSlotScheduler, type SlotScheduler } from './slot-scheduler.js';
import type { ClutterStationOptions, ClutterStationStats, ShotResult } from './station-options.js';
import { ShotNamer } from '../clutter/shot-namer.js';
import { MotionVoice, type MotionVoiceOutcome, type MotionVoiceSkip } from './voice/motion-voice.js';

export type { ClutterStationOptions, ClutterStationStats, ShotResult, StationLink } from './station-options.js';

export class ClutterStation {
  private readonly opts: ClutterStationOptions;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly timeZone: string;
  private readonly scheduler: SlotScheduler;
  private readonly names: ShotNamer;
  private endOfDaySlot: string | null;
  private slots: string[];
  private slotCancels: Array<() => void> = [];
  private scorer: ClutterScorer | null;
  private running = false;
  private cancels: Array<() => void> = [];
  private queue: Promise<unknown> = Promise.resolve();
  private lightOut: GpioOutput | null = null;
  private pir: GpioInput | null = null;
  private lightState = false;
  private shooting = false;
  private motionActive = false;
  private motionHoldTimer: NodeJS.Timeout | null = null;
  private motionHold = false;
  private lightWrites: Promise<void> = Promise.resolve();
  private readonly details = new Map<string, string>();
  private readonly sleepTimers = new Set<NodeJS.Timeout>();
  private readonly counters = {
    shots: 0,
    published: 0,
    cameraFailures: 0,
    failures: 0,
    motionEvents: 0,
    voiceMessages: 0,
    voiceFailures: 0,
    commands: 0,
    commandsRefused: 0,
    lastScore: null as number | null,
    lastImageId: null as string | null,
    lastError: null as string | null,
  };
  private readonly motionVoice: MotionVoice | null;
  private lightMode: ClutterStationStats['light'];
  private motionMode: ClutterStationStats['motion'];

  constructor(opts: ClutterStationOptions) {
    this.opts = opts;
    this.log = opts.logger.child({ component: 'clutter-station', node: opts.link.node });
    this.clock = opts.clock ?? Date.now;
    this.timeZone = opts.timeZone ?? 'Asia/Tokyo';
    this.scheduler = opts.scheduler ?? new CronSlotScheduler();
    this.scorer = opts.scorer ?? null;
    this.names = new ShotNamer(this.timeZone);
    this.slots = [...new Set(opts.station.slots)].sort();
    this.endOfDaySlot = this.slots.at(-1) ?? null;
    this.lightMode = opts.station.light.gpio === undefined ? 'off-by-config' : 'disabled';
    this.motionMode = opts.station.motion.gpio === undefined ? 'off-by-config' : 'disabled';
    const onMotion = opts.station.voice.onMotion;
    this.motionVoice =
      opts.voice && onMotion.enabled
        ? new MotionVoice({ config: onMotion, voice: opts.voice, shifts: opts.shifts ?? [], timeZone: this.timeZone, clock: this.clock, lastScore: () => this.counters.lastScore })
        : null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const st = this.opts.station;
    try {
      this.scorer ??= (
        await createClutterScorer({
          hsvLower: st.hsvLower,
          hsvUpper: st.hsvUpper,
          roi: st.roi ?? null,
          denoise: st.denoise,
          backend: this.opts.backend ?? st.backend,
          logger: this.log,
        })
      ).scorer;
    } catch (err) {
      this.running = false;
      throw err;
    }
    await this.loadLastScore();
    await this.openGpio();
    this.cancels.push(this.opts.link.onCommand((action, payload) => this.onCommand(action, payload)));
    this.schedule(this.slots);
    this.publishDetails();
    this.log.info({ slots: this.slots, timeZone: this.timeZone, camera: this.opts.camera.description, light: this.lightMode, motion: this.motionMode }, 'clutter station started');
    if (this.motionVoice && (this.opts.shifts ?? []).length === 0) this.log.warn('voice.onMotion is on but no work shifts are configured: arrival lines are never spoken');
  }

  /** Cancels the schedule, commands and timers, waits for a shot in progress, switches the light off and releases GPIO. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const c of [...this.cancels, ...this.slotCancels]) c();
    this.cancels = [];
    this.slotCancels = [];
    if (this.motionHoldTimer) clearTimeout(this.motionHoldTimer);
    this.motionHoldTimer = null;
    this.motionHold = false;
    this.motionActive = false;
    this.opts.camera.close();
    this.opts.voice?.close();
    await this.queue.catch(() => undefined);
    for (const t of this.sleepTimers) clearTimeout(t);
    this.sleepTimers.clear();
    this.shooting = false;
    await this.updateLight();
    await this.lightWrites;
    await this.pir?.release().catch((err: unknown) => this.log.warn({ err }, 'PIR release failed'));
    await this.lightOut?.release().catch((err: unknown) => this.log.warn({ err }, 'light release failed'));
    this.pir = null;
    this.lightOut = null;
    this.log.info('clutter station stopped');
  }

  /** One shot now (after any shot in progress). `slot` is "HH:MM" or "manual". */
  capture(slot = 'manual'): Promise<ShotResult> {
    if (!this.running) return Promise.resolve({ ok: false, error: 'station is not running' });
    const shot = this.queue.then(() => this.shoot(slot));
    this.queue = shot.catch(() => undefined);
    return shot;
  }

  /** Speaks a text, or (without one) the band message of the last score. */
  say(text?: string, language?: 'ja' | 'en'): Promise<boolean> {
    const voice = this.opts.voice;
    if (!voice) return Promise.resolve(false);
    const job = this.queue.then(async () => {
      try {
        if (text) await voice.say(text, language);
        else if (this.counters.lastScore !== null) await voice.announce(this.counters.lastScore);
        else return false;
        this.counters.voiceMessages++;
        return true;
      } catch (err) {
        this.voiceFailed(err);
        return false;
      }
    });
    this.queue = job;
    return job;
  }

  stats(): ClutterStationStats {
    return {
      running: this.running,
      ...this.counters,
      slots: [...this.slots],
      lightOn: this.lightState,
      light: this.lightMode,
      motion: this.motionMode,
      backend: this.scorer?.backend.name ?? null,
      motionVoice: this.motionVoice?.stats() ?? null,
    };
  }

  /** (Re)plans the daily shots; the last slot of the day is the one that speaks. */
  private schedule(slots: readonly string[]): void {
    for (const c of this.slotCancels) c();
    this.slots = [...new Set(slots)].sort();
    this.endOfDaySlot = this.slots.at(-1) ?? null;
    this.slotCancels = this.slots.map((slot) => this.scheduler.daily(slot, this.timeZone, () => void this.capture(slot)));
  }

  private onCommand(action: string, payload: CommandPayload): void {
    if (action === 'schedule') {
      const parsed = ScheduleCommand.safeParse(payload);
      if (!parsed.success) {
        this.counters.commandsRefused++;
        this.log.warn({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'schedule command refused: not a valid cmd/schedule payload');
        return;
      }
      this.counters.commands++;
      this.schedule(parsed.data.slots);
      this.log.info({ slots: this.slots }, 'photo times from the hub applied');
    } else if (action === 'capture') {
      this.counters.commands++;
      void this.capture('manual');
    } else if (action === 'say') {
      this.counters.commands++;
      const text = typeof payload.text === 'string' && payload.text.trim() !== '' ? payload.text.slice(0, 500) : undefined;
      const language = payload.language === 'ja' || payload.language === 'en' ? payload.language : undefined;
      void this.say(text, language);
    }
  }

  private async openGpio(): Promise<void> {
    const { light, motion } = this.opts.station;
    if (light.gpio === undefined && motion.gpio === undefined) return;
    const gpio = this.opts.gpio;
    const avail = gpio ? await gpio.availability() : { ok: false as const, reason: 'no GPIO port given' };
    if (light.gpio !== undefined) {
      if (!gpio || !avail.ok) {
        this.setDetail('light', `light disabled: ${avail.ok ? 'no GPIO' : avail.reason}`);
      } else {
        try {
          this.lightOut = await gpio.openOutput(light.gpio, { activeLow: light.activeLow });
          this.lightMode = 'enabled';
        } catch (err) {
          this.setDetail('light', `light disabled: GPIO ${light.gpio} cannot be opened (${errorText(err)})`);
        }
      }
    }
    if (motion.gpio !== undefined) {
      if (!gpio || !avail.ok || !gpio.openInput) {
        this.setDetail('motion', `motion disabled: ${avail.ok ? 'GPIO port has no inputs' : avail.reason}`);
      } else {
        try {
          this.pir = await gpio.openInput(motion.gpio, { debounceMs: motion.debounceMs });
          this.pir.watch((active) => this.onMotion(active));
          this.motionMode = 'enabled';
        } catch (err) {
          this.setDetail('motion', `motion disabled: GPIO ${motion.gpio} cannot be opened (${errorText(err)})`);
        }
      }
    }
    if (this.lightMode !== 'enabled' || this.motionMode !== 'enabled') this.log.warn({ light: this.lightMode, motion: this.motionMode }, 'station runs without some GPIO parts');
  }

  private onMotion(active: boolean): void {
    if (!this.running || active === this.motionActive) return;
    this.motionActive = active;
    this.counters.motionEvents++;
    this.opts.link.publish('motion', { ts: this.clock(), active }).catch((err: unknown) => this.log.warn({ err }, 'motion publish failed'));
    if (this.motionHoldTimer) clearTimeout(this.motionHoldTimer);
    this.motionHoldTimer = null;
    if (active) {
      this.motionHold = true;
    } else {
      // The light stays on a while after the last movement: people pause, PIRs drop out.
      this.motionHoldTimer = setTimeout(() => {
        this.motionHoldTimer = null;
        this.motionHold = false;
        void this.updateLight();
      }, this.opts.station.motion.lightOffDelayS * 1000);
    }
    void this.updateLight();
    void this.motionVoice?.motion(active).then((outcome) => this.motionVoiceDone(outcome));
  }

  private motionVoiceDone(outcome: MotionVoiceOutcome | null): void {
    if (!outcome) return;
    if ('spoken' in outcome) {
      this.counters.voiceMessages++;
      this.setDetail('voice', undefined);
      this.log.info({ line: outcome.spoken }, 'arrival line spoken');
    } else if (outcome.skipped === 'failed') {
      this.voiceFailed(outcome.error);
    }
    const s = this.motionVoice!.stats();
    const skipped = (Object.entries(s.skipped) as Array<[MotionVoiceSkip, number]>).filter(([, n]) => n > 0).map(([why, n]) => `${n} ${SKIP_TEXT[why]}`);
    this.setDetail('motion-voice', `arrival lines: ${s.spoken} spoken${skipped.length > 0 ? `, skipped ${skipped.join(', ')}` : ''}`);
  }

  /** Writes the light's wanted level; writes are serialised so the last one wins. */
  private updateLight(): Promise<void> {
    const out = this.lightOut;
    if (!out) return Promise.resolve();
    const job = this.lightWrites.then(async () => {
      const want = this.running && (this.shooting || this.motionHold);
      if (want === this.lightState) return;
      try {
        await out.write(want);
        this.lightState = want;
        this.setDetail('light', undefined);
      } catch (err) {
        this.setDetail('light', `light GPIO ${out.line} write failed: ${errorText(err)}`);
        this.log.warn({ err }, 'light write failed');
      }
    });
    this.lightWrites = job;
    return job;
  }

  private async shoot(slot: string): Promise<ShotResult> {
    if (!this.running) return { ok: false, error: 'station is not running' };
    this.counters.shots++;
    let jpeg: Buffer;
    try {
      this.shooting = true;
      await this.updateLight();
      if (this.lightState) await this.sleep(this.opts.station.light.settleMs);
      if (!this.running) throw new Error('station stopping');
      jpeg = await this.opts.camera.capture();
    } catch (err) {
      this.counters.cameraFailures++;
      this.counters.lastError = errorText(err);
      this.setDetail('camera', `camera ${this.opts.camera.description}: ${errorText(err)} (slot ${slot}; the next slot tries again)`);
      this.log.warn({ err, slot }, 'camera failed; the next slot tries again');
      return { ok: false, error: errorText(err) };
    } finally {
      // Always off again, also when the camera failed.
      this.shooting = false;
      await this.updateLight();
    }
    this.setDetail('camera', undefined);
    let payload: ClutterPayload;
    try {
      const { link } = this.opts;
      const ts = this.clock();
      const { result, images } = await this.scorer!.scoreAndAnnotate(jpeg, { caption: `${link.node} | ${slot} | ${this.names.human(ts)}` });
      const image = await fitImage(images.jpeg);
      const imageId = this.names.imageId(ts, link.node);
      payload = { ts, seq: link.nextSeq(), score: result.score, coveredRatio: result.coveredRatio, slot, imageId };
      // Clutter first: the hub files the image that follows under this shot.
      await link.publish('clutter', payload);
      await link.publishImage(image);
      this.counters.published++;
      this.counters.lastScore = result.score;
      this.counters.lastImageId = imageId;
      await this.saveLastScore(payload);
      this.log.info({ score: result.score, slot, imageId, seq: payload.seq }, 'clutter shot published');
    } catch (err) {
      this.counters.failures++;
      this.counters.lastError = errorText(err);
      this.log.warn({ err, slot }, 'clutter shot failed; the next slot tries again');
      return { ok: false, error: errorText(err) };
    }
    if (slot === this.endOfDaySlot && this.opts.voice && this.opts.station.voice.enabled) {
      try {
        const said = await this.opts.voice.announce(payload.score);
        if (said !== null) this.counters.voiceMessages++;
        this.setDetail('voice', undefined);
      } catch (err) {
        this.voiceFailed(err);
      }
    }
    return { ok: true, payload };
  }

  /** The latest score from before a restart, so the first arrival line still fits the bench. */
  private async loadLastScore(): Promise<void> {
    const file = this.opts.lastScoreFile;
    if (!file || this.counters.lastScore !== null) return;
    try {
      const saved: unknown = JSON.parse(await readFile(file, 'utf8'));
      const score = (saved as { score?: unknown } | null)?.score;
      if (typeof score === 'number' && score >= 0 && score <= 100) this.counters.lastScore = score;
      else this.log.warn({ file }, 'saved last score is not valid; starting without one');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err, file }, 'saved last score cannot be read; starting without one');
    }
  }

  private async saveLastScore(payload: ClutterPayload): Promise<void> {
    const file = this.opts.lastScoreFile;
    if (!file) return;
    try {
      // Write then rename: a power cut leaves the old file or the new one, never half of one.
      await writeFile(`${file}.tmp`, JSON.stringify({ score: payload.score, ts: payload.ts, imageId: payload.imageId }));
      await rename(`${file}.tmp`, file);
    } catch (err) {
      this.log.warn({ err, file }, 'last score cannot be saved');
    }
  }

  private voiceFailed(err: unknown): void {
    this.counters.voiceFailures++;
    this.setDetail('voice', `voice: ${errorText(err)}`);
    this.log.warn({ err }, 'voice message failed');
  }

  private sleep(ms: number): Promise<void> {
    if (this.opts.sleep) return this.opts.sleep(ms);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sleepTimers.delete(t);
        resolve();
      }, ms);
      this.sleepTimers.add(t);
    });
  }

  private setDetail(part: string, text: string | undefined): void {
    const before = this.details.get(part);
    if (text === before) return;
    if (text === undefined) this.details.delete(part);
    else this.details.set(part, text);
    this.publishDetails();
  }

  private publishDetails(): void {
    if (!this.running) return;
    const text = [...this.details.values()].join('; ');
    this.opts.link.setStatusDetail?.(text === '' ? undefined : text.slice(0, 500));
  }

}

const SKIP_TEXT: Record<MotionVoiceSkip, string> = {
  recentMotion: 'recent motion',
  cooldown: 'cooldown',
  outsideShifts: 'outside shifts',
  busy: 'voice busy',
  noLine: 'no line',
  failed: 'failed',
};

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
