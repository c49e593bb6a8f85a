import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-support/helpers.js';
import { openDatabase } from './database.js';
import { RowWriter, type RowObserver, type StoreRow } from './rows.js';

describe('RowWriter observers', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('tells observers which rows were new, ends each batch, and a throwing observer loses no data row', async () => {
    const dir = await makeTempDir('rows-');
    const db = openDatabase(join(dir.path, 'm.db'));
    cleanup.push(async () => {
      db.close();
      await dir.remove();
    });
    const seen: Array<[string, number, boolean]> = [];
    let ends = 0;
    let resets = 0;
    const watcher: RowObserver = { stored: (r, inserted) => void seen.push([r.kind, (r as { seq: number }).seq, inserted]), batchEnd: () => void ends++, rolledBack: () => void resets++ };
    const broken: RowObserver = {
      stored: () => {
        throw new Error('observer bug');
      },
      batchEnd: () => undefined,
      rolledBack: () => void resets++,
    };
    const errors: unknown[] = [];
    const writer = new RowWriter(db, [watcher, broken], (err) => errors.push(err));
    const t = Date.now();
    const reading = (seq: number): StoreRow => ({ kind: 'reading', site: 'factory', node: 'mill-1', receivedAt: t, ts: t + seq, seq, irms: [1] });

    expect(writer.write([reading(1), reading(2)])).toBe(2);
    expect(writer.write([reading(2), reading(3)])).toBe(1);
    expect(seen).toEqual([
      ['reading', 1, true],
      ['reading', 2, true],
      ['reading', 2, false],
      ['reading', 3, true],
    ]);
    expect(ends).toBe(2);
    // The broken observer was reset after each of its four failures; every reading is stored.
    expect(errors).toHaveLength(4);
    expect(resets).toBe(4);
    expect(db.prepare('SELECT seq FROM readings ORDER BY seq').pluck().all()).toEqual([1, 2, 3]);
  });
});
