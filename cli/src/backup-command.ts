/**
 * `mieruka backup <file>` and `mieruka restore <file>` (docs/backup.md).
 *
 * Backup works while the hub runs: the database through SQLite's online backup API (a
 * consistent copy, the hub keeps writing), then the images (each written atomically by the hub,
 * so a copy is never half a file), the ack-link secret, the config file and the ACL file. The
 * MQTT broker's state (<dataDir>/mqtt: retained messages, QoS 1 sessions) is left out: agents
 * republish their retained state when they reconnect. The archive holds password hashes and
 * secrets: it is written 0600.
 *
 * Restore refuses while anything has the database open (a running hub), checks every file
 * against the manifest, refuses a schema newer than this Mieruka, unpacks beside the data
 * directory and swaps it in with renames (the old one is kept as <dir>.before-restore-<time>).
 * The hub migrates the restored database at its next start, as after an upgrade.
 */
import { chmod, copyFile, lchown, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { MIERUKA_VERSION, MierukaError, systemNow } from '@mieruka/protocol';
import { makeDirs } from '@mieruka/protocol/node';
import { databaseInUse, SCHEMA_VERSION } from '@mieruka/broker';
import { listFiles, packArchive, syncFile, syncTree, unpackArchive, type Manifest } from './backup-archive.js';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { prune } from './options.js';

type DirOptions = { config?: string; dataDir?: string };

const DB_FILE = 'mieruka.db';
/** What of the data directory a backup holds besides the database. */
const DATA_EXTRAS = ['images', 'ack-secret'];

function dataDirOf(ctx: CliContext, opts: DirOptions): { dataDir: string; configFile: string | undefined; aclFile: string | undefined; site: string } {
  const { config, file } = loadConfig({ file: opts.config, env: ctx.env, cwd: ctx.cwd, overrides: prune({ hub: { dataDir: opts.dataDir } }) });
  const aclFile = config.hub.mqtt.aclFile ? resolve(ctx.cwd, config.hub.mqtt.aclFile) : undefined;
  return { dataDir: resolve(ctx.cwd, config.hub.dataDir), configFile: file, aclFile, site: config.site };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `2026-12-06T03-30-00Z`: sortable, and safe in a file name. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

async function copyTree(from: string, to: string): Promise<number> {
  const { files } = await listFiles(from);
  let n = 0;
  for (const f of files) {
    // The hub's temp files (".<name>.<hex>.tmp") are half-written images: not part of a backup.
    if (basename(f).startsWith('.')) continue;
    await makeDirs(dirname(join(to, f)));
    try {
      await copyFile(join(from, f), join(to, f));
      n += 1;
    } catch (err) {
      // Pruned by the hub between the listing and the copy.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return n;
}

export async function createBackup(ctx: CliContext, archive: string, opts: DirOptions): Promise<Manifest> {
  const { dataDir, configFile, aclFile, site } = dataDirOf(ctx, opts);
  const dbFile = join(dataDir, DB_FILE);
  if (!(await exists(dbFile))) throw new MierukaError('NOT_FOUND', `no database at ${dbFile}: is --data-dir (hub.dataDir) right?`);
  const target = resolve(ctx.cwd, archive);
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.`));
  try {
    await mkdir(join(staging, 'data'));
    // Read-only, no migration: the copy is of the database as the hub has it.
    const source = new Database(dbFile, { readonly: true, fileMustExist: true });
    let schemaVersion: number;
    try {
      // In one step: SQLite restarts a stepwise backup whenever another connection writes in
      // between, which the hub does every few hundred milliseconds, so on a large database a
      // backup of 100 pages per step would start over and over. One step is one read
      // transaction over a WAL snapshot: the hub keeps writing meanwhile.
      await source.backup(join(staging, 'data', DB_FILE), { progress: () => 0x7fffffff });
      schemaVersion = (source.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
    } finally {
      source.close();
    }
    for (const extra of DATA_EXTRAS) {
      const from = join(dataDir, extra);
      const info = await stat(from).catch(() => null);
      if (info?.isDirectory()) await copyTree(from, join(staging, 'data', extra));
      else if (info?.isFile()) await copyFile(from, join(staging, 'data', extra));
    }
    for (const file of [configFile, aclFile]) {
      if (!file || !(await exists(file))) continue;
      await makeDirs(join(staging, 'config'));
      await copyFile(file, join(staging, 'config', basename(file)));
    }
    const manifest = await packArchive(staging, `${target}.partial`, { version: MIERUKA_VERSION, schemaVersion, site, createdAt: new Date((ctx.now ?? systemNow)()).toISOString() });
    await chmod(`${target}.partial`, 0o600);
    await syncFile(`${target}.partial`);
    await rename(`${target}.partial`, target);
    await syncFile(target);
    return manifest;
  } catch (err) {
    await rm(`${target}.partial`, { force: true });
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The restored files get the owner and mode of the directory they replace: restore runs as
 * root (it renames inside /var/lib), the hub as the mieruka user. False when that was refused.
 */
async function takeOwnership(dir: string, owner: { uid: number; gid: number; mode: number }): Promise<boolean> {
  try {
    await chmod(dir, owner.mode);
    const { files } = await listFiles(dir);
    const paths = new Set<string>([dir]);
    for (const f of files) {
      const parts = f.split('/');
      for (let i = 1; i <= parts.length; i += 1) paths.add(join(dir, ...parts.slice(0, i)));
    }
    for (const path of paths) {
      const info = await stat(path);
      if (info.uid !== owner.uid || info.gid !== owner.gid) await lchown(path, owner.uid, owner.gid);
    }
    return true;
  } catch {
    return false;
  }
}

export async function restoreBackup(ctx: CliContext, archive: string, opts: DirOptions & { force?: boolean }): Promise<{ manifest: Manifest; dataDir: string; previous: string | null; ownedAsBefore: boolean }> {
  const { dataDir } = dataDirOf(ctx, opts);
  const source = resolve(ctx.cwd, archive);
  if (!(await exists(source))) throw new MierukaError('NOT_FOUND', `no backup at ${source}`);
  if (databaseInUse(join(dataDir, DB_FILE))) {
    throw new MierukaError('CONFLICT', `the database in ${dataDir} is open (is the hub running? stop it first: sudo systemctl stop mieruka-hub)`);
  }
  const nonEmpty = (await readdir(dataDir).catch(() => [])).length > 0;
  if (nonEmpty && !opts.force) throw new MierukaError('CONFLICT', `${dataDir} is not empty: add --force to replace it (it is kept as ${basename(dataDir)}.before-restore-<time>)`);

  await makeDirs(dirname(dataDir));
  const staging = await mkdtemp(join(dirname(dataDir), `.${basename(dataDir)}.restore-`));
  try {
    const manifest = await unpackArchive(source, staging);
    if (manifest.schemaVersion > SCHEMA_VERSION) {
      throw new MierukaError('CONFLICT', `the backup's database schema (${manifest.schemaVersion}) is newer than this Mieruka's (${SCHEMA_VERSION}): upgrade Mieruka first`);
    }
    const restored = join(staging, 'data');
    if (!(await exists(join(restored, DB_FILE)))) throw new MierukaError('BAD_REQUEST', `${source} holds no database`);
    await syncTree(restored);
    // The config and ACL files are not put in place: they go beside the data for the admin to compare.
    if (await exists(join(staging, 'config'))) await rename(join(staging, 'config'), join(restored, 'backup-config'));
    let previous: string | null = null;
    let owner: { uid: number; gid: number; mode: number } | null = null;
    if (await exists(dataDir)) {
      const info = await stat(dataDir);
      owner = { uid: info.uid, gid: info.gid, mode: info.mode & 0o7777 };
      previous = `${dataDir}.before-restore-${stamp((ctx.now ?? systemNow)())}`;
      await rename(dataDir, previous);
    }
    await rename(restored, dataDir);
    await syncFile(dataDir);
    const ownedAsBefore = owner ? await takeOwnership(dataDir, owner) : true;
    return { manifest, dataDir, previous, ownedAsBefore };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function withDirOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: ./mieruka.yaml or /etc/mieruka/mieruka.yaml; env MIERUKA_CONFIG)')
    .option('--data-dir <dir>', "the hub's data directory (default: hub.dataDir from the config, ./data)");
}

export function registerBackupCommands(program: Command, ctx: CliContext): void {
  withDirOptions(program.command('backup <file>').description('write the database, images, config and accounts into one archive (.tar.gz, mode 0600); safe while the hub runs')).action(
    async (file: string, opts: DirOptions) => {
      const manifest = await createBackup(ctx, file, opts);
      const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
      ctx.print(`wrote ${resolve(ctx.cwd, file)}: ${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'}, ${(bytes / 1024 / 1024).toFixed(1)} MiB before compression, schema ${manifest.schemaVersion}`);
      ctx.print('it holds password hashes and secrets: keep it where only admins can read it');
    },
  );
  withDirOptions(program.command('restore <file>').description('replace the data directory with a backup (the hub must be stopped; the old directory is kept)'))
    .option('--force', 'replace a data directory that is not empty')
    .action(async (file: string, opts: DirOptions & { force?: boolean }) => {
      const { manifest, dataDir, previous, ownedAsBefore } = await restoreBackup(ctx, file, opts);
      ctx.print(`restored the backup of ${manifest.createdAt} (Mieruka ${manifest.version}, schema ${manifest.schemaVersion}) into ${dataDir}`);
      if (previous) ctx.print(`the previous data directory is kept as ${previous}`);
      if (!ownedAsBefore) ctx.print(`warning: cannot give the restored files the previous owner: run  sudo chown -R mieruka:mieruka ${dataDir}`);
      const configDir = join(dataDir, 'backup-config');
      if (await exists(configDir)) ctx.print(`the backup's config files are in ${configDir}: compare them with yours`);
      ctx.print('start the hub: it migrates the database if needed');
    });
}
