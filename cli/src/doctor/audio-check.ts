/**
 * Check 5b, audio: for stations that speak, the text-to-speech program and the player are
 * installed, and a short phrase renders to a WAV that is not silent (through the station's own
 * TTS code). Playing it is left out: the doctor must not talk at people.
 */
import { combine, fail, ok, reason, skip, text, type Check, type CheckOutcome, type ConfiguredContext } from './check.js';
import { findExecutable } from './find-executable.js';
import { wavPeak } from './wav-level.js';

type VoiceCfg = ConfiguredContext['config']['stations'][string]['voice'];

const TTS_PROGRAM: Record<VoiceCfg['tts'], { bin: string; apt: string } | null> = {
  espeak: { bin: 'espeak-ng', apt: 'espeak-ng' },
  openjtalk: { bin: 'open_jtalk', apt: 'open-jtalk open-jtalk-mecab-naist-jdic hts-voice-nitech-jp-atr503-m001' },
  voicevox: null,
};
const PLAYER_APT: Record<VoiceCfg['player'], string> = { aplay: 'alsa-utils', ffmpeg: 'ffmpeg' };
const PHRASE = { ja: 'テストです', en: 'This is a test' };
/** Below this the rendered phrase counts as silent (≈ −50 dBFS). */
const SILENCE_PEAK = 0.003;

async function probeVoice(ctx: ConfiguredContext, voice: VoiceCfg, who: string): Promise<CheckOutcome> {
  const missing: string[] = [];
  const tts = TTS_PROGRAM[voice.tts];
  if (tts && !(await findExecutable(tts.bin, ctx.env.PATH))) missing.push(tts.bin);
  if (!(await findExecutable(voice.player, ctx.env.PATH))) missing.push(voice.player);
  if (missing.length > 0) {
    const apt = [...(tts && missing.includes(tts.bin) ? [tts.apt] : []), ...(missing.includes(voice.player) ? [PLAYER_APT[voice.player]] : [])].join(' ');
    return fail(text(`${who}: ${missing.join(', ')} not installed`, `${who}: ${missing.join(', ')} がインストールされていません`), text(`sudo apt install ${apt}`, `sudo apt install ${apt} を実行してください`));
  }
  const { createTts } = await import('@mieruka/edge');
  const fixTts = text(`check stations.<id>.voice (tts ${voice.tts}${voice.tts === 'voicevox' ? `, engine ${voice.voicevoxUrl}` : ''}), then mieruka station --station <id> --once`, `stations.<id>.voice（tts ${voice.tts}${voice.tts === 'voicevox' ? `、エンジン ${voice.voicevoxUrl}` : ''}）を確認してください`);
  let wav: Buffer;
  try {
    wav = await createTts(voice).synthesize(PHRASE[voice.language], voice.language);
  } catch (err) {
    return fail(text(`${who}: ${voice.tts} cannot render speech: ${reason(err)}`, `${who}: ${voice.tts} で音声を作れません: ${reason(err)}`), fixTts);
  }
  const peak = wavPeak(wav);
  if (peak === null || peak < SILENCE_PEAK) return fail(text(`${who}: ${voice.tts} rendered ${peak === null ? 'no readable WAV' : 'silence'}`, `${who}: ${voice.tts} の出力が${peak === null ? '読めない WAV' : '無音'}です`), fixTts);
  return ok(text(`${who}: ${voice.tts} renders speech (${voice.language}), player ${voice.player} installed`, `${who}: ${voice.tts} で音声を生成（${voice.language}）、再生に ${voice.player} を使用可能`));
}

export const audioCheck: Check = {
  id: 'audio',
  title: text('audio (voice)', '音声'),
  timeoutMs: () => 40_000,
  async run(ctx) {
    const speaking = Object.entries(ctx.config.stations).filter(([, s]) => s.voice.enabled);
    if (speaking.length === 0) return skip(text('no station with voice enabled', '音声が有効なステーションはありません'));
    // Stations with the same voice settings are checked once.
    const seen = new Map<string, string[]>();
    for (const [id, s] of speaking) {
      const key = JSON.stringify([s.voice.tts, s.voice.player, s.voice.language, s.voice.voicevoxUrl, s.voice.openjtalkVoice, s.voice.openjtalkDict]);
      seen.set(key, [...(seen.get(key) ?? []), id]);
    }
    const parts: CheckOutcome[] = [];
    for (const ids of seen.values()) {
      const station = ctx.config.stations[ids[0] as string];
      if (station) parts.push(await probeVoice(ctx, station.voice, ids.join(', ')));
    }
    return combine(parts);
  },
};
