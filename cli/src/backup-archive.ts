/**
 * The backup archive: a gzipped tar holding `manifest.json` and the files it lists, each with
 * its size and SHA-256. Packing and unpacking are GNU tar's (on every Debian and Pi OS; no tar
 * library is a direct dependency, and tar streams files of any size): run with execFile, no
 * shell. Nothing unpacked is trusted before every file matches the manifest and nothing else
 * (no link, no device, no file the manifest does not list) is in the archive.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { MierukaError } from '@mieruka/protocol';

const run = promisify(execFile);

export const MANIFEST = 'manifest.json';
export const BACKUP_FORMAT = 'mieruka-backup';

export type ManifestFile = { path: string; bytes: number; sha256: string };
export type Manifest = {
  format: typeof BACKUP_FORMAT;
  formatVersion: 1;
  /** Mieruka version that wrote it. */
  version: string;
  /** The database's schema version (migrations applied). */
  schemaVersion: number;
  site: string;
  createdAt: string;
  files: ManifestFile[];
};

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every regular file under `root` (relative, "/"-separated); anything else (a link, a device) is reported. */
export async function listFiles(root: string): Promise<{ files: string[]; other: string[] }> {
  const files: string[] = [];
  const other: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const info = await lstat(path);
      const rel = relative(root, path).split(sep).join('/');
      if (info.isDirectory()) await walk(path);
      else if (info.isFile()) files.push(rel);
      else other.push(rel);
    }
  };
  await walk(root);
  return { files, other };
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flushes every file and directory under `root` (and `root`'s own entry) to disk: tar does not,
 * and a restore or a backup renamed into place must not turn out empty after a power cut.
 */
export async function syncTree(root: string): Promise<void> {
  const { files } = await listFiles(root);
  const dirs = new Set<string>([root]);
  for (const f of files) {
    await syncPath(join(root, f));
    for (let d = dirname(join(root, f)); d.startsWith(root) && d !== root; d = dirname(d)) dirs.add(d);
  }
  for (const d of dirs) await syncPath(d);
  await syncPath(dirname(root));
}

/** Flushes one file and its directory entry. */
export async function syncFile(file: string): Promise<void> {
  await syncPath(file);
  await syncPath(dirname(file));
}

/** Writes the manifest of every file under `staging`, then packs it into `archive`. */
export async function packArchive(staging: string, archive: string, meta: Omit<Manifest, 'files' | 'format' | 'formatVersion'>): Promise<Manifest> {
  const { files } = await listFiles(staging);
  const entries: ManifestFile[] = [];
  for (const path of files) entries.push({ path, bytes: (await lstat(join(staging, path))).size, sha256: await sha256Of(join(staging, path)) });
  const manifest: Manifest = { format: BACKUP_FORMAT, formatVersion: 1, ...meta, files: entries };
  await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await runTar(['-czf', archive, '-C', staging, '.']);
  return manifest;
}

async function runTar(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('tar', args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new MierukaError('DEPENDENCY_MISSING', 'tar is not installed (apt install tar gzip)', { cause: err });
    throw Object.assign(new Error((e.stderr || e.message).trim().split('\n').slice(-2).join(' ')), { cause: err });
  }
}

function invalid(archive: string, why: string, cause?: unknown): MierukaError {
  return new MierukaError('BAD_REQUEST', `${archive} is not a usable Mieruka backup: ${why}`, cause === undefined ? undefined : { cause });
}

function parseManifest(text: string, archive: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (err) {
    throw invalid(archive, 'its manifest is not JSON', err);
  }
  const fileOk = (f: ManifestFile) => typeof f?.path === 'string' && typeof f.bytes === 'number' && /^[0-9a-f]{64}$/.test(f.sha256 ?? '');
  if (m?.format !== BACKUP_FORMAT || m.formatVersion !== 1 || !Number.isInteger(m.schemaVersion) || !Array.isArray(m.files) || !m.files.every(fileOk)) {
    throw invalid(archive, 'its manifest is not a Mieruka backup manifest (format 1)');
  }
  return m;
}

/**
 * Unpacks `archive` into the empty directory `into` and checks it against its manifest.
 * A truncated or corrupt archive, a changed or missing file, or an extra one is refused.
 */
export async function unpackArchive(archive: string, into: string): Promise<Manifest> {
  try {
    // GNU tar refuses absolute and ".." member names by itself; links are refused below.
    await runTar(['-xzf', archive, '-C', into, '--no-same-owner', '--no-same-permissions']);
  } catch (err) {
    if (err instanceof MierukaError) throw err;
    throw invalid(archive, `it cannot be unpacked (truncated or damaged?): ${(err as Error).message}`, err);
  }
  let text: string;
  try {
    text = await readFile(join(into, MANIFEST), 'utf8');
  } catch (err) {
    throw invalid(archive, `it holds no ${MANIFEST}`, err);
  }
  const manifest = parseManifest(text, archive);
  const { files, other } = await listFiles(into);
  if (other.length > 0) throw invalid(archive, `it holds links or special files (${other.slice(0, 3).join(', ')})`);
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const extra = files.filter((f) => f !== MANIFEST && !listed.has(f));
  if (extra.length > 0) throw invalid(archive, `it holds files its manifest does not list (${extra.slice(0, 3).join(', ')})`);
  for (const f of manifest.files) {
    if (!files.includes(f.path)) throw invalid(archive, `${f.path} is missing`);
    const path = join(into, f.path);
    if ((await lstat(path)).size !== f.bytes || (await sha256Of(path)) !== f.sha256) throw invalid(archive, `${f.path} does not match its checksum`);
  }
  return manifest;
}
