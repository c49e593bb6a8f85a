/**
 * RowWriter on both databases the hub can store into (the SQLite file, a real PostgreSQL 15):
 * the same rows, duplicates ignored, observers told what was new, and a throwing observer costs
 * no data row.
 */
import { describe, expect, it } from 'vitest';
import { sqlBackends } from '../test-support/sql-backends.js';
import { RowWriter, type RowObserver, type StoreRow } from './rows.js';

const backends = sqlBackends();

describe.each(backends.each)('RowWriter on %s', (_name, open) => {
  it('tells observers which rows were new, ends each batch, and a throwing observer loses no data row', async () => {
    const { sql } = await open();
    const seen: Array<[string, number, boolean]> = [];
    let ends = 0;
    let resets = 0;
    const watcher: RowObserver = { stored: (_tx, r, inserted) => void seen.push([r.kind, (r as { seq: number }).seq, inserted]), batchEnd: () => void ends++, rolledBack: () => void resets++ };
    const broken: RowObserver = {
      stored: () => {
        throw new Error('observer bug');
      },
      batchEnd: () => undefined,
      rolledBack: () => void resets++,
    };
    const errors: unknown[] = [];
    const writer = new RowWriter(sql, [watcher, broken], (err) => errors.push(err));
    const t = Date.now();
    const reading = (seq: number): StoreRow => ({ kind: 'reading', site: 'factory', node: 'mill-1', receivedAt: t, ts: t + seq, seq, irms: [1] });

    expect(await writer.write([reading(1), reading(2)])).toBe(2);
    expect(await writer.write([reading(2), reading(3)])).toBe(1);
    // Each batch: the watcher saw its first row, then the broken observer threw, the batch was
    // rolled back and written again without it.
    expect(seen).toEqual([
      ['reading', 1, true],
      ['reading', 1, true],
      ['reading', 2, true],
      ['reading', 2, false],
      ['reading', 2, false],
      ['reading', 3, true],
    ]);
    expect(ends).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['observer bug', 'observer bug']);
    // Both observers are reset at each rollback.
    expect(resets).toBe(4);
    expect((await sql.all<{ seq: number }>('SELECT seq FROM readings ORDER BY seq')).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('awaits observers that answer with a promise, in row order, and one that rejects loses no data row', async () => {
    const { sql } = await open();
    const seen: Array<[number, number]> = [];
    // Asks the database about each row before it answers: the next row must wait for it.
    const slow: RowObserver = {
      stored: async (tx, r) => {
        const { n } = (await tx.get<{ n: number }>('SELECT count(*) AS n FROM readings'))!;
        seen.push([(r as { seq: number }).seq, n]);
      },
      batchEnd: () => undefined,
      rolledBack: () => undefined,
    };
    const rejecting: RowObserver = {
      stored: async (_tx, r) => {
        if ((r as { seq: number }).seq === 2) throw new Error('async observer bug');
      },
      batchEnd: () => undefined,
      rolledBack: () => undefined,
    };
    const errors: unknown[] = [];
    const writer = new RowWriter(sql, [slow, rejecting], (err) => errors.push(err));
    const t = Date.now();
    const reading = (seq: number): StoreRow => ({ kind: 'reading', site: 'factory', node: 'mill-1', receivedAt: t, ts: t + seq, seq, irms: [1] });
    expect(await writer.write([reading(1), reading(2), reading(3)])).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(['async observer bug']);
    // First try: rows 1 and 2 told (then rolled back); second, without the rejecting one, all three.
    expect(seen.map(([seq]) => seq)).toEqual([1, 2, 1, 2, 3]);
    if (sql.dialect === 'sqlite') expect(seen.slice(2).map(([, n]) => n)).toEqual([1, 2, 3]);
    expect((await sql.all<{ seq: number }>('SELECT seq FROM readings ORDER BY seq')).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('writes a run of readings in one statement and still tells each one, a key twice in the run new only the first time', async () => {
    const { sql } = await open();
    const seen: Array<[number, boolean]> = [];
    const writer = new RowWriter(sql, [{ stored: (_tx, r, inserted) => void seen.push([(r as { seq: number }).seq, inserted]), batchEnd: () => undefined, rolledBack: () => undefined }]);
    const t = Date.now();
    const reading = (seq: number, node = 'mill-1'): StoreRow => ({ kind: 'reading', site: 'factory', node, receivedAt: t, ts: t + seq, seq, irms: [seq] });
    await writer.write([reading(1)]);
    // 600 readings (more than one statement holds), one already stored, one twice, a status between.
    const rows: StoreRow[] = Array.from({ length: 600 }, (_, i) => reading(i));
    rows.splice(300, 0, reading(299), { kind: 'status', site: 'factory', node: 'mill-1', receivedAt: t, ts: t, online: true, agent: 'bridge', version: '1', detail: null });
    expect(await writer.write(rows)).toBe(599);
    expect(seen.slice(1, 4)).toEqual([[0, true], [1, false], [2, true]]);
    expect(seen.filter(([seq]) => seq === 299)).toEqual([[299, true], [299, false]]);
    expect(seen).toHaveLength(1 + 601);
    expect((await sql.get<{ n: number }>('SELECT count(*) AS n FROM readings'))?.n).toBe(600);
  });

  it('writes every kind of row, upserts the node and its counters, and keeps the later last_seen', async () => {
    const { sql } = await open();
    const writer = new RowWriter(sql);
    const t = Date.now();
    const where = { site: 'factory', node: 'mill-1' };
    const rows: StoreRow[] = [
      { kind: 'status', ...where, receivedAt: t, ts: t, online: true, agent: 'bridge', version: '1.2.0', detail: null },
      { kind: 'reading', ...where, receivedAt: t + 1, ts: t, seq: 1, irms: [1.5, 0] },
      { kind: 'state', ...where, receivedAt: t + 2, ts: t, state: 'running', since: t, irms: [1.5] },
      { kind: 'event', ...where, receivedAt: t + 3, ts: t, seq: 2, type: 'job_started', data: { a: 1 } },
      { kind: 'clutter', site: 'factory', node: 'bench-1', receivedAt: t, ts: t, seq: 1, score: 12.5, coveredRatio: 0.125, slot: '08:00', imageId: null },
      { kind: 'motion', site: 'factory', node: 'bench-1', receivedAt: t, ts: t, active: true },
      { kind: 'ingest-error', site: 'factory', node: 'mill-1', receivedAt: t, reason: 'schema', message: 'bad' },
      { kind: 'ingest-error', site: 'factory', node: 'mill-1', receivedAt: t + 5, reason: 'schema', message: 'worse' },
      { kind: 'join-request', site: 'factory', node: 'stranger', receivedAt: t },
      { kind: 'join-request', site: 'factory', node: 'stranger', receivedAt: t + 9 },
      { kind: 'seen', ...where, receivedAt: t - 1000 }, // older: last_seen stays the latest
    ];
    expect(await writer.write(rows)).toBe(5);
    // A status going offline later marks the machine's roll-ups dirty from then.
    expect(await writer.write([{ kind: 'status', ...where, receivedAt: t + 50, ts: t + 50, online: false, agent: 'bridge', version: '1.2.0', detail: 'bye' }])).toBe(0);

    expect(await sql.get('SELECT online, agent, version, detail, last_seen AS "lastSeen" FROM nodes WHERE site = ? AND node = ?', ['factory', 'mill-1'])).toEqual({ online: 0, agent: 'bridge', version: '1.2.0', detail: 'bye', lastSeen: t + 50 });
    expect(await sql.get('SELECT count, last_at AS "lastAt", last_message AS "lastMessage" FROM ingest_errors')).toEqual({ count: 2, lastAt: t + 5, lastMessage: 'worse' });
    expect(await sql.get('SELECT first_at AS "firstAt", last_at AS "lastAt", count FROM join_requests')).toEqual({ firstAt: t, lastAt: t + 9, count: 2 });
    expect(await sql.get('SELECT dirty_ts AS "dirtyTs" FROM rollup_cursors')).toEqual({ dirtyTs: t });
    expect((await sql.all<{ online: number }>('SELECT online FROM status_log ORDER BY ts')).map((r) => r.online)).toEqual([1, 0]);
    expect(await sql.get('SELECT irms FROM readings')).toEqual({ irms: '[1.5,0]' });
    expect(await sql.get('SELECT type, data FROM events')).toEqual({ type: 'job_started', data: '{"a":1}' });
    expect(await sql.get('SELECT score, covered_ratio AS "coveredRatio" FROM clutter')).toEqual({ score: 12.5, coveredRatio: 0.125 });
    expect(await sql.get('SELECT active FROM motion')).toEqual({ active: 1 });
  });
});
