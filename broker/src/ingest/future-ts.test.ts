/**
 * Time sanity (issue 14, item 5) on real parts: a started hub with its own clock, MQTT.js
 * publishing readings from the future, and a database written before the check existed.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { Hub } from '../hub.js';
import { MIGRATIONS, migrate } from '../store/migrations.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../test-support/helpers.js';

const SITE = 'factory';
const YEAR_2099 = Date.UTC(2099, 0, 1);

describe('readings from the future', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  let hub: Hub | undefined;
  let client: MqttClient | undefined;

  afterEach(async () => {
    await closeClient(client);
    await hub?.stop();
    await dir?.remove();
    client = undefined;
    hub = undefined;
    dir = undefined;
  });

  async function startHub(overrides: Record<string, unknown> = {}, now = () => TS): Promise<Hub> {
    dir ??= await makeTempDir();
    hub = new Hub({ config: hubConfig(dir.path, overrides), logger: silentLogger, now });
    await hub.start();
    client = await connectClient(hub.mqttUrl, { clientId: 'future-test' });
    return hub;
  }

  const state = (ts: number, s: 'off' | 'running', since = ts) =>
    client!.publishAsync(topicFor(SITE, 'mill-1', 'state'), encodePayload('state', { ts, state: s, since, irms: [1] }), { qos: 1, retain: true });

  it('refuses a reading from 2099, counts it, and does not freeze the live state', async () => {
    const h = await startHub();
    await state(YEAR_2099, 'off');
    await state(TS, 'running');
    await waitFor(() => h.live.get(SITE, 'mill-1')?.state !== undefined && h.live.get(SITE, 'mill-1')?.state !== null, 'the true state');
    expect(h.live.get(SITE, 'mill-1')?.state).toEqual({ state: 'running', since: TS, ts: TS });
    expect(h.ingestStats().invalid.byReason['future-ts']).toBe(1);
    expect(h.stats().invalidByReason?.['future-ts']).toBe(1);
    await h.flush();
    const stored = h.store.database.prepare("SELECT ts FROM states WHERE node = 'mill-1'").all();
    expect(stored).toEqual([{ ts: TS }]);
    const errors = h.store.database.prepare("SELECT reason, count FROM ingest_errors WHERE node = 'mill-1'").all();
    expect(errors).toEqual([{ reason: 'future-ts', count: 1 }]);
  });

  it('refuses a `since` from the future too, and every kind with a ts', async () => {
    const h = await startHub();
    await state(TS, 'running', YEAR_2099);
    const future = TS + 3_600_000;
    await client!.publishAsync(topicFor(SITE, 'mill-1', 'current'), encodePayload('current', { ts: future, seq: 1, irms: [1] }), { qos: 1 });
    await client!.publishAsync(topicFor(SITE, 'mill-1', 'event'), encodePayload('event', { ts: future, seq: 2, type: 'run_started' }), { qos: 1 });
    await client!.publishAsync(topicFor(SITE, 'mill-1', 'motion'), encodePayload('motion', { ts: future, active: true }), { qos: 1 });
    await client!.publishAsync(
      topicFor(SITE, 'mill-1', 'clutter'),
      encodePayload('clutter', { ts: future, seq: 3, score: 1, coveredRatio: 0.01, slot: 'manual', imageId: null }),
      { qos: 1 },
    );
    await client!.publishAsync(topicFor(SITE, 'mill-1', 'status'), encodePayload('status', { online: true, ts: future, agent: 'x', version: '1' }), { qos: 1 });
    await waitFor(() => (h.ingestStats().invalid.byReason['future-ts'] ?? 0) >= 6, 'six refusals');
    expect(h.live.get(SITE, 'mill-1')).toBeUndefined();
  });

  it('accepts a reading within the configured skew and refuses one past it', async () => {
    const h = await startHub({ hub: { ingest: { maxFutureSkewS: 10 } } });
    await state(TS + 9_000, 'running');
    await state(TS + 11_000, 'off');
    await waitFor(() => h.ingestStats().received >= 2, 'both readings');
    expect(h.live.get(SITE, 'mill-1')?.state?.state).toBe('running');
    expect(h.ingestStats().invalid.byReason['future-ts']).toBe(1);
  });

  it('a migration deletes what a hub before the check stored from the future, so a restarted hub is not frozen', async () => {
    dir = await makeTempDir();
    const now = Date.now();
    // A database as the hub before the check left it: schema 5, one true and one 2099 state.
    const db = new Database(join(dir.path, 'mieruka.db'));
    migrate(db, MIGRATIONS.filter((m) => m.version <= 5));
    db.prepare("INSERT INTO nodes (site, node, online, last_seen) VALUES ('factory', 'mill-1', 1, ?)").run(now);
    const insertState = db.prepare("INSERT INTO states (site, node, ts, state, since, irms, received_at) VALUES ('factory', 'mill-1', ?, ?, ?, '[1]', ?)");
    insertState.run(now - 60_000, 'running', now - 60_000, now);
    insertState.run(YEAR_2099, 'off', YEAR_2099, now);
    const insertReading = db.prepare("INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES ('factory', 'mill-1', ?, ?, '[1]', ?)");
    insertReading.run(now - 60_000, 1, now);
    insertReading.run(YEAR_2099, 2, now);
    db.prepare("INSERT INTO events (site, node, ts, seq, type, data, received_at) VALUES ('factory', 'mill-1', ?, 3, 'run_started', '{}', ?)").run(YEAR_2099, now);
    db.close();

    const h = await startHub({}, () => now);
    expect(h.live.get(SITE, 'mill-1')?.state).toEqual({ state: 'running', since: now - 60_000, ts: now - 60_000 });
    expect(h.live.get(SITE, 'mill-1')?.current?.seq).toBe(1);
    const rows = (sql: string) => h.store.database.prepare(sql).all();
    expect(rows('SELECT ts FROM states')).toEqual([{ ts: now - 60_000 }]);
    expect(rows('SELECT seq FROM readings')).toEqual([{ seq: 1 }]);
    expect(rows('SELECT count(*) AS n FROM events')).toEqual([{ n: 0 }]);
    // And the next true reading moves the state on.
    await state(now, 'off');
    await waitFor(() => h.live.get(SITE, 'mill-1')?.state?.state === 'off', 'the next true state');
  });
});
