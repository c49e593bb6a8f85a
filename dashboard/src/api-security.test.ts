/**
 * The API's security rules over real HTTP and ws (the real app on 127.0.0.1:0): no session →
 * 401 everywhere but the public routes, login brake, CSRF token, cross-site refusals, roles,
 * kiosk sessions, sessions ending when their user changes, Secure cookies behind a proxy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stoppedClock } from '../../test/helpers/test-clock.js';
import type { DashboardOptions } from './app.js';
import { ADMIN, loginSession, openLive, startHarness, VIEWER, waitFor, writeHeaders, type Harness, type TestSession } from './test-support/harness.js';

const KIOSK_TOKEN = 'kiosk-token-0123456789abcdefghij';

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

async function start(options: Partial<DashboardOptions> = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function errorCode(res: Response): Promise<string | undefined> {
  return ((await res.json()) as { error?: { code?: string } }).error?.code;
}

/** The routes that answer without a session, each for its own reason. Anything else under /api needs one. */
const PUBLIC_ROUTES = new Set([
  'GET /api/health', // liveness for systemd and monitoring
  'POST /api/login', // takes the password
  'POST /api/logout', // idempotent; with a session it needs the CSRF token
  'POST /api/kiosk/session', // takes the kiosk token
  'GET /api/alarms/ack', // the signed mail link: its token is the credential
  'POST /api/alarms/ack',
]);

type RouteLayer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: RouteLayer[] }; slash?: boolean; name?: string };

/** Every route the express app has, read from its router stack (so a new route cannot be missed). */
function listRoutes(app: unknown): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  const walk = (stack: RouteLayer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: layer.route.path });
      } else if (layer.handle?.stack) {
        // Routers are mounted at the root; a mount path would be lost here, so refuse to guess.
        if (layer.slash !== true) throw new Error(`router ${layer.name ?? ''} is mounted under a path: teach listRoutes about it`);
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as { router: { stack: RouteLayer[] } }).router.stack);
  return routes;
}

/** A concrete URL for a route pattern: every parameter becomes a valid-looking id. */
function concrete(path: string): string {
  return path.replace(/[{}]/g, '').replace(/[:*](\w+)/g, (_m, name: string) => (name === 'site' ? 'factory' : name === 'node' ? 'bench-1' : 'x1'));
}

describe('without a session', () => {
  it('every /api route except the public ones answers 401 JSON', async () => {
    const h = await start({ kiosk: { enabled: true, token: KIOSK_TOKEN } });
    const routes = listRoutes(h.dashboard.app);
    const api = routes.filter((r) => r.path.startsWith('/api'));
    const keys = api.map((r) => `${r.method} ${r.path}`);
    // The walk really sees the app: public and protected routes, reads and writes.
    for (const known of ['GET /api/health', 'GET /api/me', 'GET /api/nodes', 'POST /api/alarms/:id/ack', 'PUT /api/settings']) expect(keys).toContain(known);
    for (const pub of PUBLIC_ROUTES) expect(keys, `public route ${pub} is gone: update PUBLIC_ROUTES`).toContain(pub);
    // Only the web app lives outside /api.
    expect(routes.filter((r) => !r.path.startsWith('/api')).map((r) => r.path)).toEqual(['/{*path}']);

    const protectedRoutes = api.filter((r) => !PUBLIC_ROUTES.has(`${r.method} ${r.path}`));
    expect(protectedRoutes.length).toBeGreaterThan(8);
    for (const { method, path } of protectedRoutes) {
      const url = `${h.url}${concrete(path)}`;
      const res = await fetch(url, method === 'GET' ? {} : { method, headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(await errorCode(res), `${method} ${path}`).toBe('UNAUTHORIZED');
    }
    // Unknown paths too (no route list can enumerate them).
    expect((await fetch(`${h.url}/api/not-a-route`)).status).toBe(401);
    expect((await fetch(`${h.url}/api/not-a-route`, { method: 'DELETE' })).status).toBe(401);
    // A forged or stale cookie is no session.
    expect((await fetch(`${h.url}/api/nodes`, { headers: { cookie: `mieruka_session=${'A'.repeat(43)}` } })).status).toBe(401);
  });

  it('the public routes answer without a session (and never with 401 for lack of one)', async () => {
    const h = await start();
    expect((await fetch(`${h.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${h.url}/api/logout`, { method: 'POST' })).status).toBe(204);
    // The signed mail link: an unknown token is a 400 page, not a login demand, and needs no CSRF token.
    expect((await fetch(`${h.url}/api/alarms/ack?token=nope`)).status).toBe(400);
    const post = await fetch(`${h.url}/api/alarms/ack`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=nope' });
    expect(post.status).toBe(400);
    expect(await post.text()).toContain('data-outcome="invalid"');
  });
});

describe('login', () => {
  it('wrong password → 401 without a cookie; repeats → 429 even for the right password', async () => {
    const h = await start({ loginRateLimit: { limit: 3 } });
    for (let i = 0; i < 3; i += 1) {
      const res = await postJson(`${h.url}/api/login`, { username: ADMIN.username, password: `guess-${i}` });
      expect(res.status).toBe(401);
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(await errorCode(res)).toBe('UNAUTHORIZED');
    }
    const limited = await postJson(`${h.url}/api/login`, ADMIN);
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('RATE_LIMITED');
    expect(limited.headers.getSetCookie()).toEqual([]);
    // The brake stops before the verifier: the right password was never even checked.
    expect(h.users.calls).toBe(3);
  });

  it('answers {user, csrfToken, kiosk, expiresAt, timeZone, now}; /api/me answers the same session', async () => {
    const clock = stoppedClock();
    const h = await start({ now: clock });
    const res = await postJson(`${h.url}/api/login`, VIEWER);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: unknown; csrfToken: string; kiosk: boolean; expiresAt: number; now: number };
    expect(body.user).toEqual({ username: VIEWER.username, role: 'viewer', sites: null });
    expect(body.kiosk).toBe(false);
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Sessions run on the hub's clock, and the browser learns it (to count "today" as the hub does).
    expect(body.now).toBe(clock.at);
    expect(body.expiresAt).toBe(clock.at + 12 * 3_600_000);
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    expect(cookie).not.toContain(body.csrfToken);
    const me = await fetch(`${h.url}/api/me`, { headers: { cookie } });
    expect(await me.json()).toEqual(body);
    // Every session has its own token.
    const other = await loginSession(h.url, VIEWER.username, VIEWER.password);
    expect(other.csrfToken).not.toBe(body.csrfToken);
  });

  it('refuses a cross-site login (Origin of another host, or Sec-Fetch-Site: cross-site) with 403', async () => {
    const h = await start();
    const crossSite: Array<Record<string, string>> = [{ Origin: 'http://evil.example' }, { Origin: 'null' }, { 'Sec-Fetch-Site': 'cross-site' }, { Origin: `http://${h.host}`, 'Sec-Fetch-Site': 'cross-site' }];
    for (const headers of crossSite) {
      const res = await postJson(`${h.url}/api/login`, ADMIN, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await errorCode(res)).toBe('FORBIDDEN');
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    expect(h.users.calls).toBe(0);
    // The dashboard's own page logs in fine.
    const same = await postJson(`${h.url}/api/login`, ADMIN, { Origin: `http://${h.host}`, 'Sec-Fetch-Site': 'same-origin' });
    expect(same.status).toBe(200);
  });
});

describe('CSRF token', () => {
  it('a state change without the token or with a wrong one → 403 CSRF_FAILED; the right one → done', async () => {
    const h = await start();
    h.data.putAlarm({
      id: 'a-1', site: 'factory', node: 'bench-1', type: 'clutter_high', severity: 'minor', message: { ja: '散乱', en: 'Clutter' },
      activeSince: Date.now(), active: true, acknowledged: false, occurrences: 1, lastRaisedAt: Date.now(), escalated: false,
    });
    const viewer = await loginSession(h.url, VIEWER.username, VIEWER.password);
    const admin = await loginSession(h.url);
    const ack = (headers: Record<string, string>) => fetch(`${h.url}/api/alarms/a-1/ack`, { method: 'POST', headers, body: '{}' });
    const acknowledged = async () => (await h.data.listAlarms({ state: 'active', limit: 10 })).find((a) => a.id === 'a-1')?.acknowledged;

    const missing = await ack({ cookie: viewer.cookie, 'Content-Type': 'application/json' });
    expect(missing.status).toBe(403);
    expect(await errorCode(missing)).toBe('CSRF_FAILED');
    for (const wrong of ['x', viewer.csrfToken.slice(0, -1), `${viewer.csrfToken}x`, admin.csrfToken]) {
      const res = await ack({ ...writeHeaders(viewer), 'X-CSRF-Token': wrong });
      expect(res.status, wrong).toBe(403);
      expect(await errorCode(res)).toBe('CSRF_FAILED');
    }
    expect(await acknowledged()).toBe(false);

    const right = await ack(writeHeaders(viewer));
    expect(right.status).toBe(200);
    expect(await acknowledged()).toBe(true);
  });

  it('guards every write behind the session, unknown routes included, and logout', async () => {
    const h = await start();
    const s = await loginSession(h.url);
    const put = await fetch(`${h.url}/api/settings`, { method: 'PUT', headers: { cookie: s.cookie, 'Content-Type': 'application/json' }, body: '{"version":0,"settings":{}}' });
    expect(put.status).toBe(403);
    expect(await errorCode(put)).toBe('CSRF_FAILED');
    const unknown = await fetch(`${h.url}/api/not-a-route`, { method: 'DELETE', headers: { cookie: s.cookie } });
    expect(await errorCode(unknown)).toBe('CSRF_FAILED');
    expect((await fetch(`${h.url}/api/not-a-route`, { method: 'DELETE', headers: writeHeaders(s) })).status).toBe(404);
    // Reads need no token.
    expect((await fetch(`${h.url}/api/nodes`, { headers: { cookie: s.cookie } })).status).toBe(200);

    const forgedLogout = await fetch(`${h.url}/api/logout`, { method: 'POST', headers: { cookie: s.cookie } });
    expect(forgedLogout.status).toBe(403);
    expect(await errorCode(forgedLogout)).toBe('CSRF_FAILED');
    expect((await fetch(`${h.url}/api/me`, { headers: { cookie: s.cookie } })).status).toBe(200);
    expect((await fetch(`${h.url}/api/logout`, { method: 'POST', headers: writeHeaders(s, false) })).status).toBe(204);
    expect((await fetch(`${h.url}/api/me`, { headers: { cookie: s.cookie } })).status).toBe(401);
  });
});

describe('live feed', () => {
  it('refuses an upgrade from a foreign origin even with a valid session cookie', async () => {
    const h = await start();
    const { cookie } = await loginSession(h.url);
    expect(await openLive(h.wsUrl, { cookie, origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await openLive(h.wsUrl, { cookie, origin: `http://${h.host}`, 'sec-fetch-site': 'cross-site' })).toEqual({ status: 403 });
    expect(h.data.subscriberCount).toBe(0);
    const ok = await openLive(h.wsUrl, { cookie, origin: `http://${h.host}` });
    if (!('probe' in ok)) throw new Error(`same-origin upgrade refused: ${ok.status}`);
    ok.probe.ws.close();
  });
});

describe('roles', () => {
  it('a viewer cannot read or change settings (403), an admin gets past the guard', async () => {
    const h = await start();
    const viewer = await loginSession(h.url, VIEWER.username, VIEWER.password);
    const put = await fetch(`${h.url}/api/settings`, { method: 'PUT', headers: writeHeaders(viewer), body: JSON.stringify({ version: 0, settings: {} }) });
    expect(put.status).toBe(403);
    expect(await errorCode(put)).toBe('FORBIDDEN');
    const get = await fetch(`${h.url}/api/settings`, { headers: { cookie: viewer.cookie } });
    expect(get.status).toBe(403);
    expect(await errorCode(get)).toBe('FORBIDDEN');

    // The admin's request reaches the settings route itself: whatever it answers, it is not the guard's 403.
    const admin = await loginSession(h.url);
    const adminPut = await fetch(`${h.url}/api/settings`, { method: 'PUT', headers: writeHeaders(admin), body: JSON.stringify({ version: -1 }) });
    expect(adminPut.status).toBe(400);
  });

  it('ends the sessions of a user whose password changed or who was removed, live feed included', async () => {
    const h = await start({ heartbeatMs: 30 });
    const viewer = await loginSession(h.url, VIEWER.username, VIEWER.password);
    const admin = await loginSession(h.url);
    const live = await openLive(h.wsUrl, { cookie: viewer.cookie });
    if (!('probe' in live)) throw new Error(`refused: ${live.status}`);

    h.users.setPassword(VIEWER.username, 'a new viewer password');
    expect((await fetch(`${h.url}/api/me`, { headers: { cookie: viewer.cookie } })).status).toBe(401);
    await waitFor(() => live.probe.closed, 'live feed closed');
    expect(live.probe.closed).toEqual({ code: 4401 });
    // Other users keep their sessions; the new password opens a new one.
    expect((await fetch(`${h.url}/api/me`, { headers: { cookie: admin.cookie } })).status).toBe(200);
    const again = await loginSession(h.url, VIEWER.username, 'a new viewer password');
    expect((await fetch(`${h.url}/api/me`, { headers: { cookie: again.cookie } })).status).toBe(200);

    h.users.remove(VIEWER.username);
    expect((await fetch(`${h.url}/api/nodes`, { headers: { cookie: again.cookie } })).status).toBe(401);
  });
});

describe('MQTT over WebSocket sessions (the hub asks isCurrent at every message, synchronously)', () => {
  it('a logout here ends it at once; a change to the user found by the look-up the previous message started', async () => {
    const h = await start();
    const upgrade = async (cookie: string) => {
      const user = await h.dashboard.authorizeUpgrade({ headers: { cookie, origin: h.url, host: new URL(h.url).host }, url: '/mqtt' } as never);
      if (!user) throw new Error('upgrade refused');
      return user;
    };
    const viewer = await loginSession(h.url, VIEWER.username, VIEWER.password);
    const byViewer = await upgrade(viewer.cookie);
    expect(byViewer.isCurrent()).toBe(true);
    await waitFor(() => byViewer.isCurrent(), 'the look-up it started');
    h.users.setPassword(VIEWER.username, 'changed elsewhere 1');
    expect(byViewer.isCurrent()).toBe(true); // the last answer; this question starts a look-up
    await waitFor(() => !byViewer.isCurrent(), 'the changed user');

    const admin = await loginSession(h.url);
    const byAdmin = await upgrade(admin.cookie);
    expect(byAdmin.isCurrent()).toBe(true);
    expect((await postJson(`${h.url}/api/logout`, {}, writeHeaders(admin))).status).toBe(204);
    expect(byAdmin.isCurrent()).toBe(false);
  });
});

describe('kiosk mode', () => {
  const kioskLogin = (h: Harness, token: string, headers: Record<string, string> = {}) => postJson(`${h.url}/api/kiosk/session`, { token }, headers);

  async function kioskSession(h: Harness): Promise<TestSession & { body: { user: unknown; kiosk: boolean; csrfToken: string; expiresAt: number }; setCookie: string }> {
    const res = await kioskLogin(h, KIOSK_TOKEN);
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie()[0] ?? '';
    const body = (await res.json()) as { user: unknown; kiosk: boolean; csrfToken: string; expiresAt: number };
    return { cookie: setCookie.split(';')[0]!, csrfToken: body.csrfToken, body, setCookie };
  }

  it('is off by default: 404, even with a plausible token', async () => {
    const h = await start();
    const res = await kioskLogin(h, KIOSK_TOKEN);
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('NOT_FOUND');
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('refuses to start with a short token', async () => {
    await expect(startHarness({ kiosk: { enabled: true, token: 'too-short' } })).rejects.toThrow(/24/);
  });

  it('a wrong token → 401, counted by the login brake together with wrong passwords', async () => {
    const h = await start({ kiosk: { enabled: true, token: KIOSK_TOKEN }, loginRateLimit: { limit: 3 } });
    const wrong = await kioskLogin(h, `${KIOSK_TOKEN.slice(0, -1)}X`);
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe('UNAUTHORIZED');
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect((await postJson(`${h.url}/api/login`, { username: 'admin', password: 'guess' })).status).toBe(401);
    expect((await kioskLogin(h, 'another-wrong-token-xxxxxxxxxxxx')).status).toBe(401);
    expect((await kioskLogin(h, KIOSK_TOKEN)).status).toBe(429);
    expect((await postJson(`${h.url}/api/login`, ADMIN)).status).toBe(429);
  });

  it('the right token opens a long read-only session: reads and the live feed work, changes are 403', async () => {
    const h = await start({ kiosk: { enabled: true, token: KIOSK_TOKEN, sessionHours: 48 } });
    h.data.putAlarm({
      id: 'a-1', site: 'factory', node: 'bench-1', type: 'clutter_high', severity: 'minor', message: { ja: '散乱', en: 'Clutter' },
      activeSince: Date.now(), active: true, acknowledged: false, occurrences: 1, lastRaisedAt: Date.now(), escalated: false,
    });
    const kiosk = await kioskSession(h);
    expect(kiosk.body.user).toEqual({ username: 'kiosk', role: 'viewer', sites: null });
    expect(kiosk.body.kiosk).toBe(true);
    expect(kiosk.setCookie).toContain(`Max-Age=${48 * 3600}`);
    expect(kiosk.setCookie).toContain('HttpOnly');

    expect((await fetch(`${h.url}/api/nodes`, { headers: { cookie: kiosk.cookie } })).status).toBe(200);
    expect((await fetch(`${h.url}/api/alarms`, { headers: { cookie: kiosk.cookie } })).status).toBe(200);
    const me = (await (await fetch(`${h.url}/api/me`, { headers: { cookie: kiosk.cookie } })).json()) as { kiosk: boolean };
    expect(me.kiosk).toBe(true);

    const ack = await fetch(`${h.url}/api/alarms/a-1/ack`, { method: 'POST', headers: writeHeaders(kiosk), body: '{}' });
    expect(ack.status).toBe(403);
    expect(await errorCode(ack)).toBe('FORBIDDEN');
    expect((await h.data.listAlarms({ state: 'active', limit: 10 }))[0]?.acknowledged).toBe(false);
    for (const method of ['GET', 'PUT']) {
      const res = await fetch(`${h.url}/api/settings`, { method, headers: writeHeaders(kiosk), ...(method === 'PUT' ? { body: '{"version":0,"settings":{}}' } : {}) });
      expect(res.status, method).toBe(403);
      expect(await errorCode(res)).toBe('FORBIDDEN');
    }

    const live = await openLive(h.wsUrl, { cookie: kiosk.cookie, origin: `http://${h.host}` });
    if (!('probe' in live)) throw new Error(`kiosk live feed refused: ${live.status}`);
    const snapshot = await waitFor(() => live.probe.messages[0], 'snapshot');
    expect(snapshot.type).toBe('snapshot');
    live.probe.ws.close();
  });

  it('refuses a cross-site kiosk login', async () => {
    const h = await start({ kiosk: { enabled: true, token: KIOSK_TOKEN } });
    expect((await kioskLogin(h, KIOSK_TOKEN, { Origin: 'http://evil.example' })).status).toBe(403);
  });
});

describe('Secure cookie behind a TLS proxy', () => {
  const secureAttr = async (h: Harness, headers: Record<string, string>) => {
    const res = await postJson(`${h.url}/api/login`, ADMIN, headers);
    expect(res.status).toBe(200);
    return /;\s*Secure/i.test(res.headers.getSetCookie()[0] ?? '');
  };

  it('with trustProxy and X-Forwarded-Proto: https the cookie is Secure; over plain http it is not', async () => {
    const h = await start({ trustProxy: ['loopback'] });
    expect(await secureAttr(h, { 'X-Forwarded-Proto': 'https' })).toBe(true);
    expect(await secureAttr(h, {})).toBe(false);
    expect(await secureAttr(h, { 'X-Forwarded-Proto': 'http' })).toBe(false);
    // The proxy terminates TLS, the hub does not force it: no HSTS from the hub.
    const health = await fetch(`${h.url}/api/health`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(health.headers.get('strict-transport-security')).toBeNull();
  });

  it('without trustProxy a client cannot claim https', async () => {
    const h = await start();
    expect(await secureAttr(h, { 'X-Forwarded-Proto': 'https' })).toBe(false);
  });

  it('trusts only the listed proxies', async () => {
    const h = await start({ trustProxy: ['10.9.8.7'] });
    expect(await secureAttr(h, { 'X-Forwarded-Proto': 'https' })).toBe(false);
  });
});
