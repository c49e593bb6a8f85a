// A throw-away PostgreSQL for the benchmarks (the two-hub ingest row): Debian's server binaries
// (postgresql-15), a fresh cluster made by initdb in a temp dir, on 127.0.0.1 at a free port
// (never 5432, where the package's own cluster may run) and a Unix socket in that dir. Trust
// auth: loopback only, and the data dies with the run. Like test/helpers/postgres-server.ts:
// PostgreSQL refuses to run as root, so as root its programs run as the `postgres` user (spawn's
// uid/gid, so signals reach the server itself), in a dir that user owns.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from './lib.mjs';

const MISSING = 'PostgreSQL server binaries are not installed (run scripts/install-system-deps.sh)';

/** The newest /usr/lib/postgresql/<version>/bin with initdb and postgres. */
function binDir() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  throw new Error(MISSING);
}

function idsOf(user) {
  const u = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  return u.status === 0 && g.status === 0 ? { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) } : null;
}

/**
 * Starts PostgreSQL in a temp dir of its own (the `postgres` user must reach it, which the
 * bench's 0700 temp dir would not allow) with one database `database`; returns its URL (no
 * password: trust auth) and stop() (SIGINT: fast shutdown, waits for the exit, removes the dir).
 */
export async function startPostgres(database) {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`not a plain database name: ${database}`);
  const bin = binDir();
  const owner = process.getuid?.() === 0 ? idsOf('postgres') : null;
  if (process.getuid?.() === 0 && !owner) throw new Error(`running as root but there is no "postgres" user: ${MISSING}`);
  const home = await mkdtemp(join(tmpdir(), 'mieruka-bench-pg-'));
  if (owner) chownSync(home, owner.uid, owner.gid);
  const dataDir = join(home, 'data');
  const as = { ...(owner ? { uid: owner.uid, gid: owner.gid } : {}), cwd: home };

  const init = spawnSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions'], { ...as, encoding: 'utf8' });
  if (init.error || init.status !== 0) {
    await rm(home, { recursive: true, force: true });
    throw new Error(init.error ? `initdb did not run (${init.error.message}): ${MISSING}` : `initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }

  const port = await freePort();
  // Durability settings stay at their defaults: the hubs' store is measured as a site runs it.
  const args = ['-D', dataDir, '-p', String(port), '-k', home, '-c', 'listen_addresses=127.0.0.1'];
  const proc = spawn(join(bin, 'postgres'), args, { ...as, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  proc.once('error', (err) => (output += String(err)));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  // A bench that is aborted (run.mjs's time limit exits the process) must not leave the server
  // running under another user: it is told to stop as this process ends (its temp dir stays).
  const stopAtExit = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
  };
  process.once('exit', stopAtExit);
  const stop = async () => {
    process.off('exit', stopAtExit);
    stopAtExit();
    await exited;
    await rm(home, { recursive: true, force: true });
  };

  const psql = (sql) => spawnSync(join(bin, 'psql'), ['-h', home, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc', sql], { ...as, encoding: 'utf8' });
  try {
    await waitUntil(() => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`postgres exited: ${output}`);
      return psql('SELECT 1').stdout?.trim() === '1';
    }, 'PostgreSQL to accept connections');
    const created = psql(`CREATE DATABASE ${database}`);
    if (created.status !== 0) throw new Error(`CREATE DATABASE ${database} failed: ${created.stderr}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/${database}`, stop };
}
