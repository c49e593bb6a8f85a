/** `mieruka station` in-process: --once through the real ffmpeg file camera, and the MQTT agent against aedes. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { commandTopic, decodeMessage, isMierukaError, type ClutterPayload } from '@mieruka/protocol';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import type { Runnable } from './context.js';
import { buildProgram } from './program.js';
import { startTestBroker } from '../../test/helpers/aedes-broker.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups.length = 0;
});

async function workDir(cameraLines: string): Promise<string> {
  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  // Half green mat, half red: score 50.
  await sharp({ create: { width: 200, height: 100, channels: 3, background: { r: 0, g: 200, b: 0 } } })
    .composite([{ input: await sharp({ create: { width: 100, height: 100, channels: 3, background: { r: 220, g: 30, b: 30 } } }).png().toBuffer(), left: 100, top: 0 }])
    .png()
    .toFile(join(dir.path, 'bench.png'));
  await writeFile(join(dir.path, 'mieruka.yaml'), `log: { level: silent }\nstations:\n  bench-1:\n    light: { gpio: 17, settleMs: 0 }\n    camera:\n${cameraLines}\n`);
  return dir.path;
}

async function mieruka(args: string[], cwd: string, services: Runnable[] = []): Promise<string[]> {
  const lines: string[] = [];
  await buildProgram({ env: {}, cwd, print: (l) => lines.push(l), keepRunning: (s) => services.push(s) }).parseAsync(['node', 'mieruka', ...args]);
  return lines;
}

describe('mieruka station', () => {
  it('--once shoots through ffmpeg, prints the score, writes the annotated image and notes the missing GPIO', async () => {
    const cwd = await workDir('      type: file\n      path: bench.png');
    const lines = await mieruka(['station', '--station', 'bench-1', '--once', '--out', 'shot.jpg'], cwd);
    expect(lines.join('\n')).toMatch(/bench-1: score 50\.0 \(covered 50\.0 %\)/);
    expect(lines.join('\n')).toMatch(/light disabled/);
    expect((await sharp(join(cwd, 'shot.jpg')).metadata()).format).toBe('jpeg');
  });

  it('--once with a missing camera fails with CAMERA_UNAVAILABLE', async () => {
    const cwd = await workDir('      type: v4l2\n      device: /dev/video-missing\n      warmupFrames: 0');
    const err = await mieruka(['station', '--station', 'bench-1', '--once'], cwd).then(() => null, (e: unknown) => e);
    expect(isMierukaError(err, 'CAMERA_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain('/dev/video-missing');
  });

  it('runs as an edge agent: answers cmd/capture from the hub over MQTT', async () => {
    const { aedes, url, close: closeBroker } = await startTestBroker();
    cleanups.push(closeBroker);
    let subscribed = false;
    aedes.on('subscribe', (subs) => {
      if (subs.some((s) => s.topic.endsWith('/bench-1/cmd/+'))) subscribed = true;
    });
    const hub = await connectAsync(url, { clientId: 'hub', reconnectPeriod: 0 });
    cleanups.push(() => hub.endAsync());
    const clutter: ClutterPayload[] = [];
    hub.on('message', (topic, payload) => {
      const d = decodeMessage(topic, payload);
      if (d.ok && d.message.kind === 'clutter') clutter.push(d.message.payload);
    });
    await hub.subscribeAsync('mieruka/v1/+/bench-1/+', { qos: 1 });

    const cwd = await workDir('      type: file\n      path: bench.png');
    const services: Runnable[] = [];
    cleanups.push(async () => {
      for (const s of services) await s.stop();
    });
    const lines = await mieruka(['station', '--station', 'bench-1', '--mqtt', url], cwd, services);
    expect(lines.join('\n')).toMatch(/station bench-1: file .*bench\.png/);
    expect(services).toHaveLength(1);
    await waitFor(() => subscribed, 'the station to subscribe to commands');
    await hub.publishAsync(commandTopic('factory', 'bench-1', 'capture'), JSON.stringify({ ts: Date.now() }), { qos: 1 });
    await waitFor(() => clutter.length === 1, 'a clutter message');
    expect(clutter[0]).toMatchObject({ slot: 'manual', score: 50 });
    // The latest score is kept in the data dir, for arrival lines after a restart.
    const saved = join(cwd, 'data', 'station', 'last-score-factory-bench-1.json');
    const kept = await waitFor(() => readFile(saved, 'utf8').then((t) => JSON.parse(t) as unknown), 'the last score file');
    expect(kept).toMatchObject({ score: 50, ts: clutter[0]!.ts });
  });
});
