import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ADMIN, loginCookie, loginSession, openLive, startHarness, waitFor, writeHeaders, type Harness } from './test-support/harness.js';

let harness: Harness | null = null;
const temps: string[] = [];

afterEach(async () => {
  await harness?.close();
  harness = null;
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('REST API', () => {
  it('serves /api/health without a session, with hub stats and security headers', async () => {
    const h = await start();
    h.data.updateNode('factory', 'protomat-s63', { lastSeen: Date.now() });
    const res = await fetch(`${h.url}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; stats: { messagesReceived: number } };
    expect(body.status).toBe('ok');
    expect(body.stats.messagesReceived).toBe(1);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://${h.host} wss://${h.host}`);
    expect(csp).toContain("img-src 'self' data: blob:");
    // Plain-http LAN: no forced upgrade to https, no HSTS.
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('answers every other /api route with 401 JSON without a session', async () => {
    const h = await start();
    for (const path of ['/api/nodes', '/api/me', '/api/nodes/factory/bench-1/images/shot-1', '/api/does-not-exist']) {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status, path).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
    }
  });

  it('rejects a wrong password and malformed logins without setting a cookie', async () => {
    const h = await start();
    const wrong = await postJson(`${h.url}/api/login`, { username: ADMIN.username, password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');

    const missing = await postJson(`${h.url}/api/login`, { username: ADMIN.username });
    expect(missing.status).toBe(400);
    const notJson = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    const form = await fetch(`${h.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'username=admin' });
    expect(form.status).toBe(415);
    const huge = await postJson(`${h.url}/api/login`, { username: ADMIN.username, password: 'x'.repeat(40_000) });
    expect(huge.status).toBe(413);
  });

  it('logs in with the right password: HttpOnly SameSite=Strict cookie opens the API', async () => {
    const h = await start();
    const res = await postJson(`${h.url}/api/login`, ADMIN);
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie()[0] ?? '';
    expect(setCookie).toMatch(/^mieruka_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain(`Max-Age=${12 * 3600}`);
    expect(setCookie).not.toContain('Secure');
    const cookie = setCookie.split(';')[0]!;

    const nodes = await fetch(`${h.url}/api/nodes`, { headers: { cookie } });
    expect(nodes.status).toBe(200);
    const body = (await nodes.json()) as { nodes: Array<{ node: string }> };
    expect(body.nodes.map((n) => n.node).sort()).toEqual(['bench-1', 'protomat-s63']);

    const me = await fetch(`${h.url}/api/me`, { headers: { cookie } });
    expect(((await me.json()) as { user: unknown }).user).toEqual({ username: 'admin', role: 'admin', sites: null });

    const unknown = await fetch(`${h.url}/api/nope`, { headers: { cookie } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('marks cookies Secure and sends HSTS when secureCookies is set', async () => {
    const h = await start({ secureCookies: true, sessionHours: 2 });
    const res = await postJson(`${h.url}/api/login`, ADMIN);
    const setCookie = res.headers.getSetCookie()[0] ?? '';
    expect(setCookie).toContain('; Secure');
    expect(setCookie).toContain(`Max-Age=${2 * 3600}`);
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it('ends the session on logout', async () => {
    const h = await start();
    const session = await loginSession(h.url);
    const { cookie } = session;
    const out = await fetch(`${h.url}/api/logout`, { method: 'POST', headers: writeHeaders(session, false) });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toContain('Max-Age=0');
    expect((await fetch(`${h.url}/api/nodes`, { headers: { cookie } })).status).toBe(401);
  });

  it('rate-limits repeated failed logins with 429 JSON, even for the right password then', async () => {
    const h = await start();
    for (let i = 0; i < 10; i += 1) {
      const res = await postJson(`${h.url}/api/login`, { username: 'admin', password: `guess-${i}` });
      expect(res.status).toBe(401);
    }
    const limited = await postJson(`${h.url}/api/login`, ADMIN);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe(String(15 * 60));
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(h.users.calls).toBe(10);
  });

  it('does not count successful logins against the limit', async () => {
    const h = await start({ loginRateLimit: { limit: 2 } });
    for (let i = 0; i < 5; i += 1) expect((await postJson(`${h.url}/api/login`, ADMIN)).status).toBe(200);
  });

  it('serves clutter images as JPEG, 404 when missing, 400 for bad ids', async () => {
    const h = await start();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    h.data.putImage('factory', 'bench-1', 'shot-1', jpeg);
    const cookie = await loginCookie(h.url);
    const ok = await fetch(`${h.url}/api/nodes/factory/bench-1/images/shot-1`, { headers: { cookie } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await ok.arrayBuffer()).equals(jpeg)).toBe(true);

    const missing = await fetch(`${h.url}/api/nodes/factory/bench-1/images/shot-2`, { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');

    for (const path of ['Factory/bench-1/images/shot-1', 'factory/bench_1/images/shot-1', 'factory/bench-1/images/...', 'factory/bench-1/images/a%2Fb']) {
      const bad = await fetch(`${h.url}/api/nodes/${path}`, { headers: { cookie } });
      expect(bad.status, path).toBe(400);
    }
  });

  it('turns a data source failure into a 500 JSON without internals', async () => {
    const h = await start();
    const cookie = await loginCookie(h.url);
    h.data.readImage = async () => {
      throw new Error('disk on fire at /secret/path');
    };
    const res = await fetch(`${h.url}/api/nodes/factory/bench-1/images/shot-1`, { headers: { cookie } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(text).not.toContain('/secret/path');
  });
});

describe('static web app', () => {
  async function webDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'mieruka-web-'));
    temps.push(dir);
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><html lang="ja"><body>APP</body></html>');
    await writeFile(join(dir, 'assets', 'app-123.js'), 'console.log(1)');
    return dir;
  }

  it('serves index.html for client routes with the configured language, assets with long cache', async () => {
    const h = await start({ staticDir: await webDir(), language: 'en' });
    for (const path of ['/', '/machines/mill', '/login']) {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('<html lang="en">');
    }
    const asset = await fetch(`${h.url}/assets/app-123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const missing = await fetch(`${h.url}/assets/gone.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('says the web app is not built instead of crashing', async () => {
    const h = await start({ staticDir: join(tmpdir(), 'mieruka-no-such-dir') });
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('not built');
  });
});

describe('live feed /api/live', () => {
  it('refuses an upgrade without a session cookie with HTTP 401', async () => {
    const h = await start();
    const result = await openLive(h.wsUrl);
    expect(result).toEqual({ status: 401 });
    const forged = await openLive(h.wsUrl, { cookie: 'mieruka_session=' + 'A'.repeat(43) });
    expect(forged).toEqual({ status: 401 });
    expect(h.data.subscriberCount).toBe(0);
  });

  it('refuses a cross-origin upgrade even with a cookie', async () => {
    const h = await start();
    const cookie = await loginCookie(h.url);
    expect(await openLive(h.wsUrl, { cookie, origin: 'http://evil.example' })).toEqual({ status: 403 });
  });

  it('leaves other upgrade paths to the hub', async () => {
    const h = await start();
    const cookie = await loginCookie(h.url);
    const result = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${h.wsUrl}/mqtt`, { headers: { cookie } });
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      ws.on('error', () => undefined);
    });
    expect(result).toBe(404);
  });

  it('sends a snapshot, then pushed updates, to a logged-in client', async () => {
    const h = await start();
    const cookie = await loginCookie(h.url);
    const result = await openLive(h.wsUrl, { cookie, origin: h.url });
    if (!('probe' in result)) throw new Error(`refused: ${result.status}`);
    const { probe } = result;
    const snapshot = await waitFor(() => probe.messages[0], 'snapshot');
    expect(snapshot.type).toBe('snapshot');
    expect((snapshot.nodes as unknown[]).length).toBe(2);

    h.data.updateNode('factory', 'protomat-s63', { current: { irms: [7.5], ts: Date.now(), seq: 42 } });
    h.data.publishEvent('factory', 'protomat-s63', { ts: Date.now(), seq: 43, type: 'run_finished', durationS: 60 });
    // Both in one turn: they arrive in one batch frame, unpacked in order by the probe.
    const update = await waitFor(() => probe.messages.find((m) => m.type === 'node'), 'node update');
    expect((update.node as { current: { irms: number[] } }).current.irms).toEqual([7.5]);
    const event = await waitFor(() => probe.messages.find((m) => m.type === 'event'), 'event');
    expect(event).toMatchObject({ site: 'factory', node: 'protomat-s63', event: { type: 'run_finished' } });
    probe.ws.close();
    await waitFor(() => h.data.subscriberCount === 0, 'unsubscribe after last client left');
  });

  it('closes the feed with 4401 when the session logs out', async () => {
    const h = await start();
    const session = await loginSession(h.url);
    const result = await openLive(h.wsUrl, { cookie: session.cookie });
    if (!('probe' in result)) throw new Error('refused');
    await fetch(`${h.url}/api/logout`, { method: 'POST', headers: writeHeaders(session, false) });
    await waitFor(() => result.probe.closed, 'close');
    expect(result.probe.closed).toEqual({ code: 4401 });
  });

  it('sends heartbeats and drops a client that stops answering pings', async () => {
    const h = await start({ heartbeatMs: 40 });
    const cookie = await loginCookie(h.url);
    const healthy = await openLive(h.wsUrl, { cookie });
    const deaf = await openLive(h.wsUrl, { cookie }, { autoPong: false });
    if (!('probe' in healthy) || !('probe' in deaf)) throw new Error('refused');
    await waitFor(() => deaf.probe.closed, 'deaf client dropped');
    expect(deaf.probe.closed?.code).toBe(1006);
    // The healthy client keeps getting heartbeats after the deaf one is gone.
    const seen = healthy.probe.messages.filter((m) => m.type === 'heartbeat').length;
    await waitFor(() => healthy.probe.messages.filter((m) => m.type === 'heartbeat').length > seen + 1, 'more heartbeats');
    expect(healthy.probe.closed).toBeNull();
    healthy.probe.ws.close();
  });

  it('close() terminates clients, unsubscribes and leaves no open sockets', async () => {
    const h = await start({ heartbeatMs: 50 });
    const cookie = await loginCookie(h.url);
    const a = await openLive(h.wsUrl, { cookie });
    const b = await openLive(h.wsUrl, { cookie });
    if (!('probe' in a) || !('probe' in b)) throw new Error('refused');
    expect(h.data.subscriberCount).toBe(1);
    await h.dashboard.close();
    await waitFor(() => a.probe.closed && b.probe.closed, 'clients closed');
    expect(h.data.subscriberCount).toBe(0);
    h.server.closeIdleConnections();
    await waitFor(() => h.openSockets() === 0, 'server sockets released');
    expect(await openLive(h.wsUrl, { cookie })).toEqual({ status: 503 });
    // A second close() is harmless.
    await h.dashboard.close();
  });
});
