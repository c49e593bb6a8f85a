/**
 * An admin removes a node that is gone for good, through the dashboard's API on a running hub
 * with Home Assistant discovery on: the node leaves the node list (also after a restart) and
 * its discovery configs are cleared for every MQTT subscriber; if it reports again it is a new
 * node, announced again. Viewers get 403; bad ids 400.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';
import { loginSession, writeHeaders, type DashboardSession } from '../helpers/dashboard-client.js';
import { stoppedClock } from '../helpers/test-clock.js';

const ADMIN = { username: 'boss', password: 'boss-password-1' };
const VIEWER = { username: 'watcher', password: 'watcher-password-1' };

describe('removing a node from the dashboard', () => {
  const clock = stoppedClock();
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let clients: MqttClient[] = [];
  let admin: DashboardSession;

  async function start(): Promise<void> {
    const config = hubConfig(dir.path, { hub: { homeAssistant: { discovery: true } }, dashboard: { adminUser: ADMIN.username, adminPassword: ADMIN.password } });
    hub = createHub({ config, logger: silentLogger, now: clock });
    await hub.start();
    admin = await loginSession(hub.httpUrl, ADMIN.username, ADMIN.password);
  }

  /** A subscriber to the discovery prefix and more (anonymous over loopback reads like an observer). */
  async function watch(filters = ['homeassistant/#']): Promise<Map<string, string>> {
    const c = await connectClient(hub.mqttUrl);
    clients.push(c);
    const last = new Map<string, string>();
    c.on('message', (topic, payload) => last.set(topic, payload.toString()));
    await c.subscribeAsync(filters, { qos: 1 });
    return last;
  }

  const remove = (site: string, node: string, headers: Record<string, string> = writeHeaders(admin)) =>
    fetch(`${hub.httpUrl}/api/system/nodes/${site}/${node}/remove`, { method: 'POST', headers, body: '{}' });
  const nodeIds = async () => ((await (await fetch(`${hub.httpUrl}/api/nodes`, { headers: { cookie: admin.cookie } })).json()) as { nodes: Array<{ node: string }> }).nodes.map((n) => n.node).sort();

  beforeAll(async () => {
    dir = await makeTempDir();
    await start();
  });

  afterAll(async () => {
    for (const c of clients) await closeClient(c);
    await hub?.stop();
    await dir?.remove();
  });

  it('clears the node and its Home Assistant configs; only admins may', async () => {
    const ha = await watch(['homeassistant/#', 'mieruka/v1/#']);
    const agent = await connectClient(hub.mqttUrl, { clientId: 'mieruka-bridge-factory-lathe-3' });
    clients.push(agent);
    for (const node of ['lathe-3', 'mill-1']) {
      await agent.publishAsync(topicFor('factory', node, 'status'), encodePayload('status', { online: true, ts: clock.at - 1000, agent: 'bridge', version: '0.1.0' }), { qos: 1, retain: true });
      await agent.publishAsync(topicFor('factory', node, 'state'), encodePayload('state', { ts: clock.at - 1000, state: 'idle', since: clock.at - 1000, irms: [0.8] }), { qos: 1, retain: true });
    }
    const configOf = (node: string) => `homeassistant/sensor/mieruka/factory_${node}_state/config`;
    await waitFor(() => Boolean(ha.get(configOf('lathe-3')) && ha.get(configOf('mill-1'))), 'discovery configs');
    await hub.flush();
    expect(await nodeIds()).toEqual(['lathe-3', 'mill-1']);

    await hub.users.add(VIEWER.username, VIEWER.password, 'viewer');
    const viewer = await loginSession(hub.httpUrl, VIEWER.username, VIEWER.password);
    expect((await remove('factory', 'lathe-3', writeHeaders(viewer))).status).toBe(403);
    expect((await remove('factory', 'Bad_Id')).status).toBe(400);
    expect((await remove('factory', 'nobody')).status).toBe(404);
    expect(await nodeIds()).toEqual(['lathe-3', 'mill-1']);

    const res = await remove('factory', 'lathe-3');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ outcome: 'removed' });
    await waitFor(() => ha.get(configOf('lathe-3')) === '', 'cleared config');
    // Its retained status and state are cleared too.
    await waitFor(() => ha.get(topicFor('factory', 'lathe-3', 'status')) === '' && ha.get(topicFor('factory', 'lathe-3', 'state')) === '', 'cleared status');
    expect(ha.get(configOf('mill-1'))).not.toBe('');
    expect(await nodeIds()).toEqual(['mill-1']);
    expect((await remove('factory', 'lathe-3')).status).toBe(404);
  });

  it('stays removed after a restart (not listed, no config announced) until it reports again', async () => {
    for (const c of clients.splice(0)) await closeClient(c);
    await hub.stop();
    await start();
    expect(await nodeIds()).toEqual(['mill-1']);
    // A retained marker that sorts after the configs: retained messages of one SUBSCRIBE come in one stream.
    await hub.broker.publish({ topic: 'homeassistant/zz-marker', payload: 'x', retain: true });
    const ha = await watch();
    await waitFor(() => ha.has('homeassistant/zz-marker'), 'marker');
    expect([...ha.keys()].filter((t) => t.includes('lathe-3'))).toEqual([]);
    expect([...ha.keys()].filter((t) => t.includes('mill-1')).length).toBe(3);
    expect(hub.live.get('factory', 'lathe-3')).toBeUndefined();

    // Its agent reports again: a new node, announced again.
    const agent = await connectClient(hub.mqttUrl, { clientId: 'mieruka-bridge-factory-lathe-3' });
    clients.push(agent);
    await agent.publishAsync(topicFor('factory', 'lathe-3', 'state'), encodePayload('state', { ts: clock.at, state: 'running', since: clock.at, irms: [4] }), { qos: 1, retain: true });
    await waitFor(() => (ha.get('homeassistant/sensor/mieruka/factory_lathe-3_state/config') ?? '') !== '', 'announced again');
  });
});
