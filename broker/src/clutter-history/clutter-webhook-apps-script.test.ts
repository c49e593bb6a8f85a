/**
 * The clutter webhook against a real HTTP peer on loopback that answers like an Apps Script web
 * app (POST → 302 → GET of the result) and runs our receiver script (docs/sheets/) with fakes of
 * Google's services: redirects, retries and restarts leave one row per score.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { appsScriptPeer, dataRows, loadReceiver, type Receiver } from '../../../test/helpers/apps-script-receiver.js';
import { waitFor } from '../test-support/helpers.js';
import { ClutterWebhook } from './clutter-webhook.js';

const TOKEN = 'sheet-token-5d1c';
const score = (seq: number) => ({ ts: Date.parse('2025-11-24T17:00:00+09:00') + seq, seq, score: 12.5, coveredRatio: 0.125, slot: '17:00', imageId: null });

describe('clutter webhook → Apps Script receiver', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function peer(receiver: Receiver, override?: Parameters<typeof appsScriptPeer>[1]) {
    const p = await appsScriptPeer(receiver, override);
    cleanups.push(() => p.close());
    return p;
  }

  function hook(url: string) {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const h = new ClutterWebhook({ url, timeoutMs: 5000, lang: 'en', maxQueue: 100, timeZone: 'Asia/Tokyo', site: 'factory', logger, retryBaseMs: 10, retryMaxMs: 40 });
    h.start();
    cleanups.push(() => h.stop());
    return { h, lines };
  }

  it('follows the 302 with a GET and stores the score once', async () => {
    const receiver = loadReceiver({ TOKEN });
    const p = await peer(receiver);
    const { h, lines } = hook(p.url(TOKEN));
    h.offer('factory', 'bench-1', score(7));
    await waitFor(() => h.stats().sent === 1, 'delivered');
    expect(p.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
    expect(p.requests[1]?.path).toMatch(/^\/macros\/echo\?user_content_key=/);
    expect(dataRows(receiver, 'Scores')).toEqual([['2025-11-24', '17:00', '17:00', 'bench-1', 12.5, 0.125, 'factory', 'bench-1', 7, 'factory/bench-1/7', '']]);
    expect(h.stats()).toMatchObject({ sent: 1, duplicates: 0, failed: 0, lastError: null });
    const log = lines.join('\n');
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain('DEPLOYMENT');
  });

  it('retries after a 500 on the POST and after a 500 on the result: one row each', async () => {
    const receiver = loadReceiver({ TOKEN });
    // Request 1 (a POST) fails before the script runs; request 5 (the second score's GET) fails after it ran.
    const p = await peer(receiver, (_req, res, n) => (n === 1 || n === 5 ? (res.writeHead(500).end(), true) : false));
    const { h } = hook(p.url(TOKEN));
    h.offer('factory', 'bench-1', score(1));
    h.offer('factory', 'bench-1', score(2));
    await waitFor(() => h.stats().sent === 2, 'both delivered');
    expect(p.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'GET', 'POST', 'GET', 'POST', 'GET']);
    const ids = dataRows(receiver, 'Scores').map((row) => row[9]);
    expect(ids).toEqual(['factory/bench-1/1', 'factory/bench-1/2']);
    // The second score's repeat POST found its row: counted, not appended.
    expect(h.stats()).toMatchObject({ sent: 2, duplicates: 1, failed: 0 });
  });

  it('after a hub restart, a score sent again is not a second row', async () => {
    const receiver = loadReceiver({ TOKEN });
    const p = await peer(receiver);
    const first = hook(p.url(TOKEN)).h;
    first.offer('factory', 'bench-1', score(3));
    await waitFor(() => first.stats().sent === 1, 'first run delivered');
    await first.stop();
    const second = hook(p.url(TOKEN)).h; // a new process: its memory of sent scores is empty
    second.offer('factory', 'bench-1', score(3));
    second.offer('factory', 'bench-1', score(4));
    await waitFor(() => second.stats().sent === 2, 'second run delivered');
    expect(second.stats().duplicates).toBe(1);
    expect(dataRows(receiver, 'Scores').map((row) => row[9])).toEqual(['factory/bench-1/3', 'factory/bench-1/4']);
  });

  it('re-POSTs the body on a 307', async () => {
    const receiver = loadReceiver({ TOKEN });
    const p = await peer(receiver, (req, res) => {
      if (req.method !== 'POST' || req.path.includes('moved=1')) return false;
      res.writeHead(307, { location: `${req.path}&moved=1` }).end();
      return true;
    });
    const { h } = hook(p.url(TOKEN));
    h.offer('factory', 'bench-2', score(5));
    await waitFor(() => h.stats().sent === 1, 'delivered');
    expect(p.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'GET']);
    expect(dataRows(receiver, 'Scores')).toHaveLength(1);
  });

  it('gives up on a redirect loop after 5 hops, counted', async () => {
    const receiver = loadReceiver({ TOKEN });
    const p = await peer(receiver, (_req, res) => (res.writeHead(302, { location: '/macros/loop' }).end(), true));
    const { h, lines } = hook(p.url(TOKEN));
    h.offer('factory', 'bench-1', score(1));
    await waitFor(() => h.stats().failed === 1, 'given up');
    expect(p.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'GET', 'GET', 'GET', 'GET']);
    expect(h.stats()).toMatchObject({ sent: 0, queued: 0, lastError: expect.stringContaining('too many redirects') });
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('refuses a redirect to a scheme other than http(s)', async () => {
    const receiver = loadReceiver({ TOKEN });
    const p = await peer(receiver, (_req, res) => (res.writeHead(302, { location: 'file:///etc/passwd' }).end(), true));
    const { h } = hook(p.url(TOKEN));
    h.offer('factory', 'bench-1', score(1));
    await waitFor(() => h.stats().failed === 1, 'refused');
    expect(p.requests).toHaveLength(1);
    expect(h.stats().lastError).toContain('unsupported URL scheme file:');
  });

  it('a refused token and a sign-in page are failures, not deliveries, and not retried', async () => {
    const receiver = loadReceiver({ TOKEN });
    const p = await peer(receiver);
    const wrong = hook(p.url('not-the-token'));
    wrong.h.offer('factory', 'bench-1', score(1));
    await waitFor(() => wrong.h.stats().failed === 1, 'refused by the script');
    expect(wrong.h.stats().lastError).toContain('the receiver refused the score: wrong or missing token');
    expect(wrong.lines.join('\n')).not.toContain('not-the-token');

    // A deployment not open to "Anyone": Google redirects to a sign-in page.
    const signIn = await peer(receiver, (req, res) => {
      if (req.method === 'POST') res.writeHead(302, { location: '/ServiceLogin' }).end();
      else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html>Sign in</html>');
      return true;
    });
    const hidden = hook(signIn.url(TOKEN));
    hidden.h.offer('factory', 'bench-1', score(2));
    await waitFor(() => hidden.h.stats().failed === 1, 'sign-in page recognised');
    expect(signIn.requests).toHaveLength(2);
    expect(hidden.h.stats().lastError).toContain('access "Anyone"');
    expect(dataRows(receiver, 'Scores')).toEqual([]);
  });
});
