/**
 * A real Redis for the fleet tests: Debian's `redis-server`, bound to 127.0.0.1 on a free port
 * (never 6379, where the package's own system service may be running), its files in a temp
 * dir, no snapshots unless asked. Ready when it answers PING. Redis runs as root without
 * complaint (unlike PostgreSQL), so no user switch is needed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './mosquitto.js';
import { realClockEnv } from './real-clock-env.js';
import { makeTempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

const MISSING =
  'redis-server is not installed: run scripts/install-system-deps.sh (as root or with sudo) — the fleet tests need the real Redis server from Debian';

export function redisServerBinary(): string {
  for (const candidate of ['/usr/bin/redis-server', '/usr/sbin/redis-server', 'redis-server']) {
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8', env: realClockEnv(), timeout: 10_000 });
    if (r.status === 0) return candidate;
  }
  throw new Error(MISSING);
}

/** Sends `AUTH` (when a password is set) and `PING`; true once the reply ends in +PONG. */
function answersPing(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(`${password ? `AUTH ${password}\r\n` : ''}PING\r\n`));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('+PONG')) done(true);
      else if (reply.startsWith('-') || reply.includes('\r\n-')) done(false);
    });
  });
}

export type RunningRedis = {
  port: number;
  /** redis://127.0.0.1:<port> (with `:password@` when one is set). */
  url: string;
  output(): string;
  /** Ends the server (SIGTERM, or SIGKILL when `hard`) and keeps the data dir for a restart. */
  halt(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and dir (after `halt`). */
  restart(): Promise<void>;
  /** Ends the server and removes its temp dir. */
  stop(): Promise<void>;
};

export type RedisOptions = { password?: string; appendonly?: boolean };

export async function startRedis(options: RedisOptions = {}): Promise<RunningRedis> {
  const binary = redisServerBinary();
  const dir = await makeTempDir('mieruka-redis-');
  const port = await freePort();
  let output = '';
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir.path,
      '--save', '',
      '--appendonly', options.appendonly ? 'yes' : 'no',
      '--daemonize', 'no',
      '--logfile', '',
      ...(options.password ? ['--requirepass', options.password] : []),
    ];
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: realClockEnv() });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
      return answersPing(port, options.password);
    }, 'redis-server to answer PING');
  };

  const halt = async (hard = false) => {
    const proc = child;
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };

  try {
    await launch();
  } catch (err) {
    await halt(true);
    await dir.remove();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    output: () => output,
    halt,
    restart: launch,
    stop: async () => {
      await halt();
      await dir.remove();
    },
  };
}
