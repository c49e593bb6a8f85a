/**
 * The store's WAL is checkpointed by the worker thread, not by the ingest commits: rows
 * committed well below SQLite's automatic threshold still reach the database file, and the
 * ingest connection keeps only the backstop threshold. Stopping ends the worker and leaves a
 * complete database file.
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';
import { Store } from './store.js';
import { BACKSTOP_PAGES } from './wal-checkpointer.js';

describe('WAL checkpoints in a worker', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('moves committed rows into the database file without a checkpoint on the ingest connection', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const store = new Store({ dataDir: dir.path, batchSize: 5000, flushIntervalMs: 60_000, logger: silentLogger });
    cleanups.push(() => store.stop());
    await store.start();
    expect(store.database.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);

    const before = statSync(store.file).size;
    // About a hundred pages: far below even SQLite's default threshold (1000), so only the
    // worker can have copied them into the database file.
    for (let seq = 0; seq < 3000; seq++) store.enqueue({ kind: 'reading', site: 'factory', node: 'mill-1', receivedAt: seq, ts: 1_000 + seq, seq, irms: [1.5] });
    expect(await store.flush()).toBe(3000);
    await waitFor(() => statSync(store.file).size > before, 'the worker to checkpoint the WAL', 10_000);

    await store.stop();
    const copy = new Database(store.file, { readonly: true });
    cleanups.push(() => copy.close());
    expect((copy.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n).toBe(3000);
  });
});
