import { describe, expect, it } from 'vitest';
import { attachmentHeader, csvField, toCsv } from './csv.js';
import { parseCsv } from './test-support/csv-parse.js';

describe('CSV', () => {
  it('quotes commas, quotes and line breaks (RFC 4180) and round-trips through a parser', () => {
    const rows = [
      ['plain', 'with, comma', 'say "hi"', 'two\nlines', 'cr\r\nlf', '日本語', 42, 1.5, null, true],
      ['', ' spaced ', '"', ',', 0, -0.25, undefined, false, 'x', 'y'],
    ];
    const text = toCsv(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], rows);
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('"say ""hi"""');
    expect(text).toContain('"two\nlines"');
    const parsed = parseCsv(text);
    expect(parsed[0]).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    expect(parsed[1]).toEqual(['plain', 'with, comma', 'say "hi"', 'two\nlines', 'cr\r\nlf', '日本語', '42', '1.5', '', 'true']);
    expect(parsed[2]).toEqual(['', ' spaced ', '"', ',', '0', '-0.25', '', 'false', 'x', 'y']);
    expect(parsed).toHaveLength(3);
  });

  it('defuses text a spreadsheet would run as a formula, but not negative numbers', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField(-3)).toBe('-3');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('names the download with an ASCII filename and a UTF-8 twin', () => {
    expect(attachmentHeader('mieruka_factory_mill-1_jobs_2025-11-24.csv')).toBe(
      `attachment; filename="mieruka_factory_mill-1_jobs_2025-11-24.csv"; filename*=UTF-8''mieruka_factory_mill-1_jobs_2025-11-24.csv`,
    );
    expect(attachmentHeader('a"b\r\n.csv')).toMatch(/^attachment; filename="a_b__\.csv"; filename\*=UTF-8''a%22b%0D%0A\.csv$/);
  });
});
