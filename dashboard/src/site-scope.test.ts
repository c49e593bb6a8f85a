/**
 * Site-scoped viewers against the real app on 127.0.0.1:0 (real express, real ws): a viewer
 * limited to site A gets, for every route about a node of site B, exactly what anyone gets for
 * an unknown node; lists hold only A; the live feed carries only A; a full viewer and an admin
 * see both. The GET routes are enumerated from the app itself, so a new route must be placed
 * in one of the tables below (site-checked by its :site, a filtered list, or site-independent)
 * or this test fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmItem, BenchScore } from './data-source.js';
import { ADMIN, loginCookie, loginSession, openLive, startHarness, VIEWER, waitFor, writeHeaders, type Harness, type LiveProbe } from './test-support/harness.js';

const A = 'factory';
const B = 'hall-b';
const SCOPED = { username: 'hall-a-only', password: 'scoped password 1' };
/** Nodes of each site: the harness's sample nodes of A plus a machine and a bench of B. */
const NODES = { [A]: { machine: 'protomat-s63', bench: 'bench-1', image: 'shot-a' }, [B]: { machine: 'lathe-2', bench: 'bench-9', image: 'shot-b' } };
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0xff, 0xd9]);

/** Values for each route parameter; several values = every one is tried. */
const PARAM_VALUES: Record<string, string[]> = {
  report: ['timeline', 'jobs', 'utilization', 'timeline.csv', 'current'],
  view: ['latest', 'trend', 'calendar'],
};

/** GET routes that list node data of many sites: each must hold only the scope's sites. */
const LIST_ROUTES = ['/api/nodes', '/api/machines', '/api/benches', '/api/alarms', '/api/andon', '/api/production/stops-needing-reason', '/api/production/pareto'];
/** GET routes that carry no node data of a site (or are admin-only, where every site is seen). */
const SITE_INDEPENDENT: Record<string, string> = {
  '/api/health': 'no data',
  '/api/me': 'the session itself',
  '/api/alarms/ack': 'the signed mail link is its own credential (no session)',
  '/api/production/reasons': 'the catalogue of downtime reasons, no node data',
  '/api/settings': 'admin only',
  '/api/system': 'admin only',
  '/{*path}': 'the web app\'s files',
};

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };

function getRoutes(h: Harness): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route?.methods.get) out.push(layer.route.path);
      else if (layer.handle.stack) walk(layer.handle.stack);
    }
  };
  walk((h.dashboard.app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(out)];
}

/** The concrete URLs of a route for a node of `site` (`node` overrides the site's own). */
function urlsFor(path: string, site: string, node?: string): string[] {
  const kind = path.startsWith('/api/benches') || path.startsWith('/api/nodes') ? 'bench' : 'machine';
  const nodes = NODES[site as keyof typeof NODES];
  let urls = [path];
  for (const match of path.matchAll(/:(\w+)/g)) {
    const name = match[1] ?? '';
    const values: string[] = name === 'site' ? [site] : name === 'node' ? [node ?? nodes?.[kind] ?? 'x'] : name === 'imageId' ? [nodes?.image ?? 'x'] : (PARAM_VALUES[name] ?? []);
    if (values.length === 0) throw new Error(`${path}: no test value for :${name} (add it to PARAM_VALUES)`);
    urls = urls.flatMap((u) => values.map((v) => u.replace(`:${name}`, v)));
  }
  return urls;
}

function alarm(id: string, site: string, node: string, activeSince: number): AlarmItem {
  return {
    id,
    site,
    node,
    type: 'machine_stopped',
    severity: 'major',
    message: { ja: `${node} が停止しました`, en: `${node} stopped` },
    activeSince,
    active: true,
    acknowledged: false,
    occurrences: 1,
    lastRaisedAt: activeSince,
    escalated: false,
  };
}

describe('site-scoped viewers', () => {
  let h: Harness;
  const cookies = { admin: '', viewer: '', scoped: '' };

  beforeAll(async () => {
    const t = Date.now();
    h = await startHarness({ now: () => t });
    const now = h.now();
    h.users.add(SCOPED.username, SCOPED.password, 'viewer', [A]);
    for (const site of [A, B]) {
      const { machine, bench, image } = NODES[site as keyof typeof NODES];
      if (site === B) {
        h.data.updateNode(B, machine, { online: true, lastSeen: now - 1_000 });
        h.data.updateNode(B, bench, { online: true, lastSeen: now - 1_000 });
      }
      h.data.setMachine(site, machine, { name: `${site} machine`, intervals: [{ state: 'off', start: now - 3_600_000, end: null }] });
      h.data.addReading(site, machine, now - 60_000, [1.5]);
      const score: BenchScore = { ts: now - 60_000, seq: 1, score: 40, coveredRatio: 0.4, slot: '09:00', imageId: image, imageAvailable: true };
      h.data.addBenchScore(site, bench, score, `${site} bench`);
      h.data.putImage(site, bench, image, JPEG);
      h.data.putThumbnail(site, bench, image, JPEG);
      h.data.putAlarm(alarm(`alarm-${site}`, site, machine, now - 600_000));
      h.data.production.addStop({ site, node: machine, start: now - 1_800_000, end: null, state: 'off', reason: null, microstop: false });
    }
    cookies.admin = await loginCookie(h.url, ADMIN.username, ADMIN.password);
    cookies.viewer = await loginCookie(h.url, VIEWER.username, VIEWER.password);
    cookies.scoped = await loginCookie(h.url, SCOPED.username, SCOPED.password);
  });
  afterAll(() => h.close());

  const get = async (url: string, who: keyof typeof cookies) => {
    const res = await fetch(`${h.url}${url}`, { headers: { cookie: cookies[who] } });
    return { status: res.status, text: await res.text() };
  };

  it('every GET route is site-checked, a filtered list or listed as site-independent', () => {
    const routes = getRoutes(h);
    expect(routes.length).toBeGreaterThan(15);
    const unplaced = routes.filter((p) => !p.includes(':site') && !LIST_ROUTES.includes(p) && !(p in SITE_INDEPENDENT));
    expect(unplaced, 'new GET routes: check them for site scope and list them in site-scope.test.ts').toEqual([]);
    // The tables name no route that is gone.
    for (const p of [...LIST_ROUTES, ...Object.keys(SITE_INDEPENDENT)]) expect(routes).toContain(p);
  });

  it('a node of another site answers like an unknown node (404, same body); the full viewer and the admin get 200', async () => {
    const siteRoutes = getRoutes(h).filter((p) => p.includes(':site'));
    const checked: string[] = [];
    for (const path of siteRoutes) {
      for (const [i, url] of urlsFor(path, B).entries()) {
        const unknown = urlsFor(path, B, 'no-such-node')[i]!;
        expect((await get(url, 'viewer')).status, `viewer ${url}`).toBe(200);
        expect((await get(url, 'admin')).status, `admin ${url}`).toBe(200);
        const refused = await get(url, 'scoped');
        const asUnknown = await get(unknown, 'viewer');
        expect(refused.status, `scoped ${url}`).toBe(404);
        expect(refused.text, `scoped ${url} answers like ${unknown}`).toBe(asUnknown.text);
        checked.push(url);
      }
      // The scoped viewer is not simply shut out: its own site answers.
      for (const url of urlsFor(path, A)) expect((await get(url, 'scoped')).status, `scoped ${url}`).toBe(200);
    }
    expect(checked.length).toBeGreaterThanOrEqual(siteRoutes.length);
    // Counted once per refused request; the alarm test below adds its own.
    expect(Object.values(h.dashboard.siteRefusals()).reduce((a, b) => a + b, 0)).toBe(checked.length);
  });

  it('lists hold only the scope\'s sites; the full viewer and the admin see both', async () => {
    for (const path of LIST_ROUTES) {
      for (const query of path === '/api/alarms' ? ['', '?state=history'] : ['']) {
        const url = path + query;
        const full = await get(url, 'viewer');
        const admin = await get(url, 'admin');
        const scoped = await get(url, 'scoped');
        expect([full.status, admin.status, scoped.status], url).toEqual([200, 200, 200]);
        if (path === '/api/production/pareto') {
          // Bars carry no site: the scoped total is site A's machine alone, less than both sites'.
          const total = (text: string) => (JSON.parse(text) as { totalS: number }).totalS;
          const onlyA = await get(`/api/machines/${A}/${NODES[A].machine}/pareto`, 'viewer');
          expect(total(scoped.text)).toBe(total(onlyA.text));
          expect(total(full.text)).toBeGreaterThan(total(scoped.text));
          expect(total(admin.text)).toBe(total(full.text));
          continue;
        }
        for (const text of [full.text, admin.text]) {
          expect(text, url).toContain(`"${B}"`);
          expect(text, url).toContain(`"${A}"`);
        }
        expect(scoped.text, url).toContain(`"${A}"`);
        expect(scoped.text, url).not.toContain(B);
      }
    }
    // Asking a list for site B by name gives nothing either.
    expect(JSON.parse((await get(`/api/alarms?site=${B}`, 'scoped')).text)).toEqual({ alarms: [] });
  });

  it('writes about another site\'s machine or alarm answer like unknown ones', async () => {
    const scoped = await loginSession(h.url, SCOPED.username, SCOPED.password);
    const viewer = await loginSession(h.url, VIEWER.username, VIEWER.password);
    const post = async (session: typeof scoped, url: string, body: unknown, method = 'POST') => {
      const res = await fetch(`${h.url}${url}`, { method, headers: writeHeaders(session), body: JSON.stringify(body) });
      return { status: res.status, text: await res.text() };
    };
    const before = h.dashboard.siteRefusals();
    const ack = await post(scoped, `/api/alarms/alarm-${B}/ack`, {});
    expect(ack).toEqual(await post(scoped, '/api/alarms/no-such-alarm/ack', {}));
    expect(ack.status).toBe(404);
    expect((await post(scoped, `/api/alarms/alarm-${A}/ack`, {})).status).toBe(200);
    const now = h.now();
    const entry = { start: now - 3_600_000, end: now - 1_800_000, good: 10, scrap: 1, startupScrap: 0 };
    const quality = await post(scoped, `/api/machines/${B}/${NODES[B].machine}/quality`, entry);
    expect(quality.status).toBe(404);
    expect(quality).toEqual(await post(viewer, `/api/machines/${B}/no-such-node/quality`, entry));
    expect((await post(viewer, `/api/machines/${B}/${NODES[B].machine}/quality`, entry)).status).toBe(201);
    const after = h.dashboard.siteRefusals();
    expect([(after.alarm ?? 0) - (before.alarm ?? 0), (after.machine ?? 0) - (before.machine ?? 0)]).toEqual([1, 1]);
    // The B alarm is still open for those who see B.
    const open = JSON.parse((await get('/api/alarms', 'viewer')).text) as { alarms: AlarmItem[] };
    expect(open.alarms.find((a) => a.id === `alarm-${B}`)?.acknowledged).toBe(false);
  });

  it('the live feed carries only the scope\'s sites: snapshot and updates', async () => {
    const opened = await Promise.all([openLive(h.wsUrl, { cookie: cookies.scoped }), openLive(h.wsUrl, { cookie: cookies.viewer })]);
    const [scoped, full] = opened.map((o) => {
      if (!('probe' in o)) throw new Error(`live feed refused: ${o.status}`);
      return o.probe;
    }) as [LiveProbe, LiveProbe];
    try {
      const snapshotSites = (p: LiveProbe) => new Set(((p.messages.find((m) => m.type === 'snapshot')?.nodes ?? []) as Array<{ site: string }>).map((n) => n.site));
      await waitFor(() => scoped.messages.some((m) => m.type === 'snapshot') && full.messages.some((m) => m.type === 'snapshot'), 'snapshots');
      expect([...snapshotSites(scoped)]).toEqual([A]);
      expect([...snapshotSites(full)].sort()).toEqual([A, B]);

      // B first, then A, in one turn (one batch frame) and in separate turns.
      h.data.updateNode(B, NODES[B].machine, { online: false });
      h.data.updateNode(A, NODES[A].machine, { online: false });
      await new Promise((resolve) => setImmediate(resolve));
      h.data.putAlarm(alarm('alarm-b-2', B, NODES[B].machine, h.now()));
      h.data.publishEvent(B, NODES[B].machine, { ts: h.now(), seq: 7, type: 'run_started' });
      h.data.publishEvent(A, NODES[A].machine, { ts: h.now(), seq: 8, type: 'run_started' });

      const sitesOf = (p: LiveProbe) =>
        p.messages
          .filter((m) => m.type !== 'snapshot' && m.type !== 'heartbeat')
          .map((m) => (m.type === 'node' ? (m.node as { site: string }).site : m.type === 'alarm' ? (m.alarm as { site: string }).site : (m.site as string)));
      await waitFor(() => sitesOf(full).length >= 5 && sitesOf(scoped).length >= 2, 'live updates');
      expect(sitesOf(full).sort()).toEqual([A, A, B, B, B]);
      // The last update (A's event) has arrived, so B's earlier ones would have too.
      expect(sitesOf(scoped)).toEqual([A, A]);
    } finally {
      scoped.ws.close();
      full.ws.close();
    }
  });

  it('a change of the viewer\'s sites ends its session; the new login carries the new sites', async () => {
    const users = h.users;
    users.add('moving', 'moving password 1', 'viewer', [A]);
    const cookie = await loginCookie(h.url, 'moving', 'moving password 1');
    expect((await fetch(`${h.url}/api/me`, { headers: { cookie } })).status).toBe(200);
    users.setSites('moving', [B]);
    expect((await fetch(`${h.url}/api/me`, { headers: { cookie } })).status).toBe(401);
    const again = await loginCookie(h.url, 'moving', 'moving password 1');
    const me = (await (await fetch(`${h.url}/api/me`, { headers: { cookie: again } })).json()) as { user: { sites: string[] } };
    expect(me.user.sites).toEqual([B]);
  });

  it('a scoped viewer gets no MQTT over WebSocket (its rules would read every site); a full viewer does', async () => {
    const req = (cookie: string) => ({ headers: { cookie, origin: h.url, host: h.host }, url: '/mqtt' }) as never;
    expect(await h.dashboard.authorizeUpgrade(req(cookies.scoped))).toBeNull();
    expect(await h.dashboard.authorizeUpgrade(req(cookies.viewer))).toMatchObject({ username: VIEWER.username, role: 'viewer' });
  });
});
