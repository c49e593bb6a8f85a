import { describe, expect, it } from 'vitest';
import { numberedPlaceholders } from './placeholders.js';

describe('numberedPlaceholders', () => {
  it('numbers the ? parameters in order, and leaves ? in literals, quoted names and comments alone', () => {
    expect(numberedPlaceholders('SELECT a FROM t WHERE b = ? AND c IN (?, ?)')).toBe('SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)');
    expect(numberedPlaceholders(`SELECT '?', 'it''s ?', "col?" FROM t WHERE x = ? -- why?\n AND y = ? /* or ? */ AND z = ?`)).toBe(
      `SELECT '?', 'it''s ?', "col?" FROM t WHERE x = $1 -- why?\n AND y = $2 /* or ? */ AND z = $3`,
    );
    expect(numberedPlaceholders("SELECT 'unterminated ?")).toBe("SELECT 'unterminated ?");
  });
});
