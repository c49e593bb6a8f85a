/**
 * Site-scoped viewers on a real hub (aedes, SQLite, the dashboard on its HTTP port): machines of
 * two sites report over real MQTT; a viewer limited to one site (stored by the SQLite users)
 * sees that site's nodes and machines only, gets the unknown-machine 404 for the other site's,
 * gets only its site on the live feed, and each refusal shows on /metrics.
 */
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { closeClient, connectClient, hubConfig, makeTempDir, waitFor } from '../../broker/src/test-support/helpers.js';
import { openLive, type LiveProbe } from '../../dashboard/src/test-support/harness.js';
import { loginSession, type DashboardSession } from '../helpers/dashboard-client.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { stoppedClock } from '../helpers/test-clock.js';

const ADMIN = { username: 'boss', password: 'boss-password-1' };
const SCOPED = { username: 'hall-a', password: 'hall-a-password-1' };
const TOKEN = 'metricsToken_0123456789abcdefXYZ';
const A = { site: 'factory', node: 'mill-1' };
const B = { site: 'hall-b', node: 'lathe-2' };

describe('site-scoped viewer on a running hub', () => {
  const clock = stoppedClock();
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let edge: MqttClient | undefined;
  let admin: DashboardSession;
  let scoped: DashboardSession;

  const state = (m: { site: string; node: string }, s: 'running' | 'idle') =>
    edge!.publishAsync(topicFor(m.site, m.node, 'state'), encodePayload('state', { ts: clock.at, state: s, since: clock.at - 60_000, irms: [1.2] } as never), { qos: 1, retain: true });
  const get = async (path: string, who: DashboardSession) => {
    const res = await fetch(`${hub.httpUrl}${path}`, { headers: { cookie: who.cookie } });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    dir = await makeTempDir();
    const config = hubConfig(dir.path, { hub: { metrics: { token: TOKEN } }, dashboard: { adminUser: ADMIN.username, adminPassword: ADMIN.password } });
    hub = createHub({ config, logger: pino({ level: 'silent' }), now: clock });
    await hub.start();
    await hub.users.add(SCOPED.username, SCOPED.password, 'viewer', [A.site]);
    admin = await loginSession(hub.httpUrl, ADMIN.username, ADMIN.password);
    scoped = await loginSession(hub.httpUrl, SCOPED.username, SCOPED.password);
    edge = await connectClient(hub.mqttUrl, { clientId: 'edge-two-sites' });
    await state(A, 'running');
    await state(B, 'running');
    await waitFor(async () => (await get('/api/nodes', admin)).text.includes(`"${B.site}"`), 'both sites stored');
  });

  afterAll(async () => {
    await closeClient(edge);
    await hub?.stop();
    await dir?.remove();
  });

  it('lists only its site; the other site\'s machine answers like an unknown one; the refusal is on /metrics', async () => {
    const nodes = JSON.parse((await get('/api/nodes', scoped)).text) as { nodes: Array<{ site: string }> };
    expect(nodes.nodes.map((n) => n.site)).toEqual([A.site]);
    const all = JSON.parse((await get('/api/nodes', admin)).text) as { nodes: Array<{ site: string }> };
    expect(all.nodes.map((n) => n.site).sort()).toEqual([A.site, B.site]);
    expect((await get('/api/machines', scoped)).text).not.toContain(B.site);

    expect((await get(`/api/machines/${A.site}/${A.node}/timeline`, scoped)).status).toBe(200);
    expect((await get(`/api/machines/${B.site}/${B.node}/timeline`, admin)).status).toBe(200);
    const refused = await get(`/api/machines/${B.site}/${B.node}/timeline`, scoped);
    expect(refused.status).toBe(404);
    expect(refused.text).toBe((await get(`/api/machines/${B.site}/no-such-machine/timeline`, admin)).text);

    const metrics = parsePrometheusText(await (await fetch(`${hub.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text());
    expect(sampleValue(metrics, 'mieruka_dashboard_site_refusals_total', { what: 'machine' })).toBe(1);
  });

  it('the live feed brings only its site\'s readings', async () => {
    const wsUrl = hub.httpUrl.replace(/^http/, 'ws');
    const opened = await Promise.all([openLive(wsUrl, { cookie: scoped.cookie }), openLive(wsUrl, { cookie: admin.cookie })]);
    const [mine, full] = opened.map((o) => {
      if (!('probe' in o)) throw new Error(`live feed refused: ${o.status}`);
      return o.probe;
    }) as [LiveProbe, LiveProbe];
    try {
      await waitFor(() => mine.messages.some((m) => m.type === 'snapshot') && full.messages.some((m) => m.type === 'snapshot'), 'snapshots');
      const nodeSites = (p: LiveProbe) => p.messages.filter((m) => m.type === 'node').map((m) => (m.node as { site: string }).site);
      await state(B, 'idle');
      await state(A, 'idle');
      await waitFor(() => nodeSites(full).includes(B.site) && nodeSites(full).includes(A.site) && nodeSites(mine).includes(A.site), 'state updates');
      expect(nodeSites(mine).every((site) => site === A.site)).toBe(true);
      const snapshot = mine.messages.find((m) => m.type === 'snapshot')?.nodes as Array<{ site: string }>;
      expect(snapshot.map((n) => n.site)).toEqual([A.site]);
    } finally {
      mine.ws.close();
      full.ws.close();
    }
  });
});
