/**
 * `mieruka store migrate`: brings the hub's SQLite database (hub.dataDir/mieruka.db) to this
 * release's schema. The hub does the same at start; scripts/install-pi.sh runs it during an
 * upgrade with the hub stopped, so a failing migration rolls the upgrade back before any restart.
 *
 * With `--to postgres://…` it moves that store into PostgreSQL (fleet mode, docs/scaling.md):
 * the SQLite side is brought to this release's schema, the PostgreSQL side created, and every
 * row copied in one transaction (sqlite-to-postgres.ts in the broker).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { copySqliteToPostgres, databaseInUse, isPostgresUrl, migratePostgres, openDatabase, openPostgres, PostgresSqlStore, SCHEMA_VERSION } from '@mieruka/broker';
import { MierukaError, redactUrl } from '@mieruka/protocol';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { prune } from './options.js';

/** The schema version recorded in the file, without changing it (0: new or empty database). */
function recordedVersion(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
    if (!table) return 0;
    return (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  } finally {
    db.close();
  }
}

export function registerStoreCommand(program: Command, ctx: CliContext): void {
  const store = program.command('store').description("the hub's database");
  store
    .command('migrate')
    .description(`bring the database to this release's schema (version ${SCHEMA_VERSION}); the hub also does it at start`)
    .option('-c, --config <file>', 'config file (default: ./mieruka.yaml or /etc/mieruka/mieruka.yaml; env MIERUKA_CONFIG)')
    .option('--data-dir <dir>', "the hub's data directory (default: hub.dataDir from the config, ./data)")
    .option('--from <store>', 'with --to: the store to move, sqlite:<data dir> (default: sqlite:<the data dir above>)')
    .option('--to <url>', 'move the store into PostgreSQL, postgres://user@host:5432/db (an empty database; the password from ~/.pgpass or PGPASSWORD rather than the URL)')
    .action(async (opts: { config?: string; dataDir?: string; from?: string; to?: string }) => {
      const { config } = loadConfig({ file: opts.config, env: ctx.env, cwd: ctx.cwd, overrides: prune({ hub: { dataDir: opts.dataDir } }) });
      if (opts.from !== undefined && opts.to === undefined) throw new MierukaError('CONFIG_INVALID', '--from needs --to postgres://…: where should the store go?');
      let dataDir = resolve(ctx.cwd, config.hub.dataDir);
      if (opts.from !== undefined) {
        const m = /^sqlite:(.+)$/.exec(opts.from);
        if (!m) throw new MierukaError('CONFIG_INVALID', `--from ${opts.from}: give the SQLite store as sqlite:<data dir>, e.g. sqlite:/var/lib/mieruka`);
        dataDir = resolve(ctx.cwd, m[1]!);
      }
      const file = join(dataDir, 'mieruka.db');
      if (opts.to !== undefined && !isPostgresUrl(opts.to)) throw new MierukaError('CONFIG_INVALID', `--to ${redactUrl(opts.to)}: give a PostgreSQL URL, postgres://user@host:5432/database`);
      if (opts.to !== undefined && !existsSync(file)) throw new MierukaError('NOT_FOUND', `no SQLite store at ${file}`);
      const before = recordedVersion(file);
      // openDatabase migrates, in one transaction per step; a database newer than this release is refused.
      openDatabase(file).close();
      ctx.print(before === SCHEMA_VERSION ? `${file}: schema version ${SCHEMA_VERSION}, up to date` : `${file}: schema version ${before} → ${SCHEMA_VERSION}`);
      if (opts.to !== undefined) await moveToPostgres(ctx, file, opts.to);
    });
}

async function moveToPostgres(ctx: CliContext, file: string, url: string): Promise<void> {
  // A hub still writing would add rows after the copy read its table: they would be lost.
  if (databaseInUse(file)) throw new MierukaError('CONFLICT', `${file} is open (is the hub running? stop it first: sudo systemctl stop mieruka-hub)`);
  const shown = redactUrl(url);
  const pool = await openPostgres(url, { applicationName: 'mieruka store migrate' });
  try {
    const schema = await migratePostgres(pool, () => Date.now());
    ctx.print(schema.from === schema.to ? `${shown}: schema version ${schema.to}, up to date` : `${shown}: schema version ${schema.from} → ${schema.to}`);
    const sqlite = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const copied = await copySqliteToPostgres(sqlite, new PostgresSqlStore(pool));
      for (const t of copied.tables) if (t.rows > 0) ctx.print(`  ${t.table}: ${t.rows} rows`);
      ctx.print(`${file} → ${shown}: ${copied.rows} rows in ${copied.tables.length} tables, counts checked table by table`);
    } finally {
      sqlite.close();
    }
  } finally {
    await pool.end();
  }
}
