/**
 * The /metrics gate over real HTTP (port 0): without hub.metrics.token no bearer token is
 * accepted — not even an empty or made-up one — while an admin session still reads; the
 * front end's answer about the session decides admin vs 403. test/hub/metrics.hub.test.ts
 * covers the whole hub with its dashboard.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../test-support/helpers.js';
import { isMetricsRequest, MetricsEndpoint, type MetricsRefusal } from './metrics-endpoint.js';

const TOKEN = 'a-scraper-token-of-32-characters';

describe('MetricsEndpoint', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(token: string | undefined): Promise<{ url: string; refused: MetricsRefusal[] }> {
    const refused: MetricsRefusal[] = [];
    // The front end's session lookup, reduced to a header naming the role.
    const requestUser = async (req: IncomingMessage): Promise<{ role: 'admin' | 'viewer' } | null> => {
      const role = req.headers['x-test-role'];
      return role === 'admin' || role === 'viewer' ? { role } : null;
    };
    const endpoint = new MetricsEndpoint({
      render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: '# HELP x y\n# TYPE x gauge\nx 1\n' }),
      token,
      requestUser,
      refused: (reason) => refused.push(reason),
      logger: silentLogger,
      now: () => 0,
    });
    server = createServer((req, res) => {
      if (isMetricsRequest(req)) endpoint.handle(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, refused };
  }

  it('without a configured token refuses every bearer token, and still serves an admin session', async () => {
    const { url, refused } = await serve(undefined);
    for (const authorization of [`Bearer ${TOKEN}`, 'Bearer ', 'Bearer undefined', 'Basic YWRtaW46YWRtaW4=']) {
      const res = await fetch(url, { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      await res.body?.cancel();
    }
    const admin = await fetch(`${url}?x=1`, { headers: { 'x-test-role': 'admin' } });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toBe('# HELP x y\n# TYPE x gauge\nx 1\n');
    const viewer = await fetch(url, { headers: { 'x-test-role': 'viewer' } });
    expect(viewer.status).toBe(403);
    await viewer.body?.cancel();
    expect(refused).toEqual(['bad-token', 'bad-token', 'bad-token', 'bad-token', 'not-admin']);
  });

  it('with a token: that token only (case-insensitive scheme), HEAD without a body', async () => {
    const { url, refused } = await serve(TOKEN);
    const ok = await fetch(url, { headers: { authorization: `bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    await ok.body?.cancel();
    const head = await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const longer = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(longer.status).toBe(401);
    await longer.body?.cancel();
    const none = await fetch(url);
    expect(none.status).toBe(401);
    await none.body?.cancel();
    expect(refused).toEqual(['bad-token', 'no-credentials']);
  });

  it('takes /metrics and /metrics?query only', () => {
    const req = (url: string) => ({ url }) as IncomingMessage;
    expect(isMetricsRequest(req('/metrics'))).toBe(true);
    expect(isMetricsRequest(req('/metrics?name[]=x'))).toBe(true);
    expect(isMetricsRequest(req('/metrics/'))).toBe(false);
    expect(isMetricsRequest(req('/metricsx'))).toBe(false);
    expect(isMetricsRequest(req('/api/metrics'))).toBe(false);
  });
});
