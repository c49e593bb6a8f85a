import { describe, expect, it } from 'vitest';
import type { QualityEntryInput } from '@mieruka/protocol';
import { sqlBackends } from '../test-support/sql-backends.js';
import { FUTURE_SLACK_MS, invalidQuality, QualityEntries } from './quality-entries.js';

const NOW = Date.now();
const ok: QualityEntryInput = { site: 'f', node: 'm', start: NOW - 3_600_000, end: NOW, good: 10, scrap: 1, startupScrap: 0, source: 'dashboard', note: null };

describe('invalidQuality', () => {
  it('accepts a period, an instant and an end a little ahead', () => {
    expect(invalidQuality(ok, NOW)).toBeNull();
    expect(invalidQuality({ ...ok, start: NOW, end: NOW }, NOW)).toBeNull();
    expect(invalidQuality({ ...ok, end: NOW + FUTURE_SLACK_MS }, NOW)).toBeNull();
  });
  it('refuses what cannot be counted', () => {
    expect(invalidQuality({ ...ok, end: NOW + FUTURE_SLACK_MS + 1 }, NOW)).toMatch(/future/);
    expect(invalidQuality({ ...ok, start: NOW + 1, end: NOW }, NOW)).toMatch(/start/);
    expect(invalidQuality({ ...ok, good: -1 }, NOW)).toMatch(/whole numbers/);
    expect(invalidQuality({ ...ok, scrap: 1.5 }, NOW)).toMatch(/whole numbers/);
    expect(invalidQuality({ ...ok, startupScrap: Number.NaN }, NOW)).toMatch(/whole numbers/);
    expect(invalidQuality({ ...ok, start: 'yesterday' as unknown as number }, NOW)).toMatch(/epoch/);
    expect(invalidQuality({ ...ok, source: 'fax' as 'kiosk' }, NOW)).toMatch(/source/);
    expect(invalidQuality({ ...ok, note: 'x'.repeat(501) }, NOW)).toMatch(/note/);
  });
});

const backends = sqlBackends();

describe.each(backends.each)('QualityEntries on %s', (_name, open) => {
  it('stores entries, refuses an overlapping period unless it replaces, lists by end and removes by id', async () => {
    const { sql } = await open();
    const entries = new QualityEntries(sql);
    const H = 3_600_000;
    const first = await entries.add({ ...ok, start: NOW - 3 * H, end: NOW - 2 * H, good: 5 }, 'alice', NOW);
    expect(first).toMatchObject({ ok: true, replaced: [], entry: { site: 'f', node: 'm', start: NOW - 3 * H, end: NOW - 2 * H, good: 5, scrap: 1, startupScrap: 0, source: 'dashboard', by: 'alice', at: NOW, note: null } });
    const firstId = first.ok ? first.entry.id : -1;
    // An instant inside the period never overlaps; a period across it does.
    const instant = await entries.add({ ...ok, start: NOW - 2.5 * H, end: NOW - 2.5 * H, good: 1, source: 'button', note: 'button' }, 'button', NOW);
    expect(instant.ok).toBe(true);
    expect(await entries.add({ ...ok, start: NOW - 2.5 * H, end: NOW - H }, 'bob', NOW)).toEqual({ ok: false, error: 'overlaps', overlapping: [firstId] });
    expect((await entries.list('f', 'm', { from: NOW - 4 * H, to: NOW })).map((e) => [e.good, e.by])).toEqual([
      [1, 'button'],
      [5, 'alice'],
    ]);
    const replacing = await entries.add({ ...ok, start: NOW - 2.5 * H, end: NOW - H, good: 7, replace: true }, 'bob', NOW);
    expect(replacing).toMatchObject({ ok: true, replaced: [firstId], entry: { good: 7, by: 'bob' } });
    expect((await entries.list('f', 'm', { from: NOW - 4 * H, to: NOW })).map((e) => e.good)).toEqual([1, 7]);
    // Another machine's entries are its own.
    expect(await entries.list('f', 'other', { from: NOW - 4 * H, to: NOW })).toEqual([]);
    const id = replacing.ok ? replacing.entry.id : -1;
    expect(await entries.remove(id)).toMatchObject({ id, good: 7 });
    expect(await entries.remove(id)).toBeNull();
    expect((await entries.list('f', 'm', { from: NOW - 4 * H, to: NOW })).map((e) => e.good)).toEqual([1]);
  });
});
