/**
 * The outbox on real SQLite files in a temp dir: order, bounds (oldest dropped, counted and
 * kept across reopening), a damaged file set aside, and the in-memory fallback.
 */
import { openSync, readdirSync, readFileSync, writeFileSync, closeSync, writeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { Outbox } from './outbox.js';

const logger = pino({ level: 'silent' });

function recordingLogger(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger: Logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { logger, lines };
}

const all = (o: Outbox) => [...o.rowsAfter(0)].map((r) => r.payload.toString());

describe('Outbox', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });
  async function tempFile() {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    return { dir: dir.path, file: join(dir.path, 'sub', 'outbox.db') };
  }
  function open(options: Partial<ConstructorParameters<typeof Outbox>[0]> & { file: string | undefined }) {
    const o = new Outbox({ logger, ...options });
    o.open();
    cleanups.push(() => o.close());
    return o;
  }

  it('keeps messages in insertion order, on disk in WAL mode, until removed', async () => {
    const { file } = await tempFile();
    let t = 1000;
    const a = open({ file, now: () => t++ });
    for (let i = 0; i < 5; i++) a.append('mieruka/v1/f/m/current', Buffer.from(`m${i}`), i === 2);
    expect(a.stats()).toMatchObject({ queued: 5, oldestTs: 1000, dropped: 0, persistent: true });
    const rows = [...a.rowsAfter(0)];
    expect(rows.map((r) => r.retain)).toEqual([false, false, true, false, false]);
    a.remove([rows[0]!.id, rows[1]!.id, 999_999]);
    expect(a.stats()).toMatchObject({ queued: 3, oldestTs: 1002 });
    a.close();

    // Another process (sqlite3, a restarted agent) sees the same rows.
    const b = open({ file });
    expect(all(b)).toEqual(['m2', 'm3', 'm4']);
    expect([...b.rowsAfter(rows[3]!.id)].map((r) => r.payload.toString())).toEqual(['m4']);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    b.remove([...b.rowsAfter(0)].map((r) => r.id));
    expect(b.stats()).toMatchObject({ queued: 0, bytes: 0, oldestTs: null });
    // Ids are never reused, so a forwarder's cursor never skips a new message.
    b.append('t', Buffer.from('new'), false);
    expect([...b.rowsAfter(rows[4]!.id)].map((r) => r.payload.toString())).toEqual(['new']);
  });

  it('drops the oldest when full, counts them, and keeps the count across reopening', async () => {
    const { file } = await tempFile();
    const a = open({ file, maxMessages: 3 });
    const dropped = [0, 1, 2, 3, 4].map((i) => a.append('t', Buffer.from(`m${i}`), false));
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect(all(a)).toEqual(['m2', 'm3', 'm4']);
    expect(a.stats()).toMatchObject({ queued: 3, dropped: 2 });
    a.close();
    // A lowered bound drops the surplus at the next append, in one go.
    const b = open({ file, maxMessages: 1 });
    expect(b.append('t', Buffer.from('m5'), false)).toBe(3);
    expect(all(b)).toEqual(['m5']);
    expect(b.stats()).toMatchObject({ queued: 1, dropped: 5 });
  });

  it('bounds the bytes too (images), always keeping the newest message', async () => {
    const { file } = await tempFile();
    const a = open({ file, maxBytes: 250 });
    a.append('t', Buffer.alloc(100, 1), false); // 101 bytes with the topic
    a.append('t', Buffer.alloc(100, 2), false);
    expect(a.stats()).toMatchObject({ queued: 2, bytes: 202, dropped: 0 });
    expect(a.append('t', Buffer.alloc(100, 3), false)).toBe(1);
    expect([...a.rowsAfter(0)].map((r) => r.payload[0])).toEqual([2, 3]);
    expect(a.append('t', Buffer.alloc(400, 4), false)).toBe(2); // bigger than the bound: alone
    expect(a.stats()).toMatchObject({ queued: 1, bytes: 401, dropped: 3 });
  });

  it('sets a file that is not a database aside, logs it loudly and starts afresh', async () => {
    const { file, dir } = await tempFile();
    const a = open({ file });
    a.append('t', Buffer.from('x'), false);
    a.close();
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const { logger: rec, lines } = recordingLogger();
    const b = open({ file, logger: rec, now: () => 1234 });
    expect(b.stats()).toMatchObject({ queued: 0, corruptSetAside: 1, persistent: true });
    b.append('t', Buffer.from('y'), false);
    expect(all(b)).toEqual(['y']);
    expect(readdirSync(join(dir, 'sub'))).toContain('outbox.db.corrupt-1234');
    expect(readFileSync(join(dir, 'sub', 'outbox.db.corrupt-1234'))[0]).toBe(0x5a);
    expect(lines.some((l) => l.level >= 50 && /OUTBOX CORRUPT/.test(l.msg))).toBe(true);
  });

  it('sets a database with a damaged page aside (quick_check), instead of failing later', async () => {
    const { file, dir } = await tempFile();
    const a = open({ file });
    for (let i = 0; i < 400; i++) a.append('mieruka/v1/f/m/current', Buffer.alloc(200, i % 256), false);
    a.close();
    // Scribble over a b-tree page in the middle of the (checkpointed) file.
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(8 * 4096);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, 4 * 4096);
    closeSync(fd);
    const b = open({ file, now: () => 77 });
    expect(b.stats()).toMatchObject({ queued: 0, corruptSetAside: 1 });
    expect(readdirSync(join(dir, 'sub'))).toContain('outbox.db.corrupt-77');
  });

  it('keeps a queue in memory when the directory cannot hold a file, and says so', async () => {
    const { dir } = await tempFile();
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    const { logger: rec, lines } = recordingLogger();
    const o = open({ file: join(dir, 'not-a-dir', 'outbox.db'), logger: rec });
    o.append('t', Buffer.from('z'), false);
    expect(o.stats()).toMatchObject({ queued: 1, persistent: false });
    expect(lines.some((l) => /OUTBOX IN MEMORY/.test(l.msg))).toBe(true);
    const mem = open({ file: undefined });
    expect(mem.stats().persistent).toBe(false);
  });
});
