/**
 * Nodes asking to join (issue 14, item 6) through the whole hub: an admin switches auto-join
 * off on the settings API, a new node publishing over real MQTT is refused, counted and listed
 * on GET /api/system; the admin admits one (it joins, also after a restart before it reported
 * again) and dismisses another (it may ask again). Viewers get 403; POSTs need the CSRF token.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, topicFor, type HubStats, type JoinRequest } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';
import { loginSession, writeHeaders, type DashboardSession } from '../helpers/dashboard-client.js';

const ADMIN = { username: 'boss', password: 'boss-password-1' };
const VIEWER = { username: 'watcher', password: 'watcher-password-1' };

type SystemAnswer = {
  now: number;
  uptimeMs: number;
  stats: HubStats;
  listeners: { mqtt: { host: string; port: number; anonymous: string }; mqttWs: { path: string }; http: { host: string; port: number } };
  admission: { autoJoin: boolean; maxNodesPerSite: number; maxSites: number };
  joinRequests: JoinRequest[];
};

describe('nodes asking to join, on a running hub with its dashboard', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let client: MqttClient | undefined;
  let admin: DashboardSession;
  let viewer: DashboardSession;

  async function start(): Promise<void> {
    hub = createHub({ config: hubConfig(dir.path, { dashboard: { adminUser: ADMIN.username, adminPassword: ADMIN.password } }), logger: silentLogger });
    await hub.start();
    client = await connectClient(hub.mqttUrl, { clientId: 'join-test' });
    admin = await loginSession(hub.httpUrl, ADMIN.username, ADMIN.password);
  }

  async function stop(): Promise<void> {
    await closeClient(client);
    client = undefined;
    await hub.stop();
  }

  /** Publishes a status as the node and waits until ingest took it (accepted or refused). */
  async function report(site: string, node: string): Promise<void> {
    const before = hub.ingestStats().received;
    await client!.publishAsync(topicFor(site, node, 'status'), encodePayload('status', { online: true, ts: Date.now(), agent: 'bridge', version: '1' }), { qos: 1 });
    await waitFor(() => hub.ingestStats().received > before, `message of ${site}/${node}`);
    await hub.flush();
  }

  const known = () => hub.live.list().map((n) => `${n.site}/${n.node}`).sort();

  async function system(session: DashboardSession = admin): Promise<SystemAnswer> {
    const res = await fetch(`${hub.httpUrl}/api/system`, { headers: { cookie: session.cookie } });
    expect(res.status).toBe(200);
    return (await res.json()) as SystemAnswer;
  }

  const decide = (site: string, node: string, action: 'admit' | 'dismiss', headers: Record<string, string> = writeHeaders(admin)) =>
    fetch(`${hub.httpUrl}/api/system/join-requests/${site}/${node}/${action}`, { method: 'POST', headers, body: '{}' });

  beforeAll(async () => {
    dir = await makeTempDir();
    await start();
    await hub.users.add(VIEWER.username, VIEWER.password, 'viewer');
    viewer = await loginSession(hub.httpUrl, VIEWER.username, VIEWER.password);
  });

  afterAll(async () => {
    await closeClient(client);
    await hub?.stop();
    await dir?.remove();
  });

  it('with auto-join on, a new node joins by itself; an admin switches auto-join off in the settings', async () => {
    await report('factory', 'known-1');
    expect(known()).toEqual(['factory/known-1']);
    expect((await system()).admission.autoJoin).toBe(true);

    const view = (await (await fetch(`${hub.httpUrl}/api/settings`, { headers: { cookie: admin.cookie } })).json()) as { version: number; settings: Record<string, unknown> };
    expect(view.settings.ingest).toEqual({ autoJoin: true });
    const res = await fetch(`${hub.httpUrl}/api/settings`, {
      method: 'PUT',
      headers: writeHeaders(admin),
      body: JSON.stringify({ version: view.version, settings: { ...view.settings, ingest: { autoJoin: false } } }),
    });
    expect(res.status).toBe(200);
    expect((await system()).admission.autoJoin).toBe(false);
  });

  it('with auto-join off, new nodes are refused, counted and listed; known nodes are not', async () => {
    await report('factory', 'new-a');
    await report('factory', 'new-b');
    await report('factory', 'new-a'); // asks again
    await report('factory', 'known-1');
    expect(known()).toEqual(['factory/known-1']);

    const info = await system();
    expect(info.stats.invalidByReason).toEqual({ 'not-admitted': 3 });
    expect(info.stats.nodesAskingToJoin).toBe(2);
    expect(info.joinRequests).toEqual([
      expect.objectContaining({ site: 'factory', node: 'new-a', count: 2 }),
      expect.objectContaining({ site: 'factory', node: 'new-b', count: 1 }),
    ]);
    expect(info.stats.mqttRefused).toEqual(expect.objectContaining({ connect: {}, publish: {}, subscribe: {} }));
    expect(info.listeners.mqtt).toEqual({ host: '127.0.0.1', port: hub.mqttPort, anonymous: 'loopback' });
    expect(info.listeners.mqttWs.path).toBe('/mqtt');
    expect(info.uptimeMs).toBe(info.now - info.stats.startedAt);
  });

  it('only admins see the system page and decide; a POST needs the CSRF token', async () => {
    expect((await fetch(`${hub.httpUrl}/api/system`)).status).toBe(401);
    expect((await fetch(`${hub.httpUrl}/api/system`, { headers: { cookie: viewer.cookie } })).status).toBe(403);
    expect((await decide('factory', 'new-a', 'admit', writeHeaders(viewer))).status).toBe(403);
    const { 'x-csrf-token': _csrf, ...noCsrf } = writeHeaders(admin);
    expect((await decide('factory', 'new-a', 'admit', noCsrf)).status).toBe(403);
    expect((await decide('factory', 'new-a', 'dismiss', { ...noCsrf, 'x-csrf-token': 'not-the-token' })).status).toBe(403);
    expect((await decide('factory', 'Bad_Id', 'admit')).status).toBe(400);
    expect((await decide('factory', 'nobody', 'admit')).status).toBe(404);
    // Nothing of that changed anything.
    expect((await system()).joinRequests.map((r) => r.node)).toEqual(['new-a', 'new-b']);
  });

  it('admit lets a node in (also after a restart before it reported again); dismiss forgets a request', async () => {
    const admitted = await decide('factory', 'new-a', 'admit');
    expect(admitted.status).toBe(200);
    expect(await admitted.json()).toEqual({ outcome: 'admitted' });
    expect((await decide('factory', 'new-a', 'admit')).status).toBe(404); // no longer asking
    const dismissed = await decide('factory', 'new-b', 'dismiss');
    expect(dismissed.status).toBe(200);
    expect(await dismissed.json()).toEqual({ outcome: 'dismissed' });
    expect((await system()).joinRequests).toEqual([]);
    expect((await system()).stats.nodesAskingToJoin).toBe(0);

    // A restart: auto-join stays off (saved setting), the admission is kept.
    await stop();
    await start();
    expect((await system()).admission.autoJoin).toBe(false);
    await report('factory', 'new-a');
    expect(known()).toEqual(['factory/known-1', 'factory/new-a']);
    expect(hub.ingestStats().invalid.byReason).toEqual({});

    // The dismissed node asks again, from scratch.
    await report('factory', 'new-b');
    const info = await system();
    expect(info.joinRequests).toEqual([expect.objectContaining({ site: 'factory', node: 'new-b', count: 1 })]);
    expect(info.stats.invalidByReason).toEqual({ 'not-admitted': 1 });
    expect(known()).toEqual(['factory/known-1', 'factory/new-a']);
  });
});
