/**
 * `mieruka store migrate --from sqlite:<dir> --to postgres://…` against a real PostgreSQL 15
 * (Debian's server in a temp dir): every row of every table arrives exactly, ids and all; an
 * occupied target, a running hub and wrong arguments are refused with nothing changed; the
 * password in the URL is never printed.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, openPostgres, schemaTables } from '@mieruka/broker';
import { startPostgres, type RunningPostgres } from '../../test/helpers/postgres-server.js';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import type { CliContext } from './context.js';
import { buildProgram } from './program.js';

const ROWS = 7;
/** Values the CHECK constraints and foreign keys of the schema accept. */
const FIXED: Record<string, Record<string, (i: number) => unknown>> = {
  mail_queue: { status: () => 'pending' },
  mqtt_accounts: { kind: () => 'node' },
  quality_entries: { source: () => 'kiosk' },
  users: { role: (i) => (i % 2 === 0 ? 'admin' : 'viewer') },
  alarm_events: { alarm_id: (i) => `id-${i}-見える化` },
};

/** Rows in every table: whole and fractional numbers, Japanese text, NULLs in every nullable column. */
function fillEveryTable(db: Database.Database, base: number): number {
  let total = 0;
  for (const table of schemaTables()) {
    const cols = db.prepare('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?) ORDER BY cid').all(table) as Array<{ name: string; type: string; nn: number; pk: number }>;
    const insert = db.prepare(`INSERT INTO ${table} (${cols.map((c) => `"${c.name}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    for (let i = 0; i < ROWS; i++) {
      insert.run(
        ...cols.map((c) => {
          const fixed = FIXED[table]?.[c.name];
          if (fixed) return fixed(i);
          if (c.nn === 0 && c.pk === 0 && i % 3 === 2) return null;
          switch (c.type.toUpperCase()) {
            case 'INTEGER':
              return c.pk > 0 && c.name === 'id' ? 10 + i * 7 : c.pk > 0 && c.name === 'version' ? i + 1 : base + i * 1000;
            case 'REAL':
              return i + 0.125;
            case 'BLOB':
              return Buffer.from([i, 0, 255]);
            default:
              return `${c.name}-${i}-見える化`;
          }
        }),
      );
      total++;
    }
  }
  return total;
}

let server: RunningPostgres;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  server = await startPostgres();
  cleanups.push(() => server.stop());
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function run(dir: string, args: string[]): Promise<string[]> {
  const out: string[] = [];
  const ctx: CliContext = { env: {}, cwd: dir, print: (l) => out.push(l), keepRunning: () => undefined };
  await buildProgram(ctx).parseAsync(['node', 'mieruka', 'store', 'migrate', ...args]);
  return out;
}

async function rowsOf(pool: Pool, table: string, order: string): Promise<unknown[][]> {
  return (await pool.query({ text: `SELECT * FROM ${table} ORDER BY ${order}`, rowMode: 'array' })).rows as unknown[][];
}

describe('mieruka store migrate --to postgres://', () => {
  it('moves every row of every table into an empty PostgreSQL database, exactly, and the ids continue after the copied ones', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const db = openDatabase(join(dir.path, 'mieruka.db'));
    const base = Date.now();
    const total = fillEveryTable(db, base);
    db.close();
    await server.createDatabase('copy_all');

    const out = await run(dir.path, ['--from', `sqlite:${dir.path}`, '--to', server.url('copy_all')]);
    expect(out.at(-1)).toMatch(new RegExp(`: ${total} rows in ${schemaTables().length} tables, counts checked table by table$`));
    expect(out.join('\n')).not.toContain(server.password);

    const pool = await openPostgres(server.url('copy_all'));
    cleanups.push(() => pool.end());
    const sqlite = new Database(join(dir.path, 'mieruka.db'), { readonly: true });
    try {
      for (const table of schemaTables()) {
        const pk = (sqlite.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').all(table) as Array<{ name: string }>).map((c) => `"${c.name}"`);
        const order = pk.length > 0 ? pk.join(', ') : '1';
        const expected = sqlite.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).raw(true).all() as unknown[][];
        expect(expected, table).toHaveLength(ROWS);
        expect(await rowsOf(pool, table, order), table).toEqual(expected);
      }
    } finally {
      sqlite.close();
    }
    // A new reading gets the next id after the copied ones (10 + 6·7 = 52).
    const next = await pool.query<{ id: number }>("INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES ('f', 'm', 1, 999, '[1]', 1) RETURNING id");
    expect(next.rows[0]?.id).toBe(53);
  });

  it('refuses a target that already holds rows, and one whose hub is still running, changing nothing', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const db = openDatabase(join(dir.path, 'mieruka.db'));
    fillEveryTable(db, Date.now());
    db.close();
    await server.createDatabase('occupied');
    await run(dir.path, ['--to', server.url('occupied'), '--data-dir', dir.path]);
    const pool = await openPostgres(server.url('occupied'));
    cleanups.push(() => pool.end());
    const count = async () => (await pool.query<{ n: number }>('SELECT COUNT(*)::bigint AS n FROM readings')).rows[0]?.n;
    const before = await count();

    await expect(run(dir.path, ['--to', server.url('occupied'), '--data-dir', dir.path])).rejects.toThrow(/already holds rows in "[a-z_]+": migrate into an empty database/);
    expect(await count()).toBe(before);

    await server.createDatabase('while_running');
    const hub = openDatabase(join(dir.path, 'mieruka.db')); // a running hub holds the file open
    try {
      const err = await run(dir.path, ['--to', server.url('while_running'), '--data-dir', dir.path]).then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/is open \(is the hub running\?/);
    } finally {
      hub.close();
    }
  });

  it('says what is wrong with its arguments, without printing the password', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    await expect(run(dir.path, ['--from', `sqlite:${dir.path}`])).rejects.toThrow(/--from needs --to postgres:\/\//);
    await expect(run(dir.path, ['--from', dir.path, '--to', server.url()])).rejects.toThrow(/sqlite:<data dir>/);
    await expect(run(dir.path, ['--to', server.url(), '--data-dir', join(dir.path, 'nothing-here')])).rejects.toThrow(/no SQLite store at/);
    const wrongScheme = await run(dir.path, ['--data-dir', dir.path, '--to', `mysql://root:${server.password}@127.0.0.1/x`]).then(() => null, (e: Error) => e);
    expect(wrongScheme?.message).toMatch(/give a PostgreSQL URL/);
    expect(wrongScheme?.message).not.toContain(server.password);
  });
});
