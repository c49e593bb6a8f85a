/**
 * Creating a directory and its missing parents, one level at a time. Node's own
 * `mkdir(path, { recursive: true })` loops forever at 100% CPU when a parent exists but cannot
 * hold directories (`/proc/x`: ENOENT although /proc is there), so a mistyped `--data-dir`
 * hung the hub instead of failing. Here every failure is a clear STORE_FAILED.
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MierukaError } from '../errors.js';

/** The missing directories from the top down (empty when `dir` exists). */
function missingLevels(dir: string, exists: (p: string) => boolean | 'not-a-directory'): string[] {
  const levels: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    const found = exists(p);
    if (found === 'not-a-directory') throw new MierukaError('STORE_FAILED', `cannot use ${dir} as a directory: ${p} is a file`);
    if (found) break;
    levels.unshift(p);
    if (dirname(p) === p) break;
  }
  return levels;
}

function failed(dir: string, level: string, err: unknown): MierukaError {
  const e = err as NodeJS.ErrnoException;
  return new MierukaError('STORE_FAILED', `cannot create the directory ${dir} (${level}: ${e.code ?? e.message})`, { cause: err });
}

function existsSync(p: string): boolean | 'not-a-directory' {
  try {
    return statSync(p).isDirectory() || 'not-a-directory';
  } catch {
    return false;
  }
}

export function makeDirsSync(dir: string): void {
  for (const level of missingLevels(dir, existsSync)) {
    try {
      mkdirSync(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw failed(dir, level, err);
    }
  }
}

export async function makeDirs(dir: string): Promise<void> {
  // The walk up is synchronous: a few stat calls, once per directory at start.
  for (const level of missingLevels(dir, existsSync)) {
    try {
      await mkdir(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw failed(dir, level, err);
    }
  }
}
