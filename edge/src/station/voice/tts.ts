/**
 * Text to speech, WAV out: espeak-ng (default, in Debian), Open JTalk (natural Japanese), or a
 * VOICEVOX engine (HTTP on loopback: /audio_query then /synthesis).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MierukaError } from '@mieruka/protocol';
import { lastLine, runProcess } from '../run-process.js';

export type VoiceLanguage = 'ja' | 'en';

export interface Tts {
  readonly name: string;
  /** A WAV file's bytes. */
  synthesize(text: string, language: VoiceLanguage): Promise<Buffer>;
}

const isWav = (b: Buffer) => b.length > 44 && b.toString('ascii', 0, 4) === 'RIFF' && b.toString('ascii', 8, 12) === 'WAVE';

export class EspeakTts implements Tts {
  readonly name = 'espeak';
  constructor(private readonly opts: { espeakPath?: string; timeoutMs?: number } = {}) {}

  async synthesize(text: string, language: VoiceLanguage): Promise<Buffer> {
    const bin = this.opts.espeakPath ?? 'espeak-ng';
    // Text on stdin, never as an argument: it cannot be taken for an option.
    const r = await runProcess(bin, ['-v', language, '--stdin', '--stdout'], { timeoutMs: this.opts.timeoutMs ?? 30_000, stdin: text });
    if (r.kind === 'exit' && r.code === 0 && isWav(r.stdout)) return r.stdout;
    if (r.kind === 'spawn-error' && r.error.code === 'ENOENT') throw new MierukaError('DEPENDENCY_MISSING', `${bin} is not installed (apt install espeak-ng)`);
    throw new MierukaError('DEPENDENCY_MISSING', `espeak-ng failed (${r.kind === 'exit' ? lastLine(r.stderr) || `exit ${r.code}` : r.kind})`);
  }
}

export class OpenJTalkTts implements Tts {
  readonly name = 'openjtalk';
  constructor(private readonly opts: { voice: string; dict: string; openJtalkPath?: string; timeoutMs?: number }) {}

  async synthesize(text: string): Promise<Buffer> {
    const bin = this.opts.openJtalkPath ?? 'open_jtalk';
    const dir = await mkdtemp(join(tmpdir(), 'mieruka-ojt-'));
    try {
      const out = join(dir, 'voice.wav');
      const r = await runProcess(bin, ['-x', this.opts.dict, '-m', this.opts.voice, '-ow', out], { timeoutMs: this.opts.timeoutMs ?? 30_000, stdin: text });
      if (r.kind === 'spawn-error' && r.error.code === 'ENOENT') throw new MierukaError('DEPENDENCY_MISSING', `${bin} is not installed (apt install open-jtalk open-jtalk-mecab-naist-jdic hts-voice-nitech-jp-atr503-m001)`);
      if (r.kind !== 'exit' || r.code !== 0) throw new MierukaError('DEPENDENCY_MISSING', `open_jtalk failed (${r.kind === 'exit' ? lastLine(r.stderr) : r.kind})`);
      return await readFile(out);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

export class VoicevoxTts implements Tts {
  readonly name = 'voicevox';
  constructor(private readonly opts: { url: string; speaker: number; timeoutMs?: number }) {}

  async synthesize(text: string): Promise<Buffer> {
    const base = this.opts.url.replace(/\/+$/, '');
    const speaker = String(this.opts.speaker);
    const signal = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    try {
      const q = await fetch(`${base}/audio_query?${new URLSearchParams({ text, speaker })}`, { method: 'POST', signal });
      if (!q.ok) throw new MierukaError('DEPENDENCY_MISSING', `VOICEVOX /audio_query answered ${q.status}`);
      const query = await q.text();
      const s = await fetch(`${base}/synthesis?${new URLSearchParams({ speaker })}`, { method: 'POST', body: query, headers: { 'content-type': 'application/json', accept: 'audio/wav' }, signal });
      if (!s.ok) throw new MierukaError('DEPENDENCY_MISSING', `VOICEVOX /synthesis answered ${s.status}`);
      const wav = Buffer.from(await s.arrayBuffer());
      if (!isWav(wav)) throw new MierukaError('DEPENDENCY_MISSING', 'VOICEVOX /synthesis did not return a WAV');
      return wav;
    } catch (err) {
      if (err instanceof MierukaError) throw err;
      throw new MierukaError('DEPENDENCY_MISSING', `VOICEVOX engine at ${base} cannot be reached (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  }
}
