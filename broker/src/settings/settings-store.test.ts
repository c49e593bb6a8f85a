/** SettingsStore on both databases: versions in order, a stale version refused, history newest first. */
import { describe, expect, it } from 'vitest';
import { sqlBackends } from '../test-support/sql-backends.js';
import { SettingsStore } from './settings-store.js';

const backends = sqlBackends();

describe.each(backends.each)('SettingsStore on %s', (_name, open) => {
  it('saves versions in order and refuses a save from a stale version', async () => {
    const at = Date.now();
    const store = new SettingsStore((await open()).sql);
    expect(await store.latest()).toEqual({ saved: null, error: null });
    expect(await store.currentVersion()).toBe(0);

    expect(await store.save({ a: 1 }, 0, 'admin', at)).toEqual({ version: 1, document: { a: 1 }, updatedAt: at, updatedBy: 'admin' });
    expect(await store.save({ a: 2 }, 1, 'sato', at + 1000)).toMatchObject({ version: 2 });
    // A second editor who started from version 1 is refused; nothing is stored.
    expect(await store.save({ a: 3 }, 1, 'suzuki', at + 2000)).toBe('conflict');
    expect(await store.currentVersion()).toBe(2);
    expect(await store.latest()).toEqual({ saved: { version: 2, document: { a: 2 }, updatedAt: at + 1000, updatedBy: 'sato' }, error: null });
    expect(await store.history()).toEqual([
      { version: 2, updatedAt: at + 1000, updatedBy: 'sato' },
      { version: 1, updatedAt: at, updatedBy: 'admin' },
    ]);
    expect(await store.history(1)).toHaveLength(1);
  });

  it('two saves from the same version at once: one is stored, the other is a conflict', async () => {
    const store = new SettingsStore((await open()).sql);
    const results = await Promise.all([store.save({ who: 'a' }, 0, 'a', Date.now()), store.save({ who: 'b' }, 0, 'b', Date.now())]);
    expect(results.filter((r) => r === 'conflict')).toHaveLength(1);
    expect(await store.currentVersion()).toBe(1);
  });

  it('reports a stored document that is not JSON instead of throwing', async () => {
    const { sql } = await open();
    await sql.run("INSERT INTO runtime_settings (version, document, updated_at, updated_by) VALUES (1, '{broken', 0, 'x')");
    const { saved, error } = await new SettingsStore(sql).latest();
    expect(saved).toBeNull();
    expect(error).toMatch(/version 1 is not valid JSON/);
  });
});
