/**
 * Writing a file the app relies on (images, thumbnails, secrets, the config file) so that a
 * crash or a power cut leaves either the old file or the new one, never half of either: the
 * data goes to a temporary file beside the target, is fsynced, renamed over the target, and
 * the directory is fsynced so the rename itself is on disk. A file that exists keeps its mode
 * (a 0600 config with passwords stays 0600) unless `mode` says otherwise.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type WriteFileAtomicOptions = {
  /** Mode of a new file (default 0o666 minus the umask, like writeFile); an existing file keeps its own unless given. */
  mode?: number;
};

function tempPathFor(file: string): string {
  // Hidden and unique, in the same directory (a rename only is atomic within one file system).
  return join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

async function modeFor(file: string, options: WriteFileAtomicOptions): Promise<number> {
  if (options.mode !== undefined) return options.mode;
  try {
    return (await stat(file)).mode & 0o7777;
  } catch {
    return 0o666;
  }
}

function modeForSync(file: string, options: WriteFileAtomicOptions): number {
  if (options.mode !== undefined) return options.mode;
  try {
    return statSync(file).mode & 0o7777;
  } catch {
    return 0o666;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const mode = await modeFor(file, options);
  const tmp = tempPathFor(file);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      // An explicit chmod: the open's mode is reduced by the umask, an existing file's is not.
      if (options.mode !== undefined || mode !== 0o666) await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(file));
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): void {
  const mode = modeForSync(file, options);
  const tmp = tempPathFor(file);
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      if (options.mode !== undefined || mode !== 0o666) fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
