/** The data dir check on real folders: writable, creatable, not creatable; the free-space verdicts. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { dataDirCheck, judgeFreeSpace } from './data-dir-check.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const GB = 1024 ** 3;

describe('data dir check', () => {
  it('writes, syncs and removes a file in an existing folder, and reports free space', async () => {
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const out = await dataDirCheck.run(doctorContext({ hub: { dataDir: tmp.path } }), neverAborted);
    // ok, or warn on a nearly full test disk: either way the folder was written.
    expect(['ok', 'warn']).toContain(out.status);
    expect(out.message.en).toMatch(new RegExp(`^${tmp.path} is writable; .* free \\(\\d+ %\\)`));
  });

  it('accepts a folder that does not exist yet but can be created', async () => {
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const out = await dataDirCheck.run(doctorContext({ hub: { dataDir: join(tmp.path, 'a', 'b') } }), neverAborted);
    expect(['ok', 'warn']).toContain(out.status);
    expect(out.message.en).toContain(`does not exist yet; it can be created in ${tmp.path}`);
  });

  it('fails when the folder cannot be created (a file is in the way)', async () => {
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    await writeFile(join(tmp.path, 'file'), 'x');
    const out = await dataDirCheck.run(doctorContext({ hub: { dataDir: join(tmp.path, 'file', 'data') } }), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain('is not a folder');
    expect(out.fix?.en).toContain('hub.dataDir');
  });

  it('judges free space: fail < 100 MB, warn < 1 GB or < 10 %, else ok', () => {
    expect(judgeFreeSpace(50 * 1024 ** 2, 32 * GB, '/d').status).toBe('fail');
    expect(judgeFreeSpace(0.5 * GB, 32 * GB, '/d').status).toBe('warn');
    expect(judgeFreeSpace(2 * GB, 32 * GB, '/d').status).toBe('warn'); // 6 %
    expect(judgeFreeSpace(8 * GB, 32 * GB, '/d')).toEqual({ status: 'ok', message: { en: '8.0 GB free (25 %) on the disk of /d', ja: '/d のディスクの空き 8.0 GB（25 %）' } });
  });
});
