/**
 * Issue 18: "kill -9 during heavy writes, repeatedly; the store passes PRAGMA integrity_check
 * and nothing acknowledged is missing." A real hub in a child process takes QoS 1 readings and
 * images as fast as a client sends them; it acknowledges a message only after storing it
 * (ack-after-store.test.ts), so the PUBACKs the client got are the oracle. The child is
 * SIGKILLed at a different point in each round and restarted on the same data directory.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { bundleChild, type BundledChild } from '../../../test/helpers/bundle-child.js';
import { closeClient, connectClient, fakeJpeg, makeTempDir, waitFor } from '../test-support/helpers.js';

const ROUNDS = 5;

type Child = { proc: ChildProcessWithoutNullStreams; port: number; exited: Promise<unknown> };

async function startHub(script: string, dataDir: string): Promise<Child> {
  const proc = spawn(process.execPath, [script, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const port = await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`the hub exited: ${out}`);
    return Number(/READY (\d+)/.exec(out)?.[1] ?? 0);
  }, 'the hub to start', 30_000);
  return { proc, port, exited };
}

describe('SIGKILL during heavy writes', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it(`leaves a sound database holding every acknowledged reading and image score, ${ROUNDS} times over`, async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const bundle: BundledChild = await bundleChild(fileURLToPath(new URL('../test-support/kill-target-child.ts', import.meta.url)), 'mieruka-kill-');
    cleanups.push(() => bundle.remove());
    const dataDir = join(dir.path, 'hub');
    const acked = new Set<number>();
    const ackedClutter = new Set<number>();
    let seq = 0;
    let clutterSeq = 0;
    const ts = 1_764_000_000_000;

    for (let round = 0; round < ROUNDS; round += 1) {
      const hub = await startHub(bundle.script, dataDir);
      cleanups.push(() => hub.proc.kill('SIGKILL'));
      const client: MqttClient = await connectClient(`mqtt://127.0.0.1:${hub.port}`, { clientId: `writer-${round}` });
      client.on('error', () => undefined);
      // Up to 200 messages in flight, as a bridge replaying its backlog would send them.
      let stop = false;
      const writers = Array.from({ length: 200 }, async () => {
        while (!stop) {
          const s = (seq += 1);
          try {
            await client.publishAsync(topicFor('factory', 'mill-1', 'current'), encodePayload('current', { ts: ts + s, seq: s, irms: [s % 50] }), { qos: 1 });
            acked.add(s);
          } catch {
            return;
          }
        }
      });
      // Clutter scores with their images (20 kB each) at the same time: files and rows.
      const images = (async () => {
        while (!stop) {
          const s = (clutterSeq += 1);
          try {
            await client.publishAsync(topicFor('factory', 'bench-1', 'clutter'), encodePayload('clutter', { ts: ts + s, seq: s, score: s % 100, coveredRatio: (s % 100) / 100, slot: '09:00', imageId: `img-${s}` }), { qos: 1 });
            ackedClutter.add(s);
            await client.publishAsync(topicFor('factory', 'bench-1', 'image'), fakeJpeg(s % 256, 20_000), { qos: 1 });
          } catch {
            return;
          }
        }
      })();
      // A different moment each round: after 150 … 950 acknowledged readings of this round.
      const target = acked.size + 150 + round * 200;
      await waitFor(() => acked.size >= target, `${target} acknowledged readings`, 30_000);
      hub.proc.kill('SIGKILL');
      await hub.exited;
      stop = true;
      await closeClient(client);
      await Promise.all([...writers, images]);
    }

    // A last clean start and stop: the hub opens (and migrates) what the kills left.
    const last = await startHub(bundle.script, dataDir);
    last.proc.kill('SIGTERM');
    await last.exited;

    const db = new Database(join(dataDir, 'mieruka.db'), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Set((db.prepare("SELECT seq FROM readings WHERE site = 'factory' AND node = 'mill-1'").pluck().all() as number[]));
      const missing = [...acked].filter((s) => !stored.has(s));
      expect(acked.size).toBeGreaterThan(ROUNDS * 150);
      expect(missing).toEqual([]);
      const scores = new Set((db.prepare("SELECT seq FROM clutter WHERE site = 'factory' AND node = 'bench-1'").pluck().all() as number[]));
      expect(ackedClutter.size).toBeGreaterThan(0);
      expect([...ackedClutter].filter((s) => !scores.has(s))).toEqual([]);
    } finally {
      db.close();
    }
  });
});
