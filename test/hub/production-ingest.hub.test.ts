/**
 * What the hub stores for production figures (docs/oee.md), through the whole hub: edge clients
 * publish over real MQTT (QoS 1, acknowledged once stored), the rows are read from the hub's
 * SQLite. Cycles and button presses, an invalid cycle, energy per quarter hour from a small
 * hand-computed trace (in order, and with a store-and-forward backfill), the sensorFault alarm.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, topicFor, type LiveUpdate, type MachineState } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';
import { stoppedClock } from '../helpers/test-clock.js';

const SITE = 'factory';
const QUARTER = 15 * 60_000;

type Quarter = { quarter_start: number; running_as: number; idle_as: number; off_as: number; unknown_as: number };

describe('production figures stored by the hub', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  const clients: MqttClient[] = [];
  const clock = stoppedClock();
  // Three hours back, 14 minutes into a quarter: the trace below crosses a quarter boundary.
  const q = Math.floor((clock.at - 3 * 3_600_000) / QUARTER) * QUARTER;
  const t0 = q + 14 * 60_000;

  const db = () => hub.store.database;
  const client = async (id: string) => {
    const c = await connectClient(hub.mqttUrl, { clientId: id });
    clients.push(c);
    return c;
  };
  const send = (c: MqttClient, node: string, kind: 'current' | 'state' | 'event', payload: Record<string, unknown>) =>
    c.publishAsync(topicFor(SITE, node, kind), Buffer.from(JSON.stringify(payload)), { qos: 1 });
  const reading = (ts: number, seq: number, amps: number) => ({ ts, seq, irms: [0.5, amps] });
  const state = (ts: number, s: MachineState) => ({ ts, state: s, since: ts, irms: [0.5, 0] });
  const quarters = (node: string) => db().prepare('SELECT quarter_start, running_as, idle_as, off_as, unknown_as FROM energy_quarters WHERE site = ? AND node = ? ORDER BY quarter_start').all(SITE, node) as Quarter[];

  beforeAll(async () => {
    dir = await makeTempDir();
    const machine = { channel: 1, offlineAfterS: 15 };
    hub = createHub({ config: hubConfig(dir.path, { machines: { 'mill-1': machine, 'mill-2': machine, 'lathe-1': machine } }), logger: silentLogger, now: clock });
    await hub.start();
  });

  afterAll(async () => {
    for (const c of clients) await closeClient(c);
    await hub?.stop();
    await dir?.remove();
  });

  it('stores a cycle once however often it is resent, and a button press as a quality entry', async () => {
    const edge = await client('edge-mill-1-events');
    const updates: LiveUpdate[] = [];
    const unsubscribe = hub.dataSource.subscribe((u) => updates.push(u));
    const cycle = { ts: t0 + 30_000, seq: 500, type: 'cycle', startTs: t0 + 17_654, durationS: 12.3456, peakA: 11.5, meanA: 9.25 };
    await send(edge, 'mill-1', 'event', cycle);
    await send(edge, 'mill-1', 'event', cycle); // store-and-forward resend
    await send(edge, 'mill-1', 'event', { ts: t0 + 40_000, seq: 501, type: 'quality', good: 3, scrap: 1 });
    await send(edge, 'mill-1', 'event', { ts: t0 + 40_000, seq: 501, type: 'quality', good: 3, scrap: 1 }); // resend

    expect(db().prepare('SELECT * FROM cycles').all()).toEqual([
      { site: SITE, node: 'mill-1', seq: 500, start_ts: t0 + 17_654, end_ts: t0 + 30_000, duration_ms: 12_346, peak_a: 11.5, mean_a: 9.25, received_at: clock.at },
    ]);
    expect(db().prepare('SELECT site, node, start_ts, end_ts, good, scrap, startup_scrap, source, entered_by, entered_at, note FROM quality_entries').all()).toEqual([
      { site: SITE, node: 'mill-1', start_ts: t0 + 40_000, end_ts: t0 + 40_000, good: 3, scrap: 1, startup_scrap: 0, source: 'button', entered_by: 'mill-1', entered_at: clock.at, note: null },
    ]);
    // The events themselves are stored as before.
    expect(db().prepare("SELECT count(*) FROM events WHERE node = 'mill-1' AND type IN ('cycle', 'quality')").pluck().get()).toBe(2);
    // The dashboard hears of the press (the quality figures changed), once: the resend was a duplicate.
    await waitFor(() => updates.find((u) => u.type === 'production' && u.node === 'mill-1' && u.change === 'quality'), 'a live production update');
    expect(updates.filter((u) => u.type === 'production')).toEqual([{ type: 'production', site: SITE, node: 'mill-1', change: 'quality' }]);
    unsubscribe();
  });

  it('counts an invalid cycle with a clear reason and stores nothing of it; the next reading is stored', async () => {
    const edge = await client('edge-lathe-1');
    const invalidBefore = hub.stats().invalidByReason?.schema ?? 0;
    await send(edge, 'lathe-1', 'event', { ts: t0, seq: 9, type: 'cycle', startTs: t0 - 5000, durationS: -5, peakA: 3, meanA: 2 });
    await send(edge, 'lathe-1', 'current', reading(t0, 10, 1.25));

    await waitFor(() => (hub.stats().invalidByReason?.schema ?? 0) === invalidBefore + 1, 'the invalid cycle counted');
    await hub.flush();
    const error = db().prepare("SELECT reason, count, last_message FROM ingest_errors WHERE node = 'lathe-1'").get() as { reason: string; count: number; last_message: string };
    expect(error).toMatchObject({ reason: 'schema', count: 1 });
    expect(error.last_message).toMatch(/^cycle event: .*durationS/);
    expect(db().prepare("SELECT count(*) FROM events WHERE node = 'lathe-1'").pluck().get()).toBe(0);
    expect(db().prepare("SELECT count(*) FROM cycles WHERE node = 'lathe-1'").pluck().get()).toBe(0);
    expect(db().prepare("SELECT seq FROM readings WHERE node = 'lathe-1'").pluck().all()).toEqual([10]);
  });

  /** 10 A running for 60 s, then 2 A idle for 30 s, a reading a second; a last reading at 0 A (off). */
  function trace(): Array<{ kind: 'current' | 'state'; payload: Record<string, unknown> }> {
    const out: Array<{ kind: 'current' | 'state'; payload: Record<string, unknown> }> = [{ kind: 'state', payload: state(t0, 'running') }];
    let seq = 1;
    for (let s = 0; s < 60; s++) out.push({ kind: 'current', payload: reading(t0 + s * 1000, seq++, 10) });
    out.push({ kind: 'state', payload: state(t0 + 60_000, 'idle') });
    for (let s = 60; s < 90; s++) out.push({ kind: 'current', payload: reading(t0 + s * 1000, seq++, 2) });
    out.push({ kind: 'state', payload: state(t0 + 90_000, 'off') }, { kind: 'current', payload: reading(t0 + 90_000, seq++, 0) });
    return out;
  }
  // By hand: 60 × 1 s × 10 A = 600 A·s running before the boundary (t0 + 60 s is the boundary), 30 × 1 s × 2 A = 60 A·s idle after.
  const expected: Quarter[] = [
    { quarter_start: q, running_as: 600, idle_as: 0, off_as: 0, unknown_as: 0 },
    { quarter_start: q + QUARTER, running_as: 0, idle_as: 60, off_as: 0, unknown_as: 0 },
  ];

  it('books ampere-seconds per state and quarter hour, as computed by hand', async () => {
    const edge = await client('edge-mill-1');
    for (const m of trace()) await send(edge, 'mill-1', m.kind, m.payload);
    expect(quarters('mill-1')).toEqual(expected);
  });

  it('gives the same quarters when part of the data arrives late (a store-and-forward backfill) and after a gap', async () => {
    const edge = await client('edge-mill-2');
    const all = trace();
    // The agent lost the hub for 40 s: those messages (and the idle state) come after the rest.
    const held = all.filter((m) => (m.payload.ts as number) >= t0 + 40_000 && (m.payload.ts as number) < t0 + 80_000);
    for (const m of all) if (!held.includes(m)) await send(edge, 'mill-2', m.kind, m.payload);
    // Before the backfill the gap is no data: the reading at +39 s counts 15 s (offlineAfterS), not 41 s;
    // without the idle state yet, the ten 2 A readings from +80 s are booked as running.
    const partial = quarters('mill-2');
    expect(partial.map((r) => r.running_as)).toEqual([39 * 10 + 15 * 10, 10 * 2]);
    expect(partial.map((r) => r.idle_as)).toEqual([0, 0]);
    for (const m of held) await send(edge, 'mill-2', m.kind, m.payload);
    expect(quarters('mill-2')).toEqual(expected);
  });

  it('raises the sensorFault alarm on sensor_fault and clears it on sensor_ok', async () => {
    const edge = await client('edge-mill-1-sensor');
    const sinceTs = clock.at - 90_000;
    await send(edge, 'mill-1', 'event', { ts: clock.at - 30_000, seq: 600, type: 'sensor_fault', cause: 'at_floor', sinceTs, readingA: 0.01, offLevelA: 0.4 });
    await waitFor(async () => (await hub.alerts.listAlarms({ state: 'active', limit: 10 })).some((a) => a.type === 'sensor_fault'), 'the sensor_fault alarm');
    const [alarm] = (await hub.alerts.listAlarms({ state: 'active', limit: 10 })).filter((a) => a.type === 'sensor_fault');
    expect(alarm).toMatchObject({ node: 'mill-1', severity: 'major', active: true, activeSince: sinceTs });

    await send(edge, 'mill-1', 'event', { ts: clock.at - 10_000, seq: 601, type: 'sensor_ok', faultS: 80 });
    await waitFor(async () => !(await hub.alerts.listAlarms({ state: 'active', limit: 10 })).some((a) => a.type === 'sensor_fault'), 'the sensor_fault alarm cleared');
    const history = await hub.alerts.listAlarms({ state: 'history', limit: 10 });
    expect(history.find((a) => a.id === alarm?.id)).toMatchObject({ active: false, clearedAt: clock.at });
  });
});
