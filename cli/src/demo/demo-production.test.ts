/**
 * The demo's simulated machines work in cycles (demo-machines.ts): a live demo (real hub,
 * in-process serial, no history) publishes `cycle` events that fit the contract. Jobs and
 * pauses run 20× faster, cycles at a real machine's pace (demoMachineProfile), so the first
 * cycle ends about a minute after the start (the simulator's seed fixes when).
 */
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { CycleEvent, decodeMessage } from '@mieruka/protocol';
import { hubConfig, makeTempDir, silentLogger, waitFor } from '../../../broker/src/test-support/helpers.js';
import { Demo } from './demo.js';

describe('demo machines with cycles', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('publishes cycle events from the simulated load peaks', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const demo = new Demo({ config: hubConfig(join(dir.path, 'data')), logger: silentLogger, serial: 'in-process', machines: 1, historyDays: 0, clutterIntervalS: 3600 });
    cleanups.push(() => demo.stop());
    await demo.start();
    const node = demo.machineIds[0] as string;
    expect(() => demo.setClampUnplugged('no-such-machine', true)).toThrow(/no simulated machine/);

    const client = await connectAsync(demo.hub.mqttUrl, { clientId: `sub-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync());
    const cycles: unknown[] = [];
    client.on('message', (topic, payload) => {
      const d = decodeMessage(topic, payload);
      if (d.ok && d.message.kind === 'event' && (d.message.payload as { type?: string }).type === 'cycle') cycles.push(d.message.payload);
    });
    await client.subscribeAsync(`mieruka/v1/+/${node}/event`, { qos: 1 });
    await waitFor(() => cycles.length >= 1, 'the first cycle', 170_000);
    const cycle = CycleEvent.parse(cycles[0]);
    // 40–56 s at the peak (a job's end may cut one short); readings once a second.
    expect(cycle.durationS).toBeGreaterThanOrEqual(2);
    expect(cycle.durationS).toBeLessThanOrEqual(58);
    expect(cycle.peakA).toBeGreaterThan(4.6);
  }, 200_000);
});
