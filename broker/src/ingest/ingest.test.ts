/**
 * Ingest on real parts: a started hub (aedes on loopback, SQLite in a temp dir) and MQTT.js
 * clients publishing valid and invalid messages.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LiveUpdate, NodeSnapshot } from '@mieruka/protocol';
import { encodePayload, MAX_JSON_PAYLOAD_BYTES, topicFor } from '@mieruka/protocol';
import { Hub } from '../hub.js';
import { closeClient, connectClient, fakeJpeg, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../test-support/helpers.js';

const SITE = 'factory';

describe('ingest', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let client: MqttClient;
  let updates: LiveUpdate[] = [];
  let unsubscribe: () => void;

  beforeAll(async () => {
    dir = await makeTempDir();
    hub = new Hub({ config: hubConfig(dir.path), logger: silentLogger });
    await hub.start();
    unsubscribe = hub.dataSource.subscribe((u) => updates.push(u));
    client = await connectClient(hub.mqttUrl, { clientId: 'ingest-test' });
  });

  afterAll(async () => {
    unsubscribe?.();
    await closeClient(client);
    await hub?.stop();
    await dir?.remove();
  });

  beforeEach(() => {
    updates = [];
  });

  const pub = (topic: string, payload: string | Buffer, retain = false) => client.publishAsync(topic, payload, { qos: 1, retain });
  const json = (node: string, kind: Parameters<typeof topicFor>[2], payload: unknown) => pub(topicFor(SITE, node, kind), JSON.stringify(payload));
  const rows = (sql: string, ...params: unknown[]) => hub.store.database.prepare(sql).all(...params) as Record<string, unknown>[];
  const nodeUpdates = (node: string) => updates.filter((u): u is Extract<LiveUpdate, { type: 'node' }> => u.type === 'node' && u.node.node === node).map((u) => u.node);
  const snapshot = (node: string): NodeSnapshot | undefined => hub.dataSource.listNodes().find((n) => n.node === node);

  it('takes an in-process message (ingestLocal) as it takes a published one: stored, live, de-duplicated, and a bad one counted', async () => {
    const invalidBefore = hub.ingestStats().invalid.total;
    const duplicatesBefore = hub.ingestStats().duplicates.total;
    const event = encodePayload('event', { ts: TS + 5, seq: 7, type: 'run_started' });
    hub.ingestLocal(topicFor(SITE, 'local-1', 'event'), event);
    hub.ingestLocal(topicFor(SITE, 'local-1', 'event'), event);
    hub.ingestLocal(topicFor(SITE, 'local-1', 'state'), Buffer.from('{"ts":"soon"}'));
    // A node's first message waits for the store to say it is new (duplicate check); flush waits for it too.
    await hub.flush();
    expect(updates.filter((u) => u.type === 'event' && u.node === 'local-1')).toHaveLength(1);
    expect(rows('SELECT seq, type FROM events WHERE site = ? AND node = ?', SITE, 'local-1')).toEqual([{ seq: 7, type: 'run_started' }]);
    expect(hub.ingestStats().duplicates.total).toBe(duplicatesBefore + 1);
    expect(hub.ingestStats().invalid.total).toBe(invalidBefore + 1);
  });

  it('stores valid current, state, event, clutter, motion and status and pushes them live', async () => {
    await pub(topicFor(SITE, 'mill-1', 'status'), encodePayload('status', { online: true, ts: TS, agent: 'bridge', version: '0.1.0' }), true);
    await pub(topicFor(SITE, 'mill-1', 'current'), encodePayload('current', { ts: TS, seq: 1, irms: [3.25, 0.5] }));
    await pub(topicFor(SITE, 'mill-1', 'state'), encodePayload('state', { ts: TS + 10, state: 'running', since: TS, irms: [3.25, 0.5] }), true);
    await pub(topicFor(SITE, 'mill-1', 'event'), encodePayload('event', { ts: TS + 20, seq: 2, type: 'run_finished', durationS: 1834 }));
    await pub(topicFor(SITE, 'bench-1', 'clutter'), encodePayload('clutter', { ts: TS, seq: 1, score: 23.4, coveredRatio: 0.234, slot: '17:00', imageId: null }));
    await pub(topicFor(SITE, 'bench-1', 'motion'), encodePayload('motion', { ts: TS, active: true }));

    // Live: pushed as they arrived, before any flush.
    await waitFor(() => nodeUpdates('mill-1').some((n) => n.state?.state === 'running'), 'live state');
    const events = updates.filter((u) => u.type === 'event');
    expect(events).toEqual([{ type: 'event', site: SITE, node: 'mill-1', event: { ts: TS + 20, seq: 2, type: 'run_finished', durationS: 1834 } }]);
    const mill = snapshot('mill-1');
    expect(mill).toMatchObject({ online: true, agent: 'bridge', version: '0.1.0', current: { irms: [3.25, 0.5], ts: TS, seq: 1 }, state: { state: 'running', since: TS, ts: TS + 10 } });
    expect(mill?.lastSeen).toBeGreaterThan(0);
    expect(snapshot('bench-1')).toMatchObject({ clutter: { score: 23.4, coveredRatio: 0.234, slot: '17:00', ts: TS, imageId: null }, motion: { active: true, ts: TS } });

    await hub.flush();
    expect(rows("SELECT ts, seq, irms FROM readings WHERE node = 'mill-1'")).toEqual([{ ts: TS, seq: 1, irms: '[3.25,0.5]' }]);
    expect(rows("SELECT state, since FROM states WHERE node = 'mill-1'")).toEqual([{ state: 'running', since: TS }]);
    expect(rows("SELECT type, data FROM events WHERE node = 'mill-1'")).toEqual([{ type: 'run_finished', data: '{"durationS":1834}' }]);
    expect(rows("SELECT score, covered_ratio, slot, image_id FROM clutter WHERE node = 'bench-1'")).toEqual([
      { score: 23.4, covered_ratio: 0.234, slot: '17:00', image_id: null },
    ]);
    expect(rows("SELECT active FROM motion WHERE node = 'bench-1'")).toEqual([{ active: 1 }]);
    expect(rows("SELECT online, agent, version FROM nodes WHERE node = 'mill-1'")).toEqual([{ online: 1, agent: 'bridge', version: '0.1.0' }]);
    expect(hub.stats().rowsWritten).toBeGreaterThanOrEqual(5);
  });

  it('stores a resent seq once and announces a resent event once', async () => {
    const reading = encodePayload('current', { ts: TS + 1000, seq: 100, irms: [1] });
    const event = encodePayload('event', { ts: TS + 1000, seq: 101, type: 'run_started' });
    const clutter = encodePayload('clutter', { ts: TS + 1000, seq: 102, score: 1, coveredRatio: 0.01, slot: 'manual', imageId: null });
    for (let i = 0; i < 3; i++) {
      await pub(topicFor(SITE, 'dup-1', 'current'), reading);
      await pub(topicFor(SITE, 'dup-1', 'event'), event);
      await pub(topicFor(SITE, 'dup-1', 'clutter'), clutter);
    }
    await hub.flush();
    expect(rows("SELECT count(*) AS n FROM readings WHERE node = 'dup-1'")).toEqual([{ n: 1 }]);
    expect(rows("SELECT count(*) AS n FROM events WHERE node = 'dup-1'")).toEqual([{ n: 1 }]);
    expect(rows("SELECT count(*) AS n FROM clutter WHERE node = 'dup-1'")).toEqual([{ n: 1 }]);
    expect(updates.filter((u) => u.type === 'event' && u.node === 'dup-1')).toHaveLength(1);
  });

  it('does not move the live value back when an older reading arrives late', async () => {
    await pub(topicFor(SITE, 'late-1', 'current'), encodePayload('current', { ts: TS + 5000, seq: 6, irms: [6] }));
    await pub(topicFor(SITE, 'late-1', 'current'), encodePayload('current', { ts: TS + 4000, seq: 5, irms: [5] }));
    expect(snapshot('late-1')?.current).toEqual({ irms: [6], ts: TS + 5000, seq: 6 });
    await hub.flush();
    expect(rows("SELECT count(*) AS n FROM readings WHERE node = 'late-1'")).toEqual([{ n: 2 }]);
  });

  it('counts invalid payloads per reason and node, drops them, and keeps valid ones flowing', async () => {
    const before = hub.ingestStats();
    const node = 'bad-1';
    const t = (kind: Parameters<typeof topicFor>[2]) => topicFor(SITE, node, kind);
    const huge = JSON.stringify({ ts: TS, seq: 5, irms: Array.from({ length: 40_000 }, () => 1) });
    expect(huge.length).toBeGreaterThan(MAX_JSON_PAYLOAD_BYTES);
    const bad: [string, string | Buffer, string][] = [
      [t('current'), '{"ts": 1764000000000, "seq": 1, "irms": [1.0]', 'not-json'],
      [t('state'), 'garbage', 'not-json'],
      [t('current'), JSON.stringify({ ts: 'yesterday', seq: -1, irms: 'lots' }), 'schema'],
      [t('current'), JSON.stringify({ ts: TS, seq: 1, irms: ['NaN'] }), 'schema'],
      [t('current'), '{"ts": 1764000000000, "seq": 2, "irms": [NaN]}', 'not-json'],
      [t('current'), JSON.stringify({ ts: TS, seq: 3, irms: ['Infinity'] }), 'schema'],
      [t('current'), JSON.stringify({ ts: TS, seq: 4, irms: Array.from({ length: 1000 }, () => 1) }), 'schema'],
      [t('current'), huge, 'too-large'],
      [t('current'), JSON.stringify({ ts: TS / 1000, seq: 6, irms: [1] }), 'schema'], // seconds, not ms
      [t('state'), JSON.stringify({ ts: TS, state: 'exploded', since: TS, irms: [1] }), 'schema'],
      [t('clutter'), JSON.stringify({ ts: TS, seq: 7, score: 101, coveredRatio: 0.5, slot: 'x', imageId: null }), 'schema'],
      [t('clutter'), JSON.stringify({ ts: TS, seq: 8, score: 1, coveredRatio: 0.5, slot: 'x', imageId: '../../etc/passwd' }), 'schema'],
      [t('status'), JSON.stringify({ online: 'yes', ts: TS, agent: 'x', version: '1' }), 'schema'],
      [t('image'), Buffer.from('this is not a jpeg'), 'not-jpeg'],
      [`${t('current')}/extra`, JSON.stringify({ ts: TS, seq: 9, irms: [1] }), 'topic'],
      [`mieruka/v1/${SITE}/current`, JSON.stringify({ ts: TS, seq: 10, irms: [1] }), 'topic'],
      [`mieruka/v1/${SITE}/Bad-Node/current`, JSON.stringify({ ts: TS, seq: 11, irms: [1] }), 'topic'],
      [`mieruka/v1/${SITE}/${node}/temperature`, JSON.stringify({ ts: TS }), 'topic'],
    ];
    for (const [topic, payload] of bad) await pub(topic, payload);
    // A valid one after all that still gets through.
    await pub(t('current'), encodePayload('current', { ts: TS, seq: 50, irms: [2] }));
    await hub.flush();

    const after = hub.ingestStats();
    expect(after.invalid.total - before.invalid.total).toBe(bad.length);
    const expected: Record<string, number> = {};
    for (const [, , reason] of bad) expected[reason] = (expected[reason] ?? 0) + 1;
    for (const [reason, n] of Object.entries(expected)) {
      expect((after.invalid.byReason[reason] ?? 0) - (before.invalid.byReason[reason] ?? 0), reason).toBe(n);
    }
    // Topics that name the node (even with a wrong kind or an extra level) count for it; the rest for '(unknown)'.
    expect(after.invalid.byNode[`${SITE}/${node}`]).toBe(bad.filter(([topic]) => topic.includes(`/${node}/`)).length);
    expect((after.invalid.byNode['(unknown)'] ?? 0) - (before.invalid.byNode['(unknown)'] ?? 0)).toBe(2);
    expect(hub.stats().messagesInvalid).toBe(after.invalid.total);
    expect(rows('SELECT seq, irms FROM readings WHERE node = ?', node)).toEqual([{ seq: 50, irms: '[2]' }]);
    expect(rows('SELECT count(*) AS n FROM states WHERE node = ?', node)).toEqual([{ n: 0 }]);
    expect(rows('SELECT count(*) AS n FROM clutter WHERE node = ?', node)).toEqual([{ n: 0 }]);
    const errors = rows("SELECT reason, count FROM ingest_errors WHERE site = ? AND node = ? ORDER BY reason", SITE, node);
    expect(errors.find((e) => e.reason === 'schema')?.count).toBe(expected.schema);
  });

  it('pairs an image with its clutter result in either order and saves it under the node', async () => {
    const first = fakeJpeg(0x11, 2048);
    await pub(topicFor(SITE, 'bench-2', 'image'), first);
    await pub(topicFor(SITE, 'bench-2', 'clutter'), encodePayload('clutter', { ts: TS + 1, seq: 1, score: 40, coveredRatio: 0.4, slot: '09:00', imageId: 'shot-1' }));
    const second = fakeJpeg(0x22, 4096);
    await pub(topicFor(SITE, 'bench-2', 'clutter'), encodePayload('clutter', { ts: TS + 2, seq: 2, score: 10, coveredRatio: 0.1, slot: '12:00', imageId: 'shot-2' }));
    await pub(topicFor(SITE, 'bench-2', 'image'), second);
    await hub.flush();

    expect(await readFile(join(dir.path, 'images', SITE, 'bench-2', 'shot-1.jpg'))).toEqual(first);
    expect(await readFile(join(dir.path, 'images', SITE, 'bench-2', 'shot-2.jpg'))).toEqual(second);
    expect(await hub.dataSource.readImage(SITE, 'bench-2', 'shot-2')).toEqual(second);
    expect(await hub.dataSource.readImage(SITE, 'bench-2', '..')).toBeNull();
    // The snapshot names the image once it is on disk, and says so live.
    await waitFor(() => snapshot('bench-2')?.clutter?.imageId === 'shot-2', 'snapshot with the saved image');
    expect(nodeUpdates('bench-2').some((n) => n.clutter?.imageId === 'shot-2')).toBe(true);
    expect(hub.ingestStats().imagesSaved).toBeGreaterThanOrEqual(2);
  });

  it('ignores $SYS, other applications, commands and the hub’s own messages', async () => {
    const before = hub.ingestStats();
    await pub('other/app/topic', 'hello');
    await pub(`mieruka/v1/${SITE}/mill-1/cmd/light`, JSON.stringify({ ts: TS }));
    await hub.broker.publish({ topic: topicFor(SITE, 'mill-1', 'current'), payload: 'hub says hi' });
    await hub.broker.publish({ topic: '$SYS/test', payload: 'x' });
    await pub(topicFor(SITE, 'mill-1', 'current'), encodePayload('current', { ts: TS + 60_000, seq: 60, irms: [1] }));
    const after = hub.ingestStats();
    expect(after.received - before.received).toBe(1);
    expect(after.invalid.total).toBe(before.invalid.total);
  });
});
