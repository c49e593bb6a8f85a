import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, parseCookies, readSessionId, sessionCookie } from './cookies.js';

describe('cookies', () => {
  it('parses a Cookie header, first occurrence wins, broken pairs skipped', () => {
    const parsed = parseCookies('a=1; mieruka_session=abc; a=2; junk; =x; b="quoted"; c=%E0%A4%A');
    expect(parsed.get('a')).toBe('1');
    expect(parsed.get('b')).toBe('quoted');
    expect(parsed.has('c')).toBe(false);
    expect(readSessionId('x=1; mieruka_session=abc')).toBe('abc');
    expect(readSessionId(undefined)).toBeUndefined();
  });

  it('builds the session cookie with HttpOnly, SameSite=Strict and optional Secure', () => {
    expect(sessionCookie('id1', { secure: false, maxAgeMs: 3_600_500 })).toBe(
      'mieruka_session=id1; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict',
    );
    expect(sessionCookie('id1', { secure: true, maxAgeMs: 1000 })).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toContain('Max-Age=0');
  });
});
