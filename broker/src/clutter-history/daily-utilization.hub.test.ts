/**
 * hub.clutterWebhook.dailyUtilization through the whole hub: states published over real MQTT
 * during one day, the hub stopped, started again after midnight (its clock is the test's), and
 * the day's row arrives at the Apps Script receiver behind a loopback peer, once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, LocalTime, topicFor, type MachineState } from '@mieruka/protocol';
import { appsScriptPeer, dataRows, loadReceiver } from '../../../test/helpers/apps-script-receiver.js';
import { Hub } from '../hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';

const H = 3_600_000;
const TOKEN = 'hub-day-token';

describe('daily utilization from the hub', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('posts the day that ended when the hub starts after midnight; a second start adds no row', async () => {
    const tz = new LocalTime('Asia/Tokyo');
    const day = tz.startOfDay('2025-12-31'); // the last day of a year
    const clock = { now: day + 8 * H };
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const receiver = loadReceiver({ TOKEN });
    const peer = await appsScriptPeer(receiver);
    cleanups.push(() => peer.close());
    const config = hubConfig(dir.path, {
      timezone: 'Asia/Tokyo',
      machines: { 'mill-1': { name: 'ProtoMat S63' } },
      hub: { clutterWebhook: { url: peer.url(TOKEN), dailyUtilization: true } },
    });
    const startHub = async () => {
      const hub = new Hub({ config, logger: silentLogger, now: () => clock.now });
      cleanups.push(() => hub.stop());
      await hub.start();
      return hub;
    };

    const first = await startHub();
    const edge = await connectClient(first.mqttUrl);
    const publish = async (at: number, state: MachineState) => {
      clock.now = at;
      await edge.publishAsync(topicFor('factory', 'mill-1', 'state'), encodePayload('state', { ts: at, state, since: at, irms: [1] }), { qos: 1 });
    };
    await publish(day + 8 * H, 'idle'); // 08:00–10:00 idle
    await publish(day + 10 * H, 'running'); // 10:00–11:00 running
    await publish(day + 11 * H, 'off'); // 11:00–12:00 off, then the hub is down: unknown
    clock.now = day + 12 * H;
    await closeClient(edge);
    await first.stop();
    expect(peer.requests).toHaveLength(0); // Dec 30 had no data

    clock.now = day + 24 * H + 5 * 60_000; // 2026-01-01 00:05
    const second = await startHub();
    await waitFor(() => second.clutterWebhook?.stats().sent === 1, 'the day posted');
    const [row] = dataRows(receiver, 'Utilization');
    const expected = (await second.reports.usage('factory', 'mill-1', { from: day, to: day + 24 * H }, 'day'))?.rows[0];
    expect(expected?.seconds).toMatchObject({ idle: 2 * 3600, running: 3600, off: 3600 });
    expect(row).toEqual(['2025-12-31', 'ProtoMat S63', 25, 1, 2, 1, expect.any(Number), 'factory', 'mill-1', '2025-12-31/factory/mill-1']);
    expect(row?.[6]).toBeCloseTo(expected!.seconds.unknown / 3600, 2);
    await second.stop();

    const third = await startHub(); // same night, restarted: posted again, answered duplicate
    await waitFor(() => third.clutterWebhook?.stats().sent === 1, 'the repeat answered');
    expect(third.clutterWebhook?.stats().duplicates).toBe(1);
    expect(dataRows(receiver, 'Utilization')).toHaveLength(1);
  });
});
