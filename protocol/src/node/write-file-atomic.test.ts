import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from './write-file-atomic.js';

describe('writeFileAtomic', () => {
  // protocol imports no other package, test helpers included.
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it.each([
    ['async', writeFileAtomic],
    ['sync', async (file: string, data: string | Uint8Array, options?: { mode?: number }) => writeFileAtomicSync(file, data, options)],
  ] as const)('%s: replaces the content, leaves no temp file, keeps an existing mode, sets a given one', async (_name, write) => {
    dir = mkdtempSync(join(tmpdir(), 'mieruka-atomic-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'old');
    chmodSync(file, 0o600);
    await write(file, 'new: 1\n');
    expect(readFileSync(file, 'utf8')).toBe('new: 1\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['config.yaml']);

    const secret = join(dir, 'secret');
    await write(secret, Buffer.from([1, 2, 3]), { mode: 0o600 });
    expect([...readFileSync(secret)]).toEqual([1, 2, 3]);
    expect(statSync(secret).mode & 0o777).toBe(0o600);
  });

  it('leaves the old file and no temp file when the target cannot be replaced', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mieruka-atomic-'));
    const missingDir = join(dir, 'nope', 'file');
    await expect(writeFileAtomic(missingDir, 'x')).rejects.toThrow(/ENOENT/);
    expect(() => writeFileAtomicSync(missingDir, 'x')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
