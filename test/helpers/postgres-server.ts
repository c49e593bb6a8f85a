/**
 * A real PostgreSQL for the fleet tests: Debian's server binaries (postgresql-15), a fresh
 * cluster made by initdb in a temp dir, listening on 127.0.0.1 at a free port (never 5432,
 * where the package's own cluster may run) and on a Unix socket in that dir. Local
 * connections are trusted; TCP ones need the password (scram-sha-256), as on a real site.
 * PostgreSQL refuses to run as root, so as root its programs run as the `postgres` user the
 * package created (spawn's uid/gid, so signals reach the server itself), in a dir that user owns.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './mosquitto.js';
import { realClockEnv } from './real-clock-env.js';
import { makeTempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

const MISSING = 'PostgreSQL server binaries are not installed: run scripts/install-system-deps.sh (as root or with sudo) — the fleet tests need the real PostgreSQL 15 from Debian';

/** The newest /usr/lib/postgresql/<version>/bin with initdb and postgres. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  throw new Error(MISSING);
}

export type RunningPostgres = {
  port: number;
  /** postgres://postgres:<password>@127.0.0.1:<port>/<database> (a test secret, never a real one). */
  url(database?: string): string;
  password: string;
  output(): string;
  /** Creates a database owned by postgres. */
  createDatabase(name: string): Promise<void>;
  /** Ends the server (SIGINT: fast shutdown, every session closed) and keeps its data. */
  halt(): Promise<void>;
  /** Starts the server again (after halt(), or halts it first) on the same port and data. */
  restart(): Promise<void>;
  /** Ends the server (SIGINT: fast shutdown) and removes its temp dir. */
  stop(): Promise<void>;
};

function uidOf(user: string): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? uidOf('postgres') : null;
  if (asRoot && !owner) throw new Error(`running as root but there is no "postgres" user: ${MISSING}`);
  const dir = await makeTempDir('mieruka-pg-');
  const dataDir = join(dir.path, 'data');
  const password = randomBytes(12).toString('hex');
  const pwFile = join(dir.path, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dir.path, owner.uid, owner.gid);
    chownSync(pwFile, owner.uid, owner.gid);
  }
  // As root every server program runs as `postgres`; otherwise as whoever runs the tests.
  const as = { ...(owner ? { uid: owner.uid, gid: owner.gid } : {}), cwd: dir.path, env: realClockEnv() };

  const init = spawnSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions'], { ...as, encoding: 'utf8' });
  if (init.status !== 0) {
    await dir.remove();
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }

  const port = await freePort();
  let output = '';
  const serverArgs = [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${dir.path}`,
    '-c', 'max_connections=50',
    // A test cluster: its data dies with the test, so no sync to disk is waited for.
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
  ];
  let child!: ChildProcess;
  let exited!: Promise<void>;
  const launch = () => {
    child = spawn(join(bin, 'postgres'), serverArgs, { ...as, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const running = child;
    exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
  };
  launch();
  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await exited;
  };

  const psql = (args: string[]) => spawnSync(join(bin, 'psql'), args, { ...as, encoding: 'utf8' });
  const ready = () =>
    waitFor(() => {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${output}`);
      return psql(['-h', dir.path, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc', 'SELECT 1']).stdout.trim() === '1';
    }, 'PostgreSQL to accept connections', 30_000);
  try {
    await ready();
  } catch (err) {
    await halt();
    await dir.remove();
    throw err;
  }

  return {
    port,
    password,
    url: (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    output: () => output,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      const r = psql(['-h', dir.path, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc', `CREATE DATABASE ${name}`]);
      if (r.status !== 0) throw new Error(`CREATE DATABASE ${name} failed: ${r.stderr}`);
    },
    async halt() {
      await halt();
    },
    async restart() {
      await halt();
      launch();
      await ready();
    },
    async stop() {
      await halt();
      await dir.remove();
    },
  };
}
