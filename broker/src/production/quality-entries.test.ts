import { describe, expect, it } from 'vitest';
import type { QualityEntryInput } from '@mieruka/protocol';
import { FUTURE_SLACK_MS, invalidQuality } from './quality-entries.js';

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
