/**
 * Runs a helper program (ffmpeg, rpicam-still, espeak-ng, aplay…) with a timeout and an
 * output cap, and always reaps it: a hung camera or sound card never leaves a child behind.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  timeoutMs: number;
  /** stdout beyond this is an error (a runaway stream); default 32 MiB. */
  maxStdoutBytes?: number;
  /** Written to stdin, then stdin is closed. */
  stdin?: Buffer | string;
  /** Aborting kills the child (the owner is stopping). */
  signal?: AbortSignal;
}

export type RunResult =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }
  | { kind: 'timeout'; stderr: string }
  | { kind: 'aborted' }
  | { kind: 'spawn-error'; error: NodeJS.ErrnoException }
  | { kind: 'too-large'; stderr: string };

const STDERR_KEEP = 8 * 1024;

export function runProcess(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) return resolve({ kind: 'aborted' });
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let settled: RunResult | null = null;
    const max = opts.maxStdoutBytes ?? 32 * 1024 * 1024;
    const finish = (r: RunResult) => {
      if (settled) return;
      settled = r;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (r.kind !== 'exit' && r.kind !== 'spawn-error' && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve(r);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'timeout', stderr }), opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'spawn-error', error }));
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) finish({ kind: 'too-large', stderr });
      else chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('close', (code, signal) => finish({ kind: 'exit', code, signal, stdout: Buffer.concat(chunks), stderr }));
    // EPIPE when the program does not read stdin: not our failure, the exit code tells.
    child.stdin.on('error', () => undefined);
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

/** The last non-empty stderr line, shortened: what the program said when it failed. */
export function lastLine(stderr: string, max = 200): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.at(-1) ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
