/** What commands get from main.ts instead of touching `process` themselves. */
import type { Now } from '@mieruka/protocol';

export type Runnable = { stop(): Promise<void> };

export type CliContext = {
  env: Record<string, string | undefined>;
  cwd: string;
  /** User-facing output (not logs). */
  print(line: string): void;
  /** Standard input and error, for commands that read passwords (`mieruka user`); tests pass streams. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  stderr?: NodeJS.WritableStream;
  /** Long-running commands hand over their started service; main stops it on SIGINT/SIGTERM. */
  keepRunning(service: Runnable, name: string): void;
  /** The exit status when the command ends without an error (`mieruka doctor`: 1 = a check failed). */
  setExitCode?(code: number): void;
  /** The clock (backups stamp their time with it); default the system clock. */
  now?: Now;
};
