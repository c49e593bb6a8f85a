/**
 * MQTT over WebSocket (`/mqtt` on the HTTP port) with the dashboard mounted: only a logged-in
 * session from a same-origin page gets in, with the MQTT rules of its role. A web page on
 * another origin (the probe switched a machine off this way) is refused at the upgrade.
 * Real hub, dashboard, ws and MQTT.js on 127.0.0.1.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from './compose-hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../../broker/src/test-support/helpers.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startHub(): Promise<Hub> {
  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  const hub = createHub({ config: hubConfig(dir.path, { dashboard: { adminUser: 'boss', adminPassword: 'boss-password-1' } }), logger: silentLogger });
  cleanups.push(() => hub.stop());
  await hub.start();
  await hub.users.add('suzuki', 'viewer-password-1', 'viewer');
  return hub;
}

async function login(hub: Hub, username: string, password: string): Promise<string> {
  const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

/** The HTTP status of a refused upgrade to /mqtt (0 when it was accepted). */
function upgradeStatus(hub: Hub, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(hub.mqttWsUrl, 'mqtt', { headers });
    cleanups.push(() => ws.terminate());
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? -1));
    ws.once('open', () => resolve(0));
    ws.once('error', reject);
  });
}

async function wsClient(hub: Hub, cookie: string, options: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectClient(hub.mqttWsUrl, { ...options, wsOptions: { headers: { cookie, origin: hub.httpUrl } } });
  cleanups.push(() => closeClient(c));
  return c;
}

describe('MQTT over WebSocket with the dashboard', () => {
  it('refuses an upgrade without a session, from another origin, or without an Origin; counts nothing as a client', async () => {
    const hub = await startHub();
    const cookie = await login(hub, 'suzuki', 'viewer-password-1');
    expect(await upgradeStatus(hub, { origin: hub.httpUrl })).toBe(403);
    expect(await upgradeStatus(hub, { origin: hub.httpUrl, cookie: 'mieruka_session=forged' })).toBe(403);
    expect(await upgradeStatus(hub, { origin: 'http://evil.example', cookie })).toBe(403);
    expect(await upgradeStatus(hub, { cookie })).toBe(403);
    expect(await upgradeStatus(hub, { origin: hub.httpUrl, cookie })).toBe(0);
    expect(hub.stats().clientsConnected).toBe(0);
  });

  it('a viewer reads readings; what it publishes under mieruka/v1 is dropped; after logout it reads no more', async () => {
    const hub = await startHub();
    const cookie = await login(hub, 'suzuki', 'viewer-password-1');
    const viewer = await wsClient(hub, cookie, { clientId: 'browser-1' });
    const got: string[] = [];
    viewer.on('message', (topic) => got.push(topic));
    await viewer.subscribeAsync('mieruka/v1/#', { qos: 1 });

    const edge = await connectClient(hub.mqttUrl, { clientId: 'sim' });
    cleanups.push(() => closeClient(edge));
    const seenByEdge: string[] = [];
    edge.on('message', (topic) => seenByEdge.push(topic));
    await edge.subscribeAsync(['mieruka/v1/#', 'probe/#'], { qos: 1 });
    await edge.publishAsync(topicFor('factory', 'mill-1', 'state'), encodePayload('state', { ts: TS, state: 'idle', since: TS, irms: [0.2] }), { qos: 1 });
    await waitFor(() => got.includes(topicFor('factory', 'mill-1', 'state')), 'the reading at the viewer');

    // A forged reading and a command (acknowledged, dropped), then a marker outside mieruka/v1.
    await viewer.publishAsync(topicFor('factory', 'mill-1', 'state'), encodePayload('state', { ts: TS + 1, state: 'off', since: TS + 1, irms: [0] }), { qos: 1 });
    await viewer.publishAsync('mieruka/v1/factory/mill-1/cmd/patlite', '{"red":"on"}', { qos: 1 });
    await viewer.publishAsync('probe/done', 'x', { qos: 1 });
    await waitFor(() => seenByEdge.includes('probe/done'), 'the marker');
    expect(seenByEdge).toEqual([topicFor('factory', 'mill-1', 'state'), 'probe/done']);
    expect(hub.live.get('factory', 'mill-1')?.state?.state).toBe('idle');
    expect(hub.stats().mqttRefused.publish).toEqual({ acl: 2 });
    const health = (await (await fetch(`${hub.httpUrl}/api/health`)).json()) as { stats: { mqttRefused: unknown } };
    expect(health.stats.mqttRefused).toEqual({ connect: {}, publish: { acl: 2 }, subscribe: {}, limits: {} });

    // Logged out: the session ends and so does the MQTT connection, at its next message.
    const res = await fetch(`${hub.httpUrl}/api/logout`, { method: 'POST', headers: { cookie, origin: hub.httpUrl, 'x-csrf-token': await csrf(hub, cookie) } });
    expect(res.status).toBeLessThan(300);
    const closed = new Promise<void>((resolve) => viewer.once('close', () => resolve()));
    await edge.publishAsync(topicFor('factory', 'mill-1', 'state'), encodePayload('state', { ts: TS + 2, state: 'running', since: TS + 2, irms: [3] }), { qos: 1 });
    await closed;
    expect(got).toEqual([topicFor('factory', 'mill-1', 'state')]);
  });

  it('an admin may send a command (not retained) but not forge a reading', async () => {
    const hub = await startHub();
    const cookie = await login(hub, 'boss', 'boss-password-1');
    const admin = await wsClient(hub, cookie, { clientId: 'browser-2' });
    const node = await connectClient(hub.mqttUrl, { clientId: 'sim-node' });
    cleanups.push(() => closeClient(node));
    const seen: string[] = [];
    node.on('message', (topic, _p, packet) => seen.push(`${topic}${packet.retain ? ' (retained)' : ''}`));
    await node.subscribeAsync(['mieruka/v1/factory/mill-1/#'], { qos: 1 });
    await admin.publishAsync(topicFor('factory', 'mill-1', 'state'), encodePayload('state', { ts: TS, state: 'off', since: TS, irms: [0] }), { qos: 1 });
    await admin.publishAsync('mieruka/v1/factory/mill-1/cmd/thresholds', '{}', { qos: 1, retain: true });
    await admin.publishAsync('mieruka/v1/factory/mill-1/cmd/info', '{}', { qos: 1 });
    await waitFor(() => seen.length > 0, 'the command');
    expect(seen).toEqual(['mieruka/v1/factory/mill-1/cmd/info']);
    expect(hub.stats().mqttRefused.publish).toEqual({ acl: 2 });
  });
});

async function csrf(hub: Hub, cookie: string): Promise<string> {
  const me = await fetch(`${hub.httpUrl}/api/me`, { headers: { cookie } });
  const body = (await me.json()) as { csrfToken?: string };
  return body.csrfToken ?? '';
}

