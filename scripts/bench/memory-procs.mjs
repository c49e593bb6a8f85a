// Processes the memory benchmark measures: the real `mieruka hub` / `bridge` / `station`
// (bin/mieruka.js, temp dirs, loopback) and Debian's Mosquitto, each its own process, with
// their resident memory read from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHILD_ENV, freePort } from './lib.mjs';

export const BIN = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));
export const MOSQUITTO = '/usr/sbin/mosquitto';

/** Resident set of a process in MB: total, anonymous (heaps) and file-backed (code, libraries). */
export function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, anonMB: kb('RssAnon') / 1024, fileMB: kb('RssFile') / 1024 };
}

/** Spawns a child; resolves once `ready` matches its output (returns the match). */
function start(cmd, args, { cwd, ready, env, what, timeoutMs = 30_000 }) {
  const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const match = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench: ${what} did not start: ${output.slice(-2000)}`)), timeoutMs);
    const onData = (d) => {
      output += d.toString();
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${what} exited (${code}): ${output.slice(-2000)}`));
    });
  });
  return {
    child,
    match,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Env without the caller's MIERUKA_* settings (the bench decides the config). */
function cleanEnv(extra = {}) {
  const env = CHILD_ENV;
  return { ...env, ...extra };
}

/** `mieruka hub` on loopback, defaults otherwise (anonymous MQTT from loopback, as docs/security.md). */
export async function startHub(dir, nodeArgs = []) {
  const p = start(process.execPath, [...nodeArgs, BIN, 'hub', '--mqtt-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--data-dir', join(dir, 'data'), '--log-level', 'warn'], {
    cwd: dir,
    env: cleanEnv(),
    ready: /MQTT (mqtt:\/\/127\.0\.0\.1:\d+)/,
    what: 'mieruka hub',
  });
  const m = await p.match;
  return { ...p, pid: p.child.pid, url: m[1], db: join(dir, 'data', 'mieruka.db') };
}

export async function startMosquitto(dir) {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // Started as root Mosquitto drops to its own user; it writes nothing here (no persistence).
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type information\nmax_queued_messages 100000\n`);
  const p = start(MOSQUITTO, ['-c', conf], { cwd: dir, ready: /running|Opening ipv4 listen socket/, what: 'mosquitto' });
  await p.match;
  return { ...p, pid: p.child.pid, url: `mqtt://127.0.0.1:${port}` };
}

/** `mieruka bridge` reading a pty (socat), publishing to `url`. */
export async function startBridge(dir, url, ttyPath) {
  const p = start(process.execPath, [BIN, 'bridge', '--port', ttyPath, '--mqtt', url, '--site', 'bench', '--node', 'mill-1', '--data-dir', join(dir, 'bridge'), '--log-level', 'info'], {
    cwd: dir,
    env: cleanEnv(),
    ready: /bridge|serial|connected/i,
    what: 'mieruka bridge',
  });
  await p.match;
  return { ...p, pid: p.child.pid };
}

/** `mieruka station` with the file camera (ffmpeg reading a generated photo of the mat). */
export async function startStation(dir, url, photo) {
  await writeFile(join(dir, 'mieruka.yaml'), `log: { level: warn }\nsite: bench\nstations:\n  bench-1:\n    light: { gpio: 17, settleMs: 0 }\n    camera:\n      type: file\n      path: ${photo}\n`);
  const p = start(process.execPath, [BIN, 'station', '--station', 'bench-1', '--mqtt', url, '--data-dir', join(dir, 'station')], {
    cwd: dir,
    env: cleanEnv(),
    ready: /station bench-1:/,
    what: 'mieruka station',
  });
  await p.match;
  return { ...p, pid: p.child.pid };
}
