/**
 * A real Mosquitto broker for interop tests, on 127.0.0.1 at a free port, from a config the
 * test writes (listeners, TLS, password_file). Mosquitto cannot bind port 0 and tell us, so a
 * free port is picked first (listen on 0, close); the broker is ready when the port accepts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command.js';
import { waitFor } from './wait-for.js';

/** Debian installs the broker in /usr/sbin, often not on a normal user's PATH. */
export function mosquittoBinary(): string {
  return existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A password_file with these accounts, made by mosquitto_passwd -b as an installer would. */
export async function mosquittoPasswordFile(path: string, accounts: Record<string, string>): Promise<void> {
  let first = true;
  for (const [user, password] of Object.entries(accounts)) {
    const r = await runCommand('mosquitto_passwd', [...(first ? ['-c'] : []), '-b', path, user, password]);
    if (r.code !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
    first = false;
  }
}

export type RunningMosquitto = { port: number; output(): string; stop(): Promise<void> };

/** Starts mosquitto with `listenerLines` (after `listener <port> 127.0.0.1`) and `globalLines`. */
export async function startMosquitto(dir: string, options: { global?: string[]; listener?: string[] }): Promise<RunningMosquitto> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      `user ${userInfo().username}`, // as root it would otherwise switch to "mosquitto", who cannot read the temp dir
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      ...(options.global ?? []),
      `listener ${port} 127.0.0.1`,
      ...(options.listener ?? []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(mosquittoBinary(), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${output}`);
      return new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    }, 'mosquitto to listen');
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return { port, output: () => output, stop };
}
