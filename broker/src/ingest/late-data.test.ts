/**
 * Late data and catching up, on real parts (hub, MQTT.js, SQLite): an agent replays hours of
 * old states; they fill in the timeline and the roll-ups, but move nothing backwards and raise
 * no alarm that belongs to the past. The agent's backlog (status) is kept in the node's
 * snapshot, persisted across a hub restart, and holds back alarms until the node caught up.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmUpdate, PayloadOf, StatusBacklog } from '@mieruka/protocol';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { stoppedClock } from '../../../test/helpers/test-clock.js';
import { Hub } from '../hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';

const SITE = 'factory';
const NODE = 'mill-1';
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('late data and catching up', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(overrides: Record<string, unknown> = {}) {
    const clock = stoppedClock();
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const config = hubConfig(dir.path, overrides);
    const alarms: AlarmUpdate[] = [];
    const started: { hub: Hub; edge: MqttClient } = {} as { hub: Hub; edge: MqttClient };
    const start = async () => {
      const hub = new Hub({ config, logger: silentLogger, now: clock });
      cleanups.push(() => hub.stop());
      await hub.start();
      cleanups.push(hub.alerts.subscribe((u) => alarms.push(u)));
      const edge = await connectClient(hub.mqttUrl, { clientId: `edge-${NODE}` });
      cleanups.push(() => closeClient(edge));
      Object.assign(started, { hub, edge });
    };
    await start();
    const pub = <K extends 'state' | 'event' | 'status'>(kind: K, payload: PayloadOf<K>) =>
      started.edge.publishAsync(topicFor(SITE, NODE, kind), encodePayload(kind, payload), { qos: 1 });
    const status = (backlog: StatusBacklog) => pub('status', { online: true, ts: clock.at, agent: 'bridge', version: '1.0.0', backlog });
    /** A sentinel the hub handles after everything published before it. */
    let sentinelSeq = 1000;
    const settle = async () => {
      const seq = ++sentinelSeq;
      let seen = false;
      const off = started.hub.live.subscribe((u) => {
        if (u.type === 'event' && u.event.seq === seq) seen = true;
      });
      await pub('event', { ts: clock.at, seq, type: 'sync' });
      await waitFor(() => seen, 'the sentinel event');
      off();
    };
    const raised = (type: string) => alarms.filter((a) => a.change === 'raised' && a.alarm.type === type);
    return { clock, started, start, pub, status, settle, raised };
  }

  it('replayed old states fill in the timeline and roll-ups, never move the live state back, and raise no stop of 5 hours ago', async () => {
    const { clock, started, pub, settle, raised } = await setUp();
    const now = clock.at;
    // The live state before the replay lands: running since 6 h ago, said 6 h ago.
    await pub('state', { ts: now - 6 * HOUR, state: 'running', since: now - 6 * HOUR, irms: [4] });
    await settle();
    await started.hub.reports.updateRollups();
    // The replay: running → off 5 h ago (a stop while running), idle 4 h 50 ago, running 1 h ago.
    await pub('state', { ts: now - 5 * HOUR, state: 'off', since: now - 5 * HOUR, irms: [0] });
    await pub('state', { ts: now - 5 * HOUR + 10 * MIN, state: 'idle', since: now - 5 * HOUR + 10 * MIN, irms: [0.5] });
    await pub('state', { ts: now - HOUR, state: 'running', since: now - HOUR, irms: [4] });
    // A resend of an older one, after the newer ones: stored already, live unchanged.
    await pub('state', { ts: now - 5 * HOUR, state: 'off', since: now - 5 * HOUR, irms: [0] });
    await settle();
    await started.hub.flush();

    expect(raised('machine_stopped')).toEqual([]);
    expect(started.hub.live.get(SITE, NODE)?.state).toEqual({ state: 'running', since: now - HOUR, ts: now - HOUR });
    const dirty = started.hub.store.database.prepare('SELECT dirty_ts AS d FROM rollup_cursors WHERE site = ? AND node = ?').get(SITE, NODE) as { d: number | null };
    // The roll-ups are recomputed from (at least) the oldest replayed state on.
    expect(dirty.d).not.toBeNull();
    expect(dirty.d!).toBeLessThanOrEqual(now - 5 * HOUR);
    await started.hub.reports.updateRollups();
    const timeline = await started.hub.reports.timeline(SITE, NODE, { from: now - 6 * HOUR, to: now });
    expect(timeline?.intervals.map((i) => i.state)).toEqual(['running', 'off', 'idle', 'running']);
    const usage = await started.hub.reports.usage(SITE, NODE, { from: now - 6 * HOUR, to: now }, 'day');
    expect(usage?.total.seconds).toEqual({ off: 600, idle: 13_800, running: 7_200, unknown: 0 });
  });

  it('keeps the backlog in the snapshot (persisted), holds raises while catching up, and raises once caught up', async () => {
    const { clock, started, start, pub, status, settle, raised } = await setUp({ alerts: { rules: { runningLong: { enabled: true, afterMin: 60 } } } });
    const now = clock.at;
    await status({ queued: 5_000, oldestTs: now - 3 * HOUR, dropped: 7 });
    // Said a minute ago (not late), but the node is still catching up: its snapshot is the past.
    await pub('state', { ts: now - MIN, state: 'running', since: now - 3 * HOUR, irms: [4] });
    await settle();
    await started.hub.alerts.tick();
    expect(started.hub.live.get(SITE, NODE)?.backlog).toEqual({ queued: 5_000, oldestTs: now - 3 * HOUR, dropped: 7, at: now });
    expect(raised('running_long')).toEqual([]);

    // The snapshot the dashboard gets after a hub restart still says so.
    await started.hub.stop();
    await start();
    expect(started.hub.dataSource.listNodes().find((n) => n.node === NODE)?.backlog).toEqual({ queued: 5_000, oldestTs: now - 3 * HOUR, dropped: 7, at: now });

    // Caught up: the present may raise again.
    await status({ queued: 0, oldestTs: null, dropped: 7 });
    await settle();
    await started.hub.alerts.tick();
    expect(raised('running_long')).toHaveLength(1);
  });
});
