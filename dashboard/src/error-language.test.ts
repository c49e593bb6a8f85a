/**
 * API errors in the request's language (Accept-Language; the web app sends its own choice),
 * with the same machine-readable code in both. Real express app on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_CODES_JA, type ErrorCode } from '@mieruka/protocol';
import { catalogueMessage } from './http-errors.js';
import { loginSession, startHarness, writeHeaders, type Harness } from './test-support/harness.js';

/** Hiragana, katakana or kanji: the text is Japanese. */
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string; issues?: Array<{ path: unknown[]; message: string }> }> {
  const body = (await res.json()) as { error: { code: string; message: string; issues?: Array<{ path: unknown[]; message: string }> } };
  return { status: res.status, ...body.error };
}

describe('error messages in Japanese and English', () => {
  it('has a Japanese text for every code of the catalogue', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      expect(ERROR_CODES_JA[code], code).toMatch(JAPANESE);
      expect(catalogueMessage(code)).toEqual({ en: ERROR_CODES[code], ja: ERROR_CODES_JA[code] });
    }
    expect(catalogueMessage('INTERNAL').ja).toMatch(JAPANESE);
  });

  it('answers an invalid login body in the language asked for, with the same code and status', async () => {
    harness = await startHarness();
    const post = (acceptLanguage?: string) =>
      fetch(`${harness?.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(acceptLanguage ? { 'accept-language': acceptLanguage } : {}) },
        body: JSON.stringify({ username: 42 }),
      });
    const ja = await errorOf(await post('ja-JP,ja;q=0.9,en;q=0.8'));
    const en = await errorOf(await post('en-US,en;q=0.9,ja;q=0.5'));
    const none = await errorOf(await post());
    const weighted = await errorOf(await post('en;q=0.3, ja'));
    expect([ja.status, en.status, none.status]).toEqual([400, 400, 400]);
    expect([ja.code, en.code, none.code, weighted.code]).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST']);
    expect(ja.message).toBe('JSON {username, password} を送ってください');
    expect(weighted.message).toBe(ja.message);
    expect(en.message).toBe('send JSON {username, password}');
    expect(none.message).toBe(en.message);
  });

  it('translates body-parser, catalogue and query errors too', async () => {
    harness = await startHarness();
    const session = await loginSession(harness.url);
    const broken = await fetch(`${harness.url}/api/alarms/x/ack`, { method: 'POST', headers: { ...writeHeaders(session), 'accept-language': 'ja' }, body: '{"oops' });
    expect(await errorOf(broken)).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: 'リクエスト本文が正しい JSON ではありません' });
    const anonymous = await fetch(`${harness.url}/api/nodes`, { headers: { 'accept-language': 'ja' } });
    expect(await errorOf(anonymous)).toMatchObject({ status: 401, code: 'UNAUTHORIZED', message: ERROR_CODES_JA.UNAUTHORIZED });
    const query = (lang: string) => fetch(`${harness?.url}/api/alarms?state=maybe`, { headers: { cookie: session.cookie, 'accept-language': lang } });
    expect(await errorOf(await query('ja'))).toMatchObject({ code: 'BAD_REQUEST', message: 'state: active か history を指定してください' });
    expect(await errorOf(await query('en'))).toMatchObject({ code: 'BAD_REQUEST', message: 'state: active or history' });
  });

  it('gives zod validation issues of a settings body in Japanese (zod ja locale, per request) or English', async () => {
    harness = await startHarness();
    const admin = await loginSession(harness.url);
    const put = (lang: string) =>
      fetch(`${harness?.url}/api/settings`, {
        method: 'PUT',
        headers: { ...writeHeaders(admin), 'accept-language': lang },
        body: JSON.stringify({ version: 0, settings: { machines: 'not a map' } }),
      });
    const ja = await errorOf(await put('ja'));
    const en = await errorOf(await put('en'));
    expect([ja.status, ja.code, en.status, en.code]).toEqual([400, 'SETTINGS_INVALID', 400, 'SETTINGS_INVALID']);
    expect(ja.issues?.map((i) => i.path)).toEqual(en.issues?.map((i) => i.path));
    expect(ja.issues?.find((i) => i.path[0] === 'machines')?.message).toMatch(JAPANESE);
    expect(en.issues?.find((i) => i.path[0] === 'machines')?.message).not.toMatch(JAPANESE);
    expect(ja.message).toMatch(/^\d+ 件の問題: /);
    expect(en.message).toMatch(/^\d+ problem\(s\): /);
    // English parses after a Japanese one stay English: the locale never went global.
    expect((await errorOf(await put('en'))).issues).toEqual(en.issues);
  });
});
