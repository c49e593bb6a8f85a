/**
 * Power-cut safety of the agent's outbox: an agent process writing readings as fast as it can
 * (the real MqttNodeLink, outbox and MQTT.js, bundled with esbuild and run by plain node) is
 * killed with SIGKILL again and again while it writes and drains to a real aedes broker. After
 * each kill the SQLite file must pass `PRAGMA integrity_check`, and every reading the process
 * had been told was queued must be in the file or at the broker. A last process drains the
 * rest, stops, and must exit by itself (stop() leaves no handles).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleChild } from '../helpers/bundle-child.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { startTestBroker } from '../helpers/aedes-broker.js';

type Run = { child: ChildProcess; acked: number[]; stdout: () => string; stderr: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> };

function run(script: string, args: string[]): Run {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: number[] = [];
  let out = '';
  let partial = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('q ')) acked.push(Number(line.slice(2)));
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, acked, stdout: () => out, stderr: () => err, exit };
}

describe('outbox power-cut safety', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('survives SIGKILL during heavy writes: the file stays sound and nothing acknowledged is lost', async () => {
    const child = await bundleChild(fileURLToPath(new URL('./support/outbox-writer-child.ts', import.meta.url)), 'mieruka-outbox-child-');
    cleanups.push(() => child.remove());
    const script = child.script;
    const data = await makeTempDir();
    cleanups.push(() => data.remove());
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const received: number[] = [];
    broker.aedes.on('publish', (packet, client) => {
      if (client && packet.topic === 'mieruka/v1/factory/mill-1/current') received.push((JSON.parse(packet.payload.toString()) as { seq: number }).seq);
    });
    const dbFile = join(data.path, 'outbox-factory-mill-1.db');
    const acked: number[] = [];

    for (let round = 0; round < 6; round++) {
      const r = run(script, [data.path, broker.url, 'flood']);
      cleanups.push(async () => void (r.child.exitCode === null && r.child.signalCode === null && r.child.kill('SIGKILL')));
      // Kill at a different depth each round, in the middle of writing.
      const target = 300 + round * 250;
      await waitFor(() => r.acked.length >= target, `round ${round}: ${target} readings queued (stderr: ${r.stderr()})`, 30_000);
      r.child.kill('SIGKILL');
      expect(await r.exit).toMatchObject({ signal: 'SIGKILL' });
      acked.push(...r.acked);

      // The file opens cleanly and holds whatever the broker did not acknowledge.
      const db = new Database(dbFile);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const queued = new Set((db.prepare('SELECT payload FROM outbox').all() as Array<{ payload: Buffer }>).map((row) => (JSON.parse(row.payload.toString()) as { seq: number }).seq));
        await waitFor(() => {
          const delivered = new Set(received);
          return acked.every((seq) => queued.has(seq) || delivered.has(seq));
        }, `round ${round}: every acknowledged reading queued or delivered`);
      } finally {
        db.close();
      }
    }

    const last = run(script, [data.path, broker.url, 'drain']);
    const exited = await Promise.race([last.exit, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    expect(exited, `stdout: ${last.stdout().slice(-500)} stderr: ${last.stderr()}`).toEqual({ code: 0, signal: null });
    expect(last.stderr()).toBe('');
    acked.push(...last.acked);
    const delivered = new Set(received);
    expect(acked.filter((seq) => !delivered.has(seq))).toEqual([]);
    // In order: each reading first reached the broker after every earlier one.
    const firstSeen = received.filter((seq, i) => received.indexOf(seq) === i);
    expect(firstSeen.every((seq, i) => i === 0 || seq > firstSeen[i - 1]!)).toBe(true);
    expect(acked.length).toBeGreaterThan(3000);
    const db = new Database(dbFile);
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    db.close();
    // How many duplicates the kills caused (the hub drops them by seq): a window's worth per kill at most.
    console.log(`power-cut test: ${acked.length} readings acknowledged, ${received.length - delivered.size} duplicates after 6 kills`);
    expect(received.length - delivered.size).toBeLessThanOrEqual(6 * 200);
  });
});
