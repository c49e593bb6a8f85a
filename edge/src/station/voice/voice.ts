/** The end-of-day message: the band the score falls in, spoken (TTS) or played (file). */
import type { StationConfig } from '@mieruka/protocol';
import type { AudioSink, Sound } from './audio-sink.js';
import { EspeakTts, OpenJTalkTts, VoicevoxTts, type Tts, type VoiceLanguage } from './tts.js';

export type VoiceConfig = StationConfig['voice'];
export type VoiceBand = VoiceConfig['bands'][number];

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
  constructor(
    private readonly cfg: VoiceConfig,
    private readonly tts: Tts,
    private readonly sink: AudioSink,
  ) {}

  /** What would be said for a score: a file, or text in the configured language (else the other one). */
  messageFor(score: number): { file: string } | { text: string; language: VoiceLanguage } | null {
    const band = chooseBand(this.cfg.bands, score);
    if (!band) return null;
    if (band.file) return { file: band.file };
    const lang = this.cfg.language;
    const other: VoiceLanguage = lang === 'ja' ? 'en' : 'ja';
    const text = band.text?.[lang] ?? band.text?.[other];
    if (!text) return null;
    return { text, language: band.text?.[lang] ? lang : other };
  }

  /** Speaks the band's message; resolves to what was said (null when there is nothing to say). */
  async announce(score: number): Promise<string | null> {
    const m = this.messageFor(score);
    if (!m) return null;
    if ('file' in m) {
      await this.sink.play({ kind: 'file', path: m.file });
      return m.file;
    }
    await this.say(m.text, m.language);
    return m.text;
  }

  async say(text: string, language: VoiceLanguage = this.cfg.language): Promise<void> {
    const sound: Sound = { kind: 'wav', data: await this.tts.synthesize(text, language) };
    await this.sink.play(sound);
  }

  close(): void {
    this.sink.close();
  }
}
