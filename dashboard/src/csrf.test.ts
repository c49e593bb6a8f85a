import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { csrfTokenFor, csrfTokenMatches, isCrossSite, isStateChanging, secretsEqual } from './csrf.js';

const newToken = () => csrfTokenFor(randomBytes(32).toString('base64url'));
const request = (headers: Record<string, string | string[]>, method = 'POST') => ({ headers, method }) as unknown as IncomingMessage;

describe('csrf', () => {
  it('derives a 32-byte base64url token per session id, the same every time, never the id', () => {
    const ids = Array.from({ length: 50 }, () => randomBytes(32).toString('base64url'));
    const tokens = new Set(ids.map((id) => csrfTokenFor(id)));
    expect(tokens.size).toBe(50);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    const id = ids[0] as string;
    expect(csrfTokenFor(id)).toBe(csrfTokenFor(id));
    expect(csrfTokenFor(id)).not.toBe(id);
  });

  it('treats POST/PUT/PATCH/DELETE as state changes, in any case', () => {
    for (const m of ['POST', 'put', 'Patch', 'DELETE']) expect(isStateChanging(m), m).toBe(true);
    for (const m of ['GET', 'HEAD', 'OPTIONS', undefined]) expect(isStateChanging(m), String(m)).toBe(false);
  });

  it('compares secrets exactly, whatever their type or length', () => {
    const token = newToken();
    expect(secretsEqual(token, token)).toBe(true);
    expect(secretsEqual(token, `${token} `)).toBe(false);
    expect(secretsEqual(token, token.slice(1))).toBe(false);
    expect(secretsEqual(token, token.toUpperCase())).toBe(false);
    expect(secretsEqual(token, '')).toBe(false);
    expect(secretsEqual(token, 'x'.repeat(5000))).toBe(false);
    for (const notText of [undefined, null, 42, [token], { token }]) expect(secretsEqual(token, notText)).toBe(false);
    // An empty expected secret never matches, not even an empty answer.
    expect(secretsEqual('', '')).toBe(false);
  });

  it('reads the token from X-CSRF-Token only, one header value', () => {
    const token = newToken();
    expect(csrfTokenMatches(request({ 'x-csrf-token': token }), token)).toBe(true);
    expect(csrfTokenMatches(request({}), token)).toBe(false);
    expect(csrfTokenMatches(request({ 'x-csrf-token': newToken() }), token)).toBe(false);
    expect(csrfTokenMatches(request({ 'x-csrf-token': [token, token] }), token)).toBe(false);
    expect(csrfTokenMatches(request({ cookie: `x-csrf-token=${token}` }), token)).toBe(false);
  });

  it('spots cross-site requests by Origin and Sec-Fetch-Site', () => {
    const host = 'hub.local:8080';
    expect(isCrossSite(request({ host }))).toBe(false);
    expect(isCrossSite(request({ host, origin: 'http://hub.local:8080' }))).toBe(false);
    expect(isCrossSite(request({ host: 'HUB.local:8080', origin: 'http://hub.local:8080' }))).toBe(false);
    expect(isCrossSite(request({ host, origin: 'https://hub.local:8080', 'sec-fetch-site': 'same-origin' }))).toBe(false);
    expect(isCrossSite(request({ host, 'sec-fetch-site': 'same-site' }))).toBe(false);
    expect(isCrossSite(request({ host, 'sec-fetch-site': 'none' }))).toBe(false);

    expect(isCrossSite(request({ host, origin: 'http://evil.example' }))).toBe(true);
    expect(isCrossSite(request({ host, origin: 'http://hub.local:8081' }))).toBe(true);
    expect(isCrossSite(request({ host, origin: 'http://hub.local' }))).toBe(true);
    expect(isCrossSite(request({ host, origin: 'null' }))).toBe(true);
    expect(isCrossSite(request({ host, origin: 'not a url' }))).toBe(true);
    expect(isCrossSite(request({ origin: 'http://hub.local:8080' }))).toBe(true);
    expect(isCrossSite(request({ host, 'sec-fetch-site': 'cross-site' }))).toBe(true);
  });
});
