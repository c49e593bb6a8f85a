/**
 * A real sd_notify receiver for tests: a unix datagram socket bound by a small python3 process
 * (Node has no AF_UNIX datagram sockets), printing each message on one line. It reads without
 * an ancillary buffer, so the kernel closes the fd `systemd-notify` passes with BARRIER=1 and
 * that tool returns at once, as it does with the real manager. (socat keeps such fds open.)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(65536).decode().replace("\\n", " "), flush=True)
`;

export type NotifySocket = { path: string; messages(): string[]; close(): Promise<void> };

export async function startNotifySocket(dir: string): Promise<NotifySocket> {
  const path = join(dir, 'notify.sock');
  const child = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(() => existsSync(path) || child.exitCode !== null, 'the notify socket to be bound');
  if (!existsSync(path)) throw new Error(`notify receiver failed: ${err}`);
  return {
    path,
    messages: () => out.split('\n').filter((l) => l !== ''),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
