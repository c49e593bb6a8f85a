/**
 * Alerts in the whole hub, all real: MQTT in, SQLite, the SMTP server (smtp-server with
 * STARTTLS and AUTH), mailparser, the dashboard over HTTP with a login, the ws live feed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmItem } from '@mieruka/protocol';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { liveMessagesOf, type LiveMessage } from '@mieruka/dashboard';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../../broker/src/test-support/helpers.js';
import { SMTP_PASSWORD, SMTP_USER, startSmtpPeer, type SmtpPeer } from '../../broker/src/test-support/smtp-peer.js';
import { stoppedClock } from '../helpers/test-clock.js';
import { ACK_SECRET_FILE } from '../../broker/src/alerts/alarms/ack-secret.js';
import { signAckToken } from '../../broker/src/alerts/alarms/ack-token.js';

/** The hub's clock in these tests: just after the fixture's machine stops (TS + 5 s). */
const HUB_NOW = TS + 10_000;
const PUBLIC_URL = 'http://mieruka.factory.lan:8080';
const ADMIN = { username: 'admin', password: 'admin-password-1' };

function alertConfig(smtpPort: number): Record<string, unknown> {
  return {
    dashboard: { adminPassword: ADMIN.password },
    machines: { 'mill-1': { name: 'ProtoMat S63' } },
    alerts: {
      publicUrl: PUBLIC_URL,
      smtp: { host: '127.0.0.1', port: smtpPort, requireTLS: true, rejectUnauthorized: false, user: SMTP_USER, password: SMTP_PASSWORD, from: 'Mieruka <mieruka@example.com>', timeoutS: 5 },
      recipients: { default: ['foreman@example.com'] },
    },
  };
}

/** The links in a mail's HTML, un-escaped. */
function links(mail: ParsedMail): string[] {
  return [...String(mail.html).matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&amp;', '&'));
}

describe('alerts in the hub', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function tempDir(): Promise<string> {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    return dir.path;
  }

  async function smtpPeer(): Promise<SmtpPeer> {
    const peer = await startSmtpPeer();
    cleanups.push(() => peer.close());
    return peer;
  }

  async function startHub(dataDir: string, smtpPort: number): Promise<Hub> {
    // The hub's clock is the fixture's (TS): the stop it is told about is news, not a replayed past.
    const hub = createHub({ config: hubConfig(dataDir, alertConfig(smtpPort)), logger: silentLogger, now: stoppedClock(HUB_NOW) });
    cleanups.push(() => hub.stop());
    await hub.start();
    return hub;
  }

  /** A machine agent: running, then straight to off (the "stopped unexpectedly" rule). */
  async function runThenStop(hub: Hub, node = 'mill-1'): Promise<void> {
    const edge = await connectClient(hub.mqttUrl, { clientId: `edge-${node}` });
    const topic = topicFor('factory', node, 'state');
    await edge.publishAsync(topic, encodePayload('state', { ts: TS, state: 'running', since: TS - 600_000, irms: [4.2] }), { qos: 1, retain: true });
    await edge.publishAsync(topic, encodePayload('state', { ts: TS + 5_000, state: 'off', since: TS + 5_000, irms: [0.01] }), { qos: 1, retain: true });
    await closeClient(edge);
  }

  async function login(hub: Hub): Promise<string> {
    const res = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(res.status).toBe(200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  }

  it('mails a stopped machine in Japanese with working links; the link acknowledges once; the API lists and acknowledges', async () => {
    const peer = await smtpPeer();
    const hub = await startHub(await tempDir(), peer.port);
    const cookie = await login(hub);
    const feed = new WebSocket(`ws://127.0.0.1:${hub.httpPort}/api/live`, { headers: { cookie } });
    cleanups.push(() => feed.terminate());
    const frames: Array<{ type: string; change?: string; alarm?: AlarmItem }> = [];
    feed.on('message', (data) => frames.push(...(liveMessagesOf(JSON.parse(String(data)) as LiveMessage) as unknown as typeof frames)));
    await waitFor(() => frames.some((f) => f.type === 'snapshot'), 'live snapshot');

    await runThenStop(hub);

    // The mail: subject, Japanese text, links.
    const got = await waitFor(() => peer.received[0], 'the alarm mail');
    expect(got.envelopeTo).toEqual(['foreman@example.com']);
    expect(got.secure).toBe(true);
    const mail = got.parsed;
    expect(mail.subject).toBe('【Mieruka】[重要] 発生: ProtoMat S63が運転中に停止しました（電源オフ）');
    expect(mail.text).toContain('機械・ステーション: ProtoMat S63（factory/mill-1）');
    expect(mail.text).toMatch(/発生時刻: 2025-11-25 01:00 \(Asia\/Tokyo\)/);
    const [ackLink, dashboardLink] = links(mail);
    expect(ackLink).toMatch(new RegExp(`^${PUBLIC_URL}/api/alarms/ack\\?token=[A-Za-z0-9._-]+&lang=ja$`));
    expect(dashboardLink).toMatch(new RegExp(`^${PUBLIC_URL}/alarms\\?focus=[0-9a-f-]{36}$`));
    expect(mail.text).toContain(ackLink);

    // The live feed and the API know the alarm.
    const raised = await waitFor(() => frames.find((f) => f.type === 'alarm' && f.change === 'raised'), 'alarm frame');
    const alarmId = raised.alarm?.id ?? '';
    const listed = (await (await fetch(`${hub.httpUrl}/api/alarms`, { headers: { cookie } })).json()) as { alarms: AlarmItem[] };
    expect(listed.alarms).toMatchObject([{ id: alarmId, node: 'mill-1', type: 'machine_stopped', severity: 'major', active: true, acknowledged: false }]);
    expect((await fetch(`${hub.httpUrl}/api/alarms`)).status).toBe(401);

    // The link, as the mail gives it, against this hub's address.
    const link = new URL(ackLink ?? '');
    const linkPath = `${link.pathname}${link.search}`;
    const page = await fetch(`${hub.httpUrl}${linkPath}`);
    expect(page.status).toBe(200);
    const pageHtml = await page.text();
    expect(pageHtml).toContain('data-outcome="valid"');
    expect(pageHtml).toContain('ProtoMat S63が運転中に停止しました');
    const token = link.searchParams.get('token') ?? '';
    const confirm = (t: string) =>
      fetch(`${hub.httpUrl}/api/alarms/ack`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t, lang: 'ja' }).toString() });

    const tampered = await confirm(token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain('data-outcome="invalid"');
    const secret = Buffer.from((await readFile(join(hub.dataDir, ACK_SECRET_FILE), 'utf8')).trim(), 'hex');
    const expired = await confirm(signAckToken(secret, alarmId, HUB_NOW - 1_000));
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('data-outcome="expired"');

    const first = await confirm(token);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('data-outcome="acknowledged"');
    const second = await confirm(token);
    expect(await second.text()).toContain('data-outcome="already"');
    const acked = await waitFor(() => frames.find((f) => f.type === 'alarm' && f.change === 'acknowledged'), 'acknowledged frame');
    expect(acked.alarm).toMatchObject({ id: alarmId, acknowledgedBy: 'mail-link' });
    const ackMail = await waitFor(() => peer.received[1], 'the acknowledged mail');
    expect(ackMail.parsed.subject).toBe('【Mieruka】[重要] 確認済み: ProtoMat S63が運転中に停止しました（電源オフ）');
    expect(links(ackMail.parsed).some((l) => l.includes('/api/alarms/ack'))).toBe(false);

    // A second machine stops; acknowledged from the dashboard API with the session's user.
    await runThenStop(hub, 'mill-2');
    const other = await waitFor(async () => {
      const body = (await (await fetch(`${hub.httpUrl}/api/alarms?node=mill-2`, { headers: { cookie } })).json()) as { alarms: AlarmItem[] };
      return body.alarms[0];
    }, 'the second alarm');
    const { csrfToken } = (await (await fetch(`${hub.httpUrl}/api/me`, { headers: { cookie } })).json()) as { csrfToken: string };
    const ack = (id: string) => fetch(`${hub.httpUrl}/api/alarms/${id}/ack`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: '{}' });
    const res = await ack(other.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'acknowledged', alarm: { id: other.id, acknowledged: true, acknowledgedBy: 'admin' } });
    expect(await (await ack(other.id)).json()).toMatchObject({ outcome: 'already' });
    const history = (await (await fetch(`${hub.httpUrl}/api/alarms?state=history&severity=major`, { headers: { cookie } })).json()) as { alarms: AlarmItem[] };
    expect(history.alarms.map((a) => [a.node, a.acknowledgedBy]).sort()).toEqual([
      ['mill-1', 'mail-link'],
      ['mill-2', 'admin'],
    ]);
  });

  it('keeps a mail that could not be sent across a hub restart and sends it after', async () => {
    const peer = await smtpPeer();
    await peer.close(); // SMTP down
    const dataDir = await tempDir();
    const first = await startHub(dataDir, peer.port);
    await runThenStop(first);
    const db = () => first.store.database;
    await waitFor(() => (db().prepare("SELECT attempts FROM mail_queue WHERE status = 'pending'").get() as { attempts: number } | undefined)?.attempts, 'a failed attempt');
    const [alarm] = await first.alerts.listAlarms({ state: 'active', limit: 10 });
    await first.stop();
    expect(peer.received).toHaveLength(0);

    await peer.listen(); // SMTP back, same port
    const second = await startHub(dataDir, peer.port);
    const got = await waitFor(() => peer.received[0], 'the mail after the restart');
    expect(got.parsed.subject).toContain('ProtoMat S63が運転中に停止しました');
    expect(got.parsed.headers.get('x-mieruka-alarm')).toBe(alarm?.id);
    // Still the same one alarm, and one mail.
    expect((await second.alerts.listAlarms({ state: 'history', limit: 10 })).map((a) => a.id)).toEqual([alarm?.id]);
    await waitFor(() => (second.store.database.prepare("SELECT count(*) AS n FROM mail_queue WHERE status = 'sent'").get() as { n: number }).n === 1, 'marked sent');
    expect(peer.received).toHaveLength(1);
  });
});
