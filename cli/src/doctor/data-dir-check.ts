/**
 * Check 2, data dir (hub.dataDir): it exists or can be created, a file can be written, synced
 * and removed in it, and its disk has room. Free space: fail below 100 MB (SQLite and the images
 * stop being written), warn below 1 GB or 10 % of the disk.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fail, ok, reason, text, warn, type Check, type CheckOutcome, type Text } from './check.js';

const MB = 1024 * 1024;
export const FREE_FAIL_BYTES = 100 * MB;
export const FREE_WARN_BYTES = 1024 * MB;
export const FREE_WARN_RATIO = 0.1;

const human = (bytes: number): string => (bytes >= 1024 * MB ? `${(bytes / (1024 * MB)).toFixed(1)} GB` : `${Math.floor(bytes / MB)} MB`);

/** The verdict on free space alone. */
export function judgeFreeSpace(freeBytes: number, totalBytes: number, dir: string): CheckOutcome {
  const pct = totalBytes > 0 ? Math.round((freeBytes / totalBytes) * 100) : 0;
  const said = text(`${human(freeBytes)} free (${pct} %) on the disk of ${dir}`, `${dir} のディスクの空き ${human(freeBytes)}（${pct} %）`);
  const fix = text('free space on that disk: delete old files, or move hub.dataDir to a larger disk (and check hub.images.maxTotalMB)', 'ディスクの空きを増やしてください: 古いファイルを消すか、hub.dataDir を大きなディスクに移してください（hub.images.maxTotalMB も確認）');
  if (freeBytes < FREE_FAIL_BYTES) return fail(said, fix);
  if (freeBytes < FREE_WARN_BYTES || freeBytes < totalBytes * FREE_WARN_RATIO) return warn(said, fix);
  return ok(said);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The nearest folder that exists, going up from `dir`. */
async function nearestExisting(dir: string): Promise<string> {
  let d = dir;
  while (!(await exists(d)) && dirname(d) !== d) d = dirname(d);
  return d;
}

async function writeProbe(dir: string): Promise<void> {
  const file = join(dir, `.mieruka-doctor-${randomBytes(6).toString('hex')}`);
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile('mieruka doctor write test\n');
    await handle.sync();
  } finally {
    await handle.close();
    await rm(file, { force: true });
  }
}

export const dataDirCheck: Check = {
  id: 'data-dir',
  title: text('data directory', 'データフォルダー'),
  timeoutMs: () => 10_000,
  async run(ctx) {
    const dir = resolve(ctx.cwd, ctx.config.hub.dataDir);
    const fixPerm: Text = text(`create ${dir} and give it to the user the hub runs as (e.g. sudo install -d -o mieruka ${dir}), or set hub.dataDir`, `${dir} を作成し、ハブを動かすユーザーに所有させてください（例: sudo install -d -o mieruka ${dir}）。または hub.dataDir を変更してください`);
    let base: string;
    let where: Text;
    const st = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) {
      if (st.code !== 'ENOENT' && st.code !== 'ENOTDIR') return fail(text(`${dir} cannot be used: ${st.message}`, `${dir} を使えません: ${st.message}`), fixPerm);
      base = await nearestExisting(dir);
      const baseStat = await stat(base);
      if (!baseStat.isDirectory()) return fail(text(`${dir} cannot be created: ${base} is not a folder`, `${dir} を作成できません: ${base} がフォルダーではありません`), fixPerm);
      try {
        await access(base, constants.W_OK | constants.X_OK);
      } catch {
        return fail(text(`${dir} does not exist and cannot be created (${base} is not writable)`, `${dir} が無く、作成もできません（${base} に書き込めません）`), fixPerm);
      }
      where = text(`${dir} does not exist yet; it can be created in ${base}`, `${dir} はまだありませんが、${base} に作成できます`);
    } else {
      if (!st.isDirectory()) return fail(text(`${dir} is not a folder`, `${dir} はフォルダーではありません`), fixPerm);
      try {
        await writeProbe(dir);
      } catch (err) {
        return fail(text(`cannot write in ${dir}: ${reason(err)}`, `${dir} に書き込めません: ${reason(err)}`), fixPerm);
      }
      base = dir;
      where = text(`${dir} is writable`, `${dir} に書き込めます`);
    }
    const fs = await statfs(base);
    const space = judgeFreeSpace(fs.bavail * fs.bsize, fs.blocks * fs.bsize, base);
    return { ...space, message: text(`${where.en}; ${space.message.en}`, `${where.ja}。${space.message.ja}`) };
  },
};
