/**
 * `mieruka store migrate`: brings the hub's SQLite database (hub.dataDir/mieruka.db) to this
 * release's schema. The hub does the same at start; scripts/install-pi.sh runs it during an
 * upgrade with the hub stopped, so a failing migration rolls the upgrade back before any restart.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { openDatabase, SCHEMA_VERSION } from '@mieruka/broker';
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
    .action((opts: { config?: string; dataDir?: string }) => {
      const { config } = loadConfig({ file: opts.config, env: ctx.env, cwd: ctx.cwd, overrides: prune({ hub: { dataDir: opts.dataDir } }) });
      const file = join(resolve(ctx.cwd, config.hub.dataDir), 'mieruka.db');
      const before = recordedVersion(file);
      // openDatabase migrates, in one transaction per step; a database newer than this release is refused.
      openDatabase(file).close();
      ctx.print(before === SCHEMA_VERSION ? `${file}: schema version ${SCHEMA_VERSION}, up to date` : `${file}: schema version ${before} → ${SCHEMA_VERSION}`);
    });
}
