/**
 * `mieruka backup` / `mieruka restore` round trip: a real hub with readings, users, device
 * accounts, images and alarms is backed up while a client keeps publishing, restored into a
 * new directory, and a hub started there serves the same data. Damaged archives, a running
 * hub and a backup from a newer schema are refused.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, MIERUKA_VERSION, parseConfig, topicFor } from '@mieruka/protocol';
import { DeviceAccounts, Hub, SCHEMA_VERSION } from '@mieruka/broker';
import { closeClient, connectClient, fakeJpeg, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';
import { listFiles, packArchive } from './backup-archive.js';
import type { CliContext } from './context.js';
import { buildProgram } from './program.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const T0 = 1_764_000_000_000;
/** The clock handed to the hubs and the CLI; fixture dates are built from it. */
const now = () => T0 + 3_600_000;

function hubAt(dataDir: string): Hub {
  const config = parseConfig({ overrides: { hub: { dataDir, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, ingest: { flushIntervalMs: 20 } }, dashboard: { adminPassword: 'round-trip-pw-1' } } });
  const hub = new Hub({ config, logger: silentLogger, now });
  cleanups.push(() => hub.stop());
  return hub;
}

async function cli(cwd: string, args: string[]): Promise<{ out: string[]; error: Error | null }> {
  const out: string[] = [];
  const ctx: CliContext = { env: {}, cwd, print: (line) => out.push(line), keepRunning: () => undefined, now };
  try {
    await buildProgram(ctx).parseAsync(['node', 'mieruka', ...args]);
    return { out, error: null };
  } catch (err) {
    return { out, error: err as Error };
  }
}

const rows = (db: Database, sql: string) => db.prepare(sql).all();

describe('mieruka backup and restore', () => {
  it('round trip while ingest continues: the restored hub serves the same data', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const origin = join(dir.path, 'data');
    const hub = hubAt(origin);
    await hub.start();
    const db = hub.store.database;
    await new DeviceAccounts({ db, logger: silentLogger, now }).add('factory/mill-1', 'device-password-1', 'node');
    db.prepare(
      `INSERT INTO alarms (id, site, node, type, severity, message_ja, message_en, details, active, active_since, last_raised_at, occurrences, clear_after_ms, acknowledged, notified_level, created_at, updated_at)
       VALUES ('a-1', 'factory', 'mill-1', 'stopped', 'warning', '停止', 'stopped', '{}', 1, ?, ?, 1, 0, 0, 0, ?, ?)`,
    ).run(T0, T0, T0, T0);
    // Older history, so the database spans many pages (a backup copying part by part would restart at every write).
    const old = db.prepare("INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES ('factory', 'lathe-9', ?, ?, '[1.5,0.2,3.25]', ?)");
    db.transaction(() => {
      for (let i = 1; i <= 30_000; i += 1) old.run(T0 - i * 1000, i, T0 - i * 1000);
    })();
    const client = await connectClient(hub.mqttUrl);
    cleanups.push(() => closeClient(client));
    await client.publishAsync(topicFor('factory', 'bench-1', 'clutter'), encodePayload('clutter', { ts: T0, seq: 1, score: 12, coveredRatio: 0.12, slot: '09:00', imageId: 'img-1' }), { qos: 1 });
    await client.publishAsync(topicFor('factory', 'bench-1', 'image'), fakeJpeg(7, 4096), { qos: 1 });
    await waitFor(() => hub.images.has('factory', 'bench-1', 'img-1'), 'the image on disk');

    // Readings keep arriving during the backup.
    let seq = 0;
    let stop = false;
    const publishing = (async () => {
      while (!stop) {
        seq += 1;
        await client.publishAsync(topicFor('factory', 'mill-1', 'current'), encodePayload('current', { ts: T0 + seq, seq, irms: [seq / 10] }), { qos: 1 });
      }
    })();
    await waitFor(() => seq > 200, 'readings before the backup');
    const archive = join(dir.path, 'backup.tar.gz');
    const backup = await cli(dir.path, ['backup', archive, '--data-dir', origin]);
    expect(backup.error).toBeNull();
    expect(backup.out.join('\n')).toMatch(/^wrote .*backup\.tar\.gz: \d+ files/);
    await waitFor(() => seq > 400, 'readings after the backup');
    stop = true;
    await publishing;
    expect((await stat(archive)).mode & 0o777).toBe(0o600);

    // Refused while the hub has the database open, even with --force.
    const whileRunning = await cli(dir.path, ['restore', archive, '--data-dir', origin, '--force']);
    expect(whileRunning.error?.message).toMatch(/is the hub running/);

    const restoredDir = join(dir.path, 'restored');
    const restore = await cli(dir.path, ['restore', archive, '--data-dir', restoredDir]);
    expect(restore.error).toBeNull();
    expect(restore.out[0]).toMatch(new RegExp(`restored the backup of ${new Date(now()).toISOString()} \\(Mieruka ${MIERUKA_VERSION.replace(/\./g, '\\.')}, schema ${SCHEMA_VERSION}\\)`));

    const restored = hubAt(restoredDir);
    await restored.start();
    const rdb = restored.store.database;
    expect(rdb.prepare("SELECT count(*) FROM readings WHERE node = 'lathe-9'").pluck().get()).toBe(30_000);
    const backedUp = rdb.prepare("SELECT count(*) FROM readings WHERE node = 'mill-1'").pluck().get() as number;
    // A consistent snapshot taken mid-stream: some readings, and every one as the origin has it.
    expect(backedUp).toBeGreaterThan(200);
    expect(backedUp).toBeLessThan((await hub.store.count('readings')) - 30_000);
    const sample = rows(rdb, "SELECT seq, ts, irms FROM readings WHERE node = 'mill-1' ORDER BY seq LIMIT 50");
    expect(rows(db, "SELECT seq, ts, irms FROM readings WHERE node = 'mill-1' ORDER BY seq LIMIT 50")).toEqual(sample);
    expect(rows(rdb, "SELECT seq FROM readings WHERE node = 'mill-1' ORDER BY seq").map((r) => (r as { seq: number }).seq)).toEqual(Array.from({ length: backedUp }, (_, i) => i + 1));
    for (const sql of ['SELECT username, password_hash, role FROM users', 'SELECT name, kind, password_hash FROM mqtt_accounts', 'SELECT id, active, message_ja FROM alarms', 'SELECT seq, score, image_id FROM clutter']) {
      expect(rows(rdb, sql), sql).toEqual(rows(db, sql));
    }
    expect(await restored.users.verify('admin', 'round-trip-pw-1')).toBeTruthy();
    expect(await restored.dataSource.readImage('factory', 'bench-1', 'img-1')).toEqual(fakeJpeg(7, 4096));
    expect(restored.dataSource.listNodes().map((n) => n.node).sort()).toEqual(['bench-1', 'mill-1']);
    // The restored hub prunes as any other; its last run shows in the System page's data.
    expect((await restored.dataSource.systemInfo()).retention).toMatchObject({ readingsDays: 90, at: '03:30', lastRun: null });
    expect((await restored.dataSource.systemInfo()).retention?.nextRunAt).toBeGreaterThan(now());
    await restored.retention.prune();
    expect((await restored.dataSource.systemInfo()).retention?.lastRun).toMatchObject({ startedAt: now(), total: 0 });
    await restored.stop();

    // Into a directory that is not empty: only with --force, and the old one is kept.
    const again = await cli(dir.path, ['restore', archive, '--data-dir', restoredDir]);
    expect(again.error?.message).toMatch(/is not empty: add --force/);
    await chmod(restoredDir, 0o750);
    const forced = await cli(dir.path, ['restore', archive, '--data-dir', restoredDir, '--force']);
    expect(forced.error).toBeNull();
    // The restored directory takes the place of the old one, mode and owner included.
    expect((await stat(restoredDir)).mode & 0o777).toBe(0o750);
    expect(forced.out.join('\n')).not.toMatch(/chown/);
    const kept = `restored.before-restore-${new Date(now()).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}`;
    expect(await readdir(dir.path)).toContain(kept);
    expect((await readdir(join(dir.path, kept))).includes('mieruka.db')).toBe(true);
  });

  it('refuses a truncated, a tampered and a newer-schema archive, and changes nothing', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const origin = join(dir.path, 'data');
    const hub = hubAt(origin);
    await hub.start();
    await hub.stop();
    const archive = join(dir.path, 'good.tar.gz');
    expect((await cli(dir.path, ['backup', archive, '--data-dir', origin])).error).toBeNull();
    const bytes = await readFile(archive);

    const truncated = join(dir.path, 'truncated.tar.gz');
    await writeFile(truncated, bytes);
    await truncate(truncated, Math.floor(bytes.length / 2));
    const t = await cli(dir.path, ['restore', truncated, '--data-dir', join(dir.path, 'r1')]);
    expect(t.error?.message).toMatch(/is not a usable Mieruka backup: it cannot be unpacked/);

    const garbage = join(dir.path, 'garbage.tar.gz');
    await writeFile(garbage, 'not an archive at all');
    expect((await cli(dir.path, ['restore', garbage, '--data-dir', join(dir.path, 'r1')])).error?.message).toMatch(/not a usable Mieruka backup/);

    // Archives made by hand: a newer schema, then a file changed after its manifest was written.
    const staging = join(dir.path, 'staging');
    await mkdir(join(staging, 'data'), { recursive: true });
    await writeFile(join(staging, 'data', 'mieruka.db'), 'a database');
    await packArchive(staging, join(dir.path, 'newer.tar.gz'), { version: MIERUKA_VERSION, schemaVersion: SCHEMA_VERSION + 1, site: 'factory', createdAt: new Date(now()).toISOString() });
    const newer = await cli(dir.path, ['restore', join(dir.path, 'newer.tar.gz'), '--data-dir', join(dir.path, 'r2')]);
    expect(newer.error?.message).toMatch(new RegExp(`schema \\(${SCHEMA_VERSION + 1}\\) is newer than this Mieruka's \\(${SCHEMA_VERSION}\\)`));

    await writeFile(join(staging, 'data', 'mieruka.db'), 'another database');
    execFileSync('tar', ['-czf', join(dir.path, 'tampered.tar.gz'), '-C', staging, '.']);
    const tampered = await cli(dir.path, ['restore', join(dir.path, 'tampered.tar.gz'), '--data-dir', join(dir.path, 'r3')]);
    expect(tampered.error?.message).toMatch(/data\/mieruka\.db does not match its checksum/);

    // Nothing was created for the refused restores, and no staging directory is left behind.
    const left = await readdir(dir.path);
    expect(left.filter((n) => n.startsWith('r') || n.startsWith('.'))).toEqual([]);
    expect((await listFiles(origin)).files).toContain('mieruka.db');
  });
});
