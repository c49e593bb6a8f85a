/** The production API's request bodies: defaults, refusals in English and Japanese. */
import { describe, expect, it } from 'vitest';
import { checkBody, QualityEntryBody, StopReasonBody } from './production-api.js';

const T = Date.now();

describe('production API bodies', () => {
  it('fills the defaults of a quality entry', () => {
    const r = checkBody(QualityEntryBody, { start: T - 3_600_000, end: T, good: 10 });
    expect(r).toEqual({ ok: true, data: { start: T - 3_600_000, end: T, good: 10, scrap: 0, startupScrap: 0, note: null, replace: false } });
  });

  it('refuses an end before the start and an entry of nothing, with the Japanese of the schema', () => {
    const backwards = checkBody(QualityEntryBody, { start: T, end: T - 1, good: 1 });
    expect(backwards).toEqual({ ok: false, message: { en: 'end: end must not be before start', ja: 'end: end は start より前にできません' } });
    const nothing = checkBody(QualityEntryBody, { start: T, end: T, good: 0 });
    expect(nothing).toEqual({ ok: false, message: { en: 'good: enter at least one piece', ja: 'good: 1 個以上入力してください' } });
  });

  it("answers zod's own problems in both languages, path first", () => {
    const r = checkBody(QualityEntryBody, { start: 'soon', end: T, good: 1.5, extra: 1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.message.en.split('; ');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['start', 'good', 'Unrecognized key']);
    expect(lines[2]).toContain('extra');
    expect(r.message.ja).not.toBe(r.message.en);
    expect(r.message.ja.startsWith('start: ')).toBe(true);
  });

  it('takes a reason code of a-z, 0-9, - and _ only', () => {
    expect(checkBody(StopReasonBody, { code: 'tool-change_2' }).ok).toBe(true);
    for (const code of ['', 'Tool', 'a b', 'x'.repeat(33), 7]) expect(checkBody(StopReasonBody, { code }).ok).toBe(false);
  });
});
