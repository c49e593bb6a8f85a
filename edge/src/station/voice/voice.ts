/**
 * The station's voice: a message by score band (end of day, arrivals), spoken (TTS) or played
 * (file). One speaker, one message at a time: everything spoken goes through one lock.
 */
import type { StationConfig } from '@mieruka/protocol';
import type { AudioSink, Sound } from './audio-sink.js';
import { EspeakTts, OpenJTalkTts, VoicevoxTts, type Tts, type VoiceLanguage } from './tts.js';

export type VoiceConfig = StationConfig['voice'];
export type VoiceBand = VoiceConfig['bands'][number];
/** A configured line: text per language, or a file. */
export type VoiceLine = Pick<VoiceBand, 'text' | 'file'>;
export type VoiceMessage = { file: string } | { text: string; language: VoiceLanguage };

/** The first band (lowest maxScore first) whose maxScore is ≥ the score; above every band: the highest. */
export function chooseBand(bands: readonly VoiceBand[], score: number): VoiceBand | null {
  const sorted = [...bands].sort((a, b) => a.maxScore - b.maxScore);
  return sorted.find((b) => score <= b.maxScore) ?? sorted.at(-1) ?? null;
}

export function createTts(cfg: VoiceConfig): Tts {
  switch (cfg.tts) {
    case 'voicevox':
      return new VoicevoxTts({ url: cfg.voicevoxUrl, speaker: cfg.voicevoxSpeaker });
    case 'openjtalk':
      return new OpenJTalkTts({ voice: cfg.openjtalkVoice ?? '/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice', dict: cfg.openjtalkDict ?? '/var/lib/mecab/dic/open-jtalk/naist-jdic' });
    case 'espeak':
      return new EspeakTts();
  }
}

export class Voice {
  /** Messages speaking or waiting for the lock. */
  private pending = 0;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cfg: VoiceConfig,
    private readonly tts: Tts,
    private readonly sink: AudioSink,
  ) {}

  /** Something is being spoken (or waits to be). */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** What would be said for a score: a file, or text in the configured language (else the other one). */
  messageFor(score: number): VoiceMessage | null {
    const band = chooseBand(this.cfg.bands, score);
    return band ? this.messageOf(band) : null;
  }

  /** A line as a message: its file, or its text in the configured language (else the other one). */
  messageOf(line: VoiceLine): VoiceMessage | null {
    if (line.file) return { file: line.file };
    const lang = this.cfg.language;
    const other: VoiceLanguage = lang === 'ja' ? 'en' : 'ja';
    const text = line.text?.[lang] ?? line.text?.[other];
    if (!text) return null;
    return { text, language: line.text?.[lang] ? lang : other };
  }

  /** Speaks the band's message; resolves to what was said (null when there is nothing to say). */
  async announce(score: number): Promise<string | null> {
    const m = this.messageFor(score);
    if (!m) return null;
    await this.exclusive(() => this.play(m));
    return 'file' in m ? m.file : m.text;
  }

  /** Speaks after whatever is being spoken now. */
  say(text: string, language: VoiceLanguage = this.cfg.language): Promise<void> {
    return this.exclusive(() => this.play({ text, language }));
  }

  /** Speaks only when nothing else is: false (and nothing queued) while busy. */
  async speakIfIdle(m: VoiceMessage): Promise<boolean> {
    if (this.busy) return false;
    await this.exclusive(() => this.play(m));
    return true;
  }

  close(): void {
    this.sink.close();
  }

  private async play(m: VoiceMessage): Promise<void> {
    const sound: Sound = 'file' in m ? { kind: 'file', path: m.file } : { kind: 'wav', data: await this.tts.synthesize(m.text, m.language) };
    await this.sink.play(sound);
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    // Counted before the lock is taken, so `busy` holds from the moment a message is asked for.
    this.pending++;
    const run = this.lock.then(fn).finally(() => this.pending--);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
