/**
 * Runs a host program (timedatectl…) for a check: the host-OS edge, injectable like a hardware
 * port so tests can feed the outputs a real system gives. The parsing of them stays real.
 */
import { execFile } from 'node:child_process';

export type CommandResult = { kind: 'exit'; code: number; stdout: string; stderr: string } | { kind: 'missing' } | { kind: 'error'; message: string };

export type RunCommand = (command: string, args: readonly string[], options: { timeoutMs: number }) => Promise<CommandResult>;

export const runHostCommand: RunCommand = (command, args, options) =>
  new Promise((resolve) => {
    execFile(command, [...args], { timeout: options.timeoutMs, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ kind: 'exit', code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      if (e.code === 'ENOENT') return resolve({ kind: 'missing' });
      if (typeof e.code === 'number') return resolve({ kind: 'exit', code: e.code, stdout, stderr });
      resolve({ kind: 'error', message: e.killed ? `timed out after ${options.timeoutMs} ms` : e.message });
    });
  });
