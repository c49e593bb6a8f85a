/**
 * The only place that touches `process`: arguments, environment, signals and exit codes.
 */
import { CommanderError } from 'commander';
import { isMierukaError, redactText } from '@mieruka/protocol';
import type { CliContext, Runnable } from './context.js';
import { buildProgram } from './program.js';
import { createSystemdNotifier } from './systemd-notify.js';

const STOP_TIMEOUT_MS = 15_000;

function describeStartError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE') return `port ${e.port ?? ''} is already in use (another hub, Mosquitto or a previous demo?). Choose another with --mqtt-port / --http-port.`;
  if (e?.code === 'EACCES' && e.port !== undefined) return `no permission to listen on port ${e.port}; use a port above 1023.`;
  // Errors may quote a URL or a value given on the command line: credentials in them are masked.
  if (isMierukaError(err)) return redactText(`${err.code}: ${err.message}`);
  return redactText(err instanceof Error ? err.message : String(err));
}

export async function main(argv: string[] = process.argv): Promise<void> {
  let running: { service: Runnable; name: string } | undefined;
  const ctx: CliContext = {
    env: process.env,
    cwd: process.cwd(),
    print: (line) => process.stdout.write(`${line}\n`),
    stdin: process.stdin,
    stderr: process.stderr,
    keepRunning: (service, name) => {
      running = { service, name };
    },
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
  try {
    await buildProgram(ctx).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`mieruka: ${describeStartError(err)}\n`);
    if (running) await running.service.stop().catch(() => undefined);
    process.exit(isMierukaError(err, 'CONFIG_INVALID') ? 2 : 1);
  }
  if (!running) return;
  const { service, name } = running;
  // Under systemd (Type=notify units in deploy/systemd/): ready now, watchdog pings while the loop turns.
  const notifier = createSystemdNotifier({ env: process.env, pid: process.pid, onError: (m) => process.stderr.write(`mieruka: ${m}\n`) });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write(`mieruka: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`mieruka: ${signal}, stopping ${name}…\n`);
    const timer = setTimeout(() => {
      process.stderr.write(`mieruka: ${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s, exiting\n`);
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timer.unref();
    Promise.all([notifier?.stopping(), service.stop()]).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`mieruka: error while stopping: ${describeStartError(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  await notifier?.ready(`${name} running`);
}
