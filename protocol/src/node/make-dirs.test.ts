import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDirs, makeDirsSync } from './make-dirs.js';

describe('makeDirs', () => {
  // protocol imports no other package, test helpers included.
  let dir: { path: string } | undefined;
  const makeTempDir = async () => ({ path: mkdtempSync(join(tmpdir(), 'mieruka-dirs-')) });
  afterEach(() => {
    if (dir) rmSync(dir.path, { recursive: true, force: true });
    dir = undefined;
  });

  it('creates missing parents and accepts an existing directory', async () => {
    dir = await makeTempDir();
    await makeDirs(join(dir.path, 'a', 'b', 'c'));
    makeDirsSync(join(dir.path, 'x', 'y'));
    expect(existsSync(join(dir.path, 'a', 'b', 'c'))).toBe(true);
    expect(existsSync(join(dir.path, 'x', 'y'))).toBe(true);
    await makeDirs(join(dir.path, 'a', 'b', 'c'));
  });

  // Node's recursive mkdir spins forever on /proc/x; this must fail at once.
  it('fails clearly where a directory cannot be made (/proc/x) instead of spinning', async () => {
    await expect(makeDirs('/proc/mieruka-test/data')).rejects.toMatchObject({ code: 'STORE_FAILED', message: expect.stringContaining('/proc/mieruka-test') });
    expect(() => makeDirsSync('/proc/mieruka-test')).toThrow(/cannot create the directory \/proc\/mieruka-test/);
  });

  it('fails clearly when a file stands where a directory should be', async () => {
    dir = await makeTempDir();
    writeFileSync(join(dir.path, 'file'), 'x');
    await expect(makeDirs(join(dir.path, 'file', 'sub'))).rejects.toMatchObject({ code: 'STORE_FAILED', message: expect.stringContaining('is a file') });
  });
});
