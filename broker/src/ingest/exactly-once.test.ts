/**
 * Exactly once at the hub, on real parts: an agent's store-and-forward replay resends what
 * the hub already took — in the same run and after a hub restart on the same data dir — and
 * nothing happens twice: no row, no live event, no clutter webhook POST, no alarm.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmUpdate, LiveUpdate, PayloadOf } from '@mieruka/protocol';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { stoppedClock } from '../../../test/helpers/test-clock.js';
import { Hub } from '../hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';

const SITE = 'factory';

async function startReceiver(): Promise<{ server: Server; url: string; seqs: number[] }> {
  const seqs: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seqs.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { seq: number }).seq);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seqs };
}

describe('exactly once at the hub', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('ignores resends of current, state, event, clutter and motion, within a run and across a hub restart, and counts them', async () => {
    const clock = stoppedClock();
    const t0 = clock.at - 10 * 60_000;
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const receiver = await startReceiver();
    cleanups.push(() => new Promise((resolve) => receiver.server.close(resolve)));
    cleanups.push(() => receiver.server.closeAllConnections());
    const config = hubConfig(dir.path, { hub: { clutterWebhook: { url: receiver.url } } });

    let hub!: Hub;
    let edge!: MqttClient;
    let updates: LiveUpdate[] = [];
    let alarms: AlarmUpdate[] = [];
    const start = async () => {
      hub = new Hub({ config, logger: silentLogger, now: clock });
      cleanups.push(() => hub.stop());
      await hub.start();
      updates = [];
      alarms = [];
      const offLive = hub.live.subscribe((u) => updates.push(u));
      const offAlarms = hub.alerts.subscribe((u) => alarms.push(u));
      cleanups.push(offLive, offAlarms);
      edge = await connectClient(hub.mqttUrl, { clientId: 'edge-replay' });
      cleanups.push(() => closeClient(edge));
    };
    const pub = <K extends 'current' | 'state' | 'event' | 'clutter' | 'motion'>(node: string, kind: K, payload: PayloadOf<K>) =>
      edge.publishAsync(topicFor(SITE, node, kind), encodePayload(kind, payload), { qos: 1 });
    const liveEvents = (seq: number) => updates.filter((u) => u.type === 'event' && u.event.seq === seq).length;
    const raised = (type: string) => alarms.filter((a) => a.change === 'raised' && a.alarm.type === type).length;

    const everything = async () => {
      await pub('mill-1', 'current', { ts: t0, seq: 10, irms: [4.2] });
      await pub('mill-1', 'state', { ts: t0, state: 'idle', since: t0, irms: [0.5] });
      await pub('mill-1', 'event', { ts: t0 + 1_000, seq: 11, type: 'run_finished', durationS: 600 });
      await pub('bench-1', 'clutter', { ts: t0, seq: 3, score: 20, coveredRatio: 0.2, slot: '09:00', imageId: null });
      await pub('bench-1', 'motion', { ts: t0, active: true });
    };

    // First run: taken once; the repeat in the same run is a duplicate.
    await start();
    await everything();
    await waitFor(() => raised('job_finished') === 1, 'the job alarm');
    // The next run starts: the job alarm resolves (clearAfterS 0, so it clears).
    await pub('mill-1', 'state', { ts: t0 + 2_000, state: 'running', since: t0 + 2_000, irms: [4.2] });
    await everything();
    await pub('mill-1', 'event', { ts: t0 + 3_000, seq: 12, type: 'sensor_online' });
    await waitFor(() => liveEvents(12) === 1, 'the sentinel event');
    await waitFor(() => receiver.seqs.length >= 1, 'the webhook POST');
    expect(liveEvents(11)).toBe(1);
    expect(hub.ingestStats().duplicates).toEqual({ total: 5, byKind: { current: 1, state: 1, event: 1, clutter: 1, motion: 1 } });
    await hub.stop();

    // Second run on the same data dir: a replay of everything, after the restart.
    await start();
    await everything();
    await pub('mill-1', 'event', { ts: t0 + 3_000, seq: 12, type: 'sensor_online' });
    await pub('bench-1', 'clutter', { ts: t0 + 4_000, seq: 4, score: 10, coveredRatio: 0.1, slot: 'manual', imageId: null });
    await waitFor(() => receiver.seqs.includes(4), 'the POST of the new score');
    await hub.flush();

    expect(receiver.seqs).toEqual([3, 4]);
    expect(liveEvents(11)).toBe(0);
    expect(liveEvents(12)).toBe(0);
    expect(raised('job_finished')).toBe(0);
    expect(hub.ingestStats().duplicates.total).toBe(6);
    expect(hub.stats().messagesDuplicate).toBe(6);
    const count = (sql: string) => (hub.store.database.prepare(sql).get() as { n: number }).n;
    expect(count('SELECT count(*) AS n FROM readings')).toBe(1);
    expect(count('SELECT count(*) AS n FROM events')).toBe(2);
    expect(count('SELECT count(*) AS n FROM clutter')).toBe(2);
    expect(count("SELECT count(*) AS n FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id WHERE a.type = 'job_finished' AND e.kind = 'raised'")).toBe(1);
    // Duplicates are not errors.
    expect(hub.stats().messagesInvalid).toBe(0);
  });
});
