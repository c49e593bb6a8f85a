/**
 * Where the station's voice goes. Real: CommandAudioSink (aplay for WAV, or ffmpeg to ALSA,
 * which also plays MP3); tests: FakeAudioSink.
 */
import { extname } from 'node:path';
import { MierukaError } from '@mieruka/protocol';
import { lastLine, runProcess } from '../run-process.js';

/** A sound: a WAV in memory (from TTS) or an audio file (WAV/MP3). */
export type Sound = { kind: 'wav'; data: Buffer } | { kind: 'file'; path: string };

export interface AudioSink {
  /** Resolves when played. Rejects with DEPENDENCY_MISSING or BAD_REQUEST (player failed). */
  play(sound: Sound): Promise<void>;
  /** Stops what is playing. */
  close(): void;
}

export interface CommandAudioSinkOptions {
  player: 'aplay' | 'ffmpeg';
  /** ALSA device; default "default". */
  device?: string;
  timeoutMs?: number;
  aplayPath?: string;
  ffmpegPath?: string;
}

export class CommandAudioSink implements AudioSink {
  private readonly opts: CommandAudioSinkOptions;
  private readonly aborts = new Set<AbortController>();

  constructor(opts: CommandAudioSinkOptions) {
    this.opts = opts;
  }

  /** Program and arguments for a sound (exported for tests). aplay cannot decode MP3, so MP3 always goes through ffmpeg. */
  commandFor(sound: Sound): { command: string; args: string[]; stdin?: Buffer } {
    const device = this.opts.device ?? 'default';
    const input = sound.kind === 'file' ? sound.path : 'pipe:0';
    const useAplay = this.opts.player === 'aplay' && (sound.kind === 'wav' || extname(sound.path).toLowerCase() === '.wav');
    const base = useAplay
      ? { command: this.opts.aplayPath ?? 'aplay', args: ['-q', '-D', device, sound.kind === 'file' ? sound.path : '-'] }
      : { command: this.opts.ffmpegPath ?? 'ffmpeg', args: ['-hide_banner', '-loglevel', 'error', '-i', input, '-f', 'alsa', device] };
    return sound.kind === 'wav' ? { ...base, stdin: sound.data } : base;
  }

  async play(sound: Sound): Promise<void> {
    const { command, args, stdin } = this.commandFor(sound);
    const abort = new AbortController();
    this.aborts.add(abort);
    try {
      const r = await runProcess(command, args, { timeoutMs: this.opts.timeoutMs ?? 60_000, signal: abort.signal, ...(stdin ? { stdin } : {}) });
      if (r.kind === 'exit' && r.code === 0) return;
      if (r.kind === 'spawn-error' && r.error.code === 'ENOENT') throw new MierukaError('DEPENDENCY_MISSING', `${command} is not installed (apt install ${command === 'aplay' ? 'alsa-utils' : 'ffmpeg'})`);
      const said = r.kind === 'exit' || r.kind === 'timeout' ? lastLine(r.stderr) : '';
      throw new MierukaError('BAD_REQUEST', `${command} could not play the sound (${r.kind}${said ? `: ${said}` : ''})`);
    } finally {
      this.aborts.delete(abort);
    }
  }

  close(): void {
    for (const a of this.aborts) a.abort();
  }
}

/** Records what would have been played. */
export class FakeAudioSink implements AudioSink {
  readonly played: Sound[] = [];
  failWith: Error | null = null;

  async play(sound: Sound): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.played.push(sound);
  }

  close(): void {}
}
