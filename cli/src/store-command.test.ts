/** `mieruka store migrate` on real SQLite files in a temp dir (what install-pi.sh upgrade runs). */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '@mieruka/broker';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import type { CliContext } from './context.js';
import { buildProgram } from './program.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function migrate(dir: string): Promise<string[]> {
  const out: string[] = [];
  const ctx: CliContext = { env: {}, cwd: dir, print: (l) => out.push(l), keepRunning: () => undefined };
  await buildProgram(ctx).parseAsync(['node', 'mieruka', 'store', 'migrate', '--data-dir', dir]);
  return out;
}

describe('mieruka store migrate', () => {
  it('creates or upgrades the schema, then says it is up to date', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    expect(await migrate(dir.path)).toEqual([`${join(dir.path, 'mieruka.db')}: schema version 0 → ${SCHEMA_VERSION}`]);
    expect(await migrate(dir.path)).toEqual([`${join(dir.path, 'mieruka.db')}: schema version ${SCHEMA_VERSION}, up to date`]);
    const db = new Database(join(dir.path, 'mieruka.db'), { readonly: true });
    expect((db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database from a newer release, and leaves it as it was', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    await migrate(dir.path);
    const file = join(dir.path, 'mieruka.db');
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 90, 'from the future', 0);
    db.close();
    await expect(migrate(dir.path)).rejects.toThrow(/newer than this Mieruka/);
    const after = new Database(file, { readonly: true });
    expect((after.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v).toBe(SCHEMA_VERSION + 90);
    after.close();
  });
});
