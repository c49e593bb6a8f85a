import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, silentLogger, TS } from '../test-support/helpers.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { Store } from './store.js';

describe('Store (SQLite)', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let store: Store;

  beforeEach(async () => {
    dir = await makeTempDir();
    store = new Store({ dataDir: dir.path, batchSize: 100, flushIntervalMs: 60_000, logger: silentLogger });
    await store.start();
  });

  afterEach(async () => {
    await store.stop();
    await dir.remove();
  });

  const where = (node = 'mill-1') => ({ site: 'factory', node, receivedAt: TS + 5 });

  it('opens in WAL mode with the schema version recorded', () => {
    const db = store.database;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(Number(db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    const versions = db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[];
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)?.version);
  });

  it('tells onStored of each row once committed, with its wait on the monotonic clock', async () => {
    let clock = 1_000;
    const told: Array<[string, number]> = [];
    const timed = new Store({ dataDir: join(dir.path, 'timed'), batchSize: 100, flushIntervalMs: 60_000, logger: silentLogger, monotonic: () => clock, onStored: (row, ms) => told.push([row.kind, ms]) });
    await timed.start();
    try {
      timed.enqueue({ kind: 'reading', ...where(), ts: TS, seq: 1, irms: [1] });
      clock += 40;
      timed.enqueue({ kind: 'state', ...where(), ts: TS, state: 'idle', since: TS, irms: [1] });
      clock += 10;
      expect(told).toEqual([]); // queued, not committed yet
      await timed.flush();
      expect(told).toEqual([['reading', 50], ['state', 10]]);
      await timed.flush();
      expect(told).toHaveLength(2);
    } finally {
      await timed.stop();
    }
  });

  it('writes queued rows in one flush and stores a duplicate seq once', async () => {
    store.enqueue({ kind: 'reading', ...where(), ts: TS, seq: 1, irms: [1.5] });
    store.enqueue({ kind: 'reading', ...where(), ts: TS, seq: 1, irms: [1.5] });
    store.enqueue({ kind: 'reading', ...where(), ts: TS + 1000, seq: 2, irms: [2.5, 0.1] });
    store.enqueue({ kind: 'event', ...where(), ts: TS, seq: 7, type: 'run_finished', data: { durationS: 12 } });
    store.enqueue({ kind: 'event', ...where(), ts: TS, seq: 7, type: 'run_finished', data: { durationS: 12 } });
    store.enqueue({ kind: 'clutter', ...where('bench-1'), ts: TS, seq: 3, score: 12.5, coveredRatio: 0.125, slot: '09:00', imageId: 'img-1' });
    store.enqueue({ kind: 'clutter', ...where('bench-1'), ts: TS, seq: 3, score: 12.5, coveredRatio: 0.125, slot: '09:00', imageId: 'img-1' });
    expect(await store.count('readings')).toBe(0);
    await store.flush();
    expect(await store.count('readings')).toBe(2);
    expect(await store.count('events')).toBe(1);
    expect(await store.count('clutter')).toBe(1);
    expect(store.rowsWritten).toBe(4);
    const event = store.database.prepare('SELECT type, data FROM events').get() as { type: string; data: string };
    expect(JSON.parse(event.data)).toEqual({ durationS: 12 });
    expect(await store.count('nodes')).toBe(2);
  });

  it('rebuilds the latest snapshot of each node from the tables', async () => {
    store.enqueue({ kind: 'status', ...where(), ts: TS, online: true, agent: 'bridge', version: '1.2.3', detail: null });
    store.enqueue({ kind: 'reading', ...where(), ts: TS + 2000, seq: 11, irms: [3] });
    store.enqueue({ kind: 'reading', ...where(), ts: TS + 1000, seq: 10, irms: [2] }); // late resend of an older one
    store.enqueue({ kind: 'state', ...where(), ts: TS + 500, state: 'running', since: TS, irms: [3] });
    store.enqueue({ kind: 'motion', ...where('bench-1'), ts: TS, active: true });
    await store.flush();
    const snaps = store.loadSnapshots();
    expect(snaps.map((s) => s.node)).toEqual(['bench-1', 'mill-1']);
    const mill = snaps[1];
    expect(mill).toMatchObject({
      online: true,
      agent: 'bridge',
      version: '1.2.3',
      lastSeen: TS + 5,
      current: { irms: [3], ts: TS + 2000, seq: 11 },
      state: { state: 'running', since: TS, ts: TS + 500 },
      clutter: null,
    });
    expect(snaps[0]).toMatchObject({ online: null, motion: { active: true, ts: TS } });
  });

  it('flushes what is queued on stop, and the file is readable by another connection', async () => {
    store.enqueue({ kind: 'reading', ...where(), ts: TS, seq: 1, irms: [1] });
    store.enqueue({ kind: 'ingest-error', site: '', node: '', receivedAt: TS, reason: 'topic', message: 'bad' });
    store.enqueue({ kind: 'ingest-error', site: '', node: '', receivedAt: TS + 1, reason: 'topic', message: 'bad again' });
    await store.stop();
    const db = new Database(join(dir.path, 'mieruka.db'), { readonly: true });
    try {
      expect((db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n).toBe(1);
      expect(db.prepare('SELECT count, last_message FROM ingest_errors').get()).toEqual({ count: 2, last_message: 'bad again' });
    } finally {
      db.close();
    }
    expect(store.rowsWritten).toBe(1);
  });

  it('refuses a database from a newer schema', async () => {
    await store.stop();
    const db = new Database(join(dir.path, 'mieruka.db'));
    db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (999, ?, 0)').run('future');
    db.close();
    const again = new Store({ dataDir: dir.path, batchSize: 10, flushIntervalMs: 50, logger: silentLogger });
    await expect(again.start()).rejects.toMatchObject({ code: 'STORE_FAILED' });
  });
});
