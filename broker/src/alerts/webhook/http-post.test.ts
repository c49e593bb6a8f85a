/** postJson's redirects against real node:http / node:https servers on loopback. */
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '../../../../test/helpers/tls-certs.js';
import { makeTempDir } from '../../test-support/helpers.js';
import { postJson } from './http-post.js';

type Seen = { method: string; path: string; headers: IncomingHttpHeaders; body: string };

describe('postJson redirects', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  let certs: TestCerts;
  let certDir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    certDir = await makeTempDir();
    certs = await makeTestCerts(certDir.path);
  });
  afterAll(() => certDir.remove());
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function agents() {
    return { http: new HttpAgent(), https: new HttpsAgent() };
  }

  async function listen(server: Server, scheme: 'http' | 'https', answer: (seen: Seen, res: Parameters<RequestListener>[1]) => void) {
    const seen: Seen[] = [];
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const s = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        seen.push(s);
        answer(s, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
    return { seen, base: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it('drops the caller headers when a redirect leaves the origin, keeps them within it, and turns a 303 into a GET', async () => {
    const other = await listen(createServer(), 'http', (_s, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    const first = await listen(createServer(), 'http', (s, res) => {
      if (s.path === '/start') res.writeHead(307, { location: '/again' }).end();
      else res.writeHead(303, { location: `${other.base}/result?k=1` }).end();
    });
    const a = agents();
    cleanups.push(() => a.http.destroy());
    const result = await postJson(new URL(`${first.base}/start`), '{"n":1}', { timeoutMs: 5000, agents: a, headers: { authorization: 'Bearer s3cret' }, maxRedirects: 5 });
    expect(result).toEqual({ ok: true, status: 200, redirects: 2, contentType: 'application/json', text: '{"ok":true}' });
    expect(first.seen.map((s) => [s.method, s.path, s.body, s.headers.authorization])).toEqual([
      ['POST', '/start', '{"n":1}', 'Bearer s3cret'],
      ['POST', '/again', '{"n":1}', 'Bearer s3cret'],
    ]);
    expect(other.seen.map((s) => [s.method, s.path, s.body, s.headers.authorization, s.headers['content-type']])).toEqual([['GET', '/result?k=1', '', undefined, undefined]]);
  });

  it('refuses a redirect from https down to http', async () => {
    const plain = await listen(createServer(), 'http', (_s, res) => res.writeHead(200).end());
    const [cert, key, ca] = await Promise.all([readFile(certs.serverCert), readFile(certs.serverKey), readFile(certs.caCert)]);
    const secure = await listen(createHttpsServer({ cert, key }), 'https', (_s, res) => res.writeHead(302, { location: `${plain.base}/x` }).end());
    const a = { http: new HttpAgent(), https: new HttpsAgent({ ca }) };
    cleanups.push(() => a.https.destroy());
    const result = await postJson(new URL(`${secure.base}/exec?token=T0KEN`), '{}', { timeoutMs: 5000, agents: a, maxRedirects: 5 });
    expect(result).toMatchObject({ ok: false, retryable: false, status: 302, reason: 'redirect from https to http refused (not retried)' });
    expect(JSON.stringify(result)).not.toContain('T0KEN');
    expect(secure.seen).toHaveLength(1);
    expect(plain.seen).toHaveLength(0);
  });

  it('without maxRedirects a 30x is a failure, as for chat webhooks', async () => {
    const peer = await listen(createServer(), 'http', (_s, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    const a = agents();
    cleanups.push(() => a.http.destroy());
    const result = await postJson(new URL(`${peer.base}/hook`), '{}', { timeoutMs: 5000, agents: a });
    expect(result).toMatchObject({ ok: false, retryable: false, status: 302, reason: 'HTTP 302 (not retried)' });
    expect(peer.seen).toHaveLength(1);
  });
});
