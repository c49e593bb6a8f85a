/**
 * Daily utilization to the sheet: real SQLite store and reports, the real webhook client, and the
 * Apps Script receiver behind a loopback HTTP peer. The clock is the test's: the day that ends
 * is the last of a month.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalTime, type MachineState } from '@mieruka/protocol';
import { appsScriptPeer, dataRows, loadReceiver } from '../../../test/helpers/apps-script-receiver.js';
import { ReportsService } from '../reports/reports-service.js';
import { Store } from '../store/store.js';
import { makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';
import { ClutterWebhook } from './clutter-webhook.js';
import { DailyUtilizationPost } from './daily-utilization-post.js';

const H = 3_600_000;
const TOKEN = 'util-token-91';

describe('daily utilization post', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('posts each machine once after its day ends; a restart adds no row', async () => {
    const tz = new LocalTime('Asia/Tokyo');
    const day = tz.startOfDay('2025-11-30');
    const clock = { now: day + 24 * H + 5 * 60_000 }; // 2025-12-01 00:05

    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const store = new Store({ dataDir: dir.path, batchSize: 1000, flushIntervalMs: 60_000, logger: silentLogger });
    await store.start();
    const reports = new ReportsService({
      sql: () => store.sql,
      timeZone: 'Asia/Tokyo',
      shifts: [],
      site: 'factory',
      machines: { 'mill-1': { name: 'ProtoMat S63' }, 'lathe-2': {} },
      logger: silentLogger,
      now: () => clock.now,
      rollupIntervalMs: 0,
      aliveIntervalMs: 0,
    });
    await reports.start();
    cleanups.push(async () => {
      await reports.stop();
      await store.stop();
    });
    const state = (node: string, ts: number, s: MachineState) => store.enqueue({ kind: 'state', site: 'factory', node, receivedAt: ts, ts, state: s, since: ts, irms: [1] });
    state('mill-1', day, 'off');
    state('mill-1', day + 9 * H, 'running'); // 09:00–15:00 running
    state('mill-1', day + 15 * H, 'idle'); // 15:00–18:00 idle
    state('mill-1', day + 18 * H, 'off');
    await store.flush(); // lathe-2 never reported: no row for it

    const receiver = loadReceiver({ TOKEN });
    const peer = await appsScriptPeer(receiver);
    cleanups.push(() => peer.close());
    const run = () => {
      const webhook = new ClutterWebhook({ url: peer.url(TOKEN), timeoutMs: 5000, lang: 'en', maxQueue: 100, timeZone: 'Asia/Tokyo', site: 'factory', logger: silentLogger, retryBaseMs: 10 });
      const daily = new DailyUtilizationPost({ reports, webhook, now: () => clock.now, logger: silentLogger, checkIntervalMs: 3_600_000 });
      webhook.start();
      daily.start(); // checks at once
      cleanups.push(() => webhook.stop(), () => daily.stop());
      return { webhook, daily };
    };

    const first = run();
    await waitFor(() => first.webhook.stats().sent === 1, 'the day posted');
    expect(dataRows(receiver, 'Utilization')).toEqual([['2025-11-30', 'ProtoMat S63', 25, 6, 3, 15, 0, 'factory', 'mill-1', '2025-11-30/factory/mill-1']]);
    expect(await first.daily.check()).toBeNull(); // same day: nothing more

    clock.now += 24 * H; // 2025-12-02 00:05: Dec 1 was all off
    expect(await first.daily.check()).toBe('2025-12-01');
    await waitFor(() => first.webhook.stats().sent === 2, 'the next day posted');
    await first.webhook.stop();
    await first.daily.stop();

    const second = run(); // a restarted hub posts Dec 1 again
    await waitFor(() => second.webhook.stats().sent === 1, 'repeat answered');
    expect(second.webhook.stats().duplicates).toBe(1);
    expect(dataRows(receiver, 'Utilization').map((row) => [row[0], row[2]])).toEqual([
      ['2025-11-30', 25],
      ['2025-12-01', 0],
    ]);
  });
});
