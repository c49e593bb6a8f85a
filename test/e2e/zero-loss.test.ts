/**
 * Issue 15, "done when": killing the bridge and the hub during a reading stream, restarting
 * them in any order, loses nothing the bridge had read; every reading arrives once, in order.
 * Built CLI, real processes killed with SIGKILL: a simulated ESP32 on a socat pty (it keeps
 * streaming throughout, as a real one would), `mieruka bridge`, `mieruka hub` on a fixed
 * loopback port; the oracle is what the device wrote and what the hub's database holds.
 *
 * Readings the device sends while no bridge has the port open are gone at the serial line (an
 * ESP32 keeps nothing), so after a bridge restart the first readings may be missing; nothing
 * else may be: not while the hub is down, not across a hub restart, not in a backlog replay.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Esp32Simulator, PtyPair } from '@mieruka/firmware-bridge';
import { parseSerialLine } from '@mieruka/protocol';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));
/** Loopback only, and the hub's own default limits. */
const ENV = { ...process.env, MIERUKA_HUB__MQTT__HOST: '127.0.0.1', MIERUKA_HUB__HTTP__HOST: '127.0.0.1' };

type Proc = { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<unknown> };

function run(args: string[]): Proc {
  const child = spawn('node', [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: ENV });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function kill(p: Proc | null): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

describe('zero loss across SIGKILLs of the bridge and the hub', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('every reading the bridge read reaches the hub once, in order, whatever is killed and restarted in whatever order', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const hubDir = join(dir.path, 'hub');
    const edgeDir = join(dir.path, 'edge');
    const mqttPort = await freePort();
    const pty = await PtyPair.open({ dir: dir.path });
    cleanups.push(() => pty.close());

    let hub: Proc | null = null;
    let bridge: Proc | null = null;
    cleanups.push(() => kill(bridge));
    cleanups.push(() => kill(hub));
    const startHub = async () => {
      const p = run(['hub', '--data-dir', hubDir, '--mqtt-port', String(mqttPort), '--http-port', '0', '--log-level', 'warn']);
      await waitFor(() => p.output().includes('Mieruka hub:') || p.child.exitCode !== null, 'the hub to start', 30_000);
      expect(p.child.exitCode, p.output()).toBeNull();
      hub = p;
    };
    const startBridge = async () => {
      const p = run(['bridge', '--port', pty.hostPath, '--node', 'mill-1', '--mqtt', `mqtt://127.0.0.1:${mqttPort}`, '--data-dir', edgeDir, '--log-level', 'warn']);
      await waitFor(() => p.output().includes('Mieruka bridge:') || p.child.exitCode !== null, 'the bridge to start', 30_000);
      expect(p.child.exitCode, p.output()).toBeNull();
      bridge = p;
    };

    // What the device wrote, each reading tagged with the phase it was written in.
    // Four machines, mostly cutting: every reading is distinct, so each stored one names the written one.
    const busy = { offS: [1, 2] as [number, number], warmupS: [1, 2] as [number, number], gapS: [1, 2] as [number, number], cooldownS: [1, 2] as [number, number], jobS: [600, 1200] as [number, number] };
    const simulator = new Esp32Simulator({ seed: 23, intervalMs: 40, timeScale: 25, channels: 4, profile: busy });
    cleanups.push(() => simulator.stop());
    let phase = 'start';
    const sent: Array<{ irms: string; phase: string }> = [];
    simulator.on('data', (bytes: Buffer) => {
      const m = parseSerialLine(bytes.toString('latin1').replace(/\n$/, ''));
      if (m.ok && m.message.type === 'rms') sent.push({ irms: JSON.stringify(m.message.irms), phase });
    });
    // Readings written while a process is being killed or started belong to no phase.
    const act = async (what: () => Promise<void>) => {
      phase = 'changing';
      await what();
    };
    // The reading the device wrote just before the bridge is killed may still be on the serial
    // line, never read (a real ESP32 keeps nothing either): it belongs to no phase. Under load
    // this happened with the hub down, so nothing but the bridge could have lost it.
    const killBridge = async () => {
      const last = sent.at(-1);
      if (last) last.phase = 'changing';
      await kill(bridge);
    };
    const stream = async (name: string, readings: number) => {
      phase = name;
      const until = sent.length + readings;
      await waitFor(() => sent.length >= until, `${readings} readings in phase ${name}`, 60_000);
    };

    await act(() => startHub());
    await act(() => startBridge());
    await act(() => simulator.connectToPath(pty.devicePath));
    await stream('both up', 40);
    await act(() => kill(hub));
    await stream('hub down', 40);
    await act(killBridge);
    await stream('both down', 15);
    await act(() => startBridge());
    await stream('bridge restarted, hub down', 40);
    await act(() => startHub());
    await stream('hub back', 40);
    await act(killBridge);
    await act(() => kill(hub));
    await stream('both down again', 15);
    await act(() => startHub());
    await act(() => startBridge());
    await stream('both restarted, hub first', 40);
    await act(() => kill(hub));
    await stream('hub down again', 40);
    await act(killBridge);
    await act(() => startBridge());
    await stream('bridge restarted again, hub down', 40);
    await act(() => startHub());
    await stream('end', 40);
    simulator.stop();
    const last = sent.at(-1)?.irms;

    // Everything the bridge queued reaches the hub: the last reading written lands last.
    const db = () => new Database(join(hubDir, 'mieruka.db'), { readonly: true, fileMustExist: true });
    const stored = (): Array<{ seq: number; irms: string }> => {
      const d = db();
      try {
        return d.prepare("SELECT seq, irms FROM readings WHERE site = 'factory' AND node = 'mill-1' ORDER BY id").all() as Array<{ seq: number; irms: string }>;
      } finally {
        d.close();
      }
    };
    await waitFor(() => stored().at(-1)?.irms === last, 'the last reading at the hub', 60_000);
    (bridge as Proc | null)?.child.kill('SIGINT');
    (hub as Proc | null)?.child.kill('SIGINT');
    await Promise.all([(bridge as Proc | null)?.exited, (hub as Proc | null)?.exited]);

    const rows = stored();
    // Once each and in order: seq strictly increases in arrival order.
    expect(rows.every((r, i) => i === 0 || r.seq > (rows[i - 1] as { seq: number }).seq)).toBe(true);
    // Each stored reading is a written one, in the order written (a subsequence of `sent`).
    const indexOf: number[] = [];
    let at = 0;
    for (const row of rows) {
      while (at < sent.length && sent[at]?.irms !== JSON.parse(JSON.stringify(row.irms))) at++;
      expect(at, `stored reading ${row.irms} (seq ${row.seq}) was written by the device, after the previous one`).toBeLessThan(sent.length);
      indexOf.push(at++);
    }
    const present = new Set(indexOf);
    const missing = (name: string) => sent.map((s, i) => ({ ...s, i })).filter((s) => s.phase === name && !present.has(s.i)).length;
    if (process.env.ZERO_LOSS_DEBUG) {
      process.stderr.write(`sent ${sent.length} stored ${rows.length}\n`);
      sent.forEach((s, i) => { if (!present.has(i)) process.stderr.write(`missing ${i} ${s.phase} ${s.irms}\n`); });
      process.stderr.write(rows.slice(0, 5).map((r) => `${r.seq} ${r.irms}`).join('\n') + '\n');
    }
    // While the bridge kept running, nothing is missing, hub up or down.
    for (const name of ['both up', 'hub down', 'hub back', 'hub down again', 'end']) expect({ phase: name, missing: missing(name) }).toEqual({ phase: name, missing: 0 });
    // After a bridge restart only the readings before it had the port open may be missing:
    // the phase's present readings form one unbroken run to its end.
    for (const name of ['bridge restarted, hub down', 'both restarted, hub first', 'bridge restarted again, hub down']) {
      const idx = sent.map((s, i) => ({ ...s, i })).filter((s) => s.phase === name);
      const firstPresent = idx.findIndex((s) => present.has(s.i));
      expect(firstPresent, `some readings of phase ${name}`).toBeGreaterThanOrEqual(0);
      expect({ phase: name, gapsAfterReopen: idx.slice(firstPresent).filter((s) => !present.has(s.i)).length }).toEqual({ phase: name, gapsAfterReopen: 0 });
    }

    // Both stores open cleanly after all those SIGKILLs.
    const hubDb = db();
    expect(hubDb.pragma('integrity_check', { simple: true })).toBe('ok');
    hubDb.close();
    const outbox = new Database(join(edgeDir, 'outbox-factory-mill-1.db'), { readonly: true, fileMustExist: true });
    expect(outbox.pragma('integrity_check', { simple: true })).toBe('ok');
    outbox.close();
  }, 180_000); // ~40 s alone; many process starts and kills, so a loaded CI machine needs room
});
