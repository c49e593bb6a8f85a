/**
 * Prometheus GET /metrics (issue 19, part 4) on a real hub with its dashboard: readings, an
 * invalid message and a refused MQTT login go in over real MQTT; the exposition scraped over
 * real HTTP with the bearer token moves by exactly those amounts. Without credentials 401, a
 * viewer's session 403, an admin's session 200, each refusal counted; the token never reaches
 * the log. The Grafana dashboard in docs/ asks only for metrics the hub really exports.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { closeClient, connectClient, hubConfig, makeTempDir, waitFor } from '../../broker/src/test-support/helpers.js';
import { loginSession, type DashboardSession } from '../helpers/dashboard-client.js';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prometheus-text.js';
import { stoppedClock } from '../helpers/test-clock.js';

const ADMIN = { username: 'boss', password: 'boss-password-1' };
const VIEWER = { username: 'watcher', password: 'watcher-password-1' };
const TOKEN = 'metricsToken_0123456789abcdefXYZ';
const GRAFANA = fileURLToPath(new URL('../../docs/grafana/mieruka-dashboard.json', import.meta.url));

describe('GET /metrics on a running hub', () => {
  const clock = stoppedClock();
  const logLines: string[] = [];
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let edge: MqttClient | undefined;
  let admin: DashboardSession;
  let viewer: DashboardSession;
  let seq = 0;

  const url = () => `${hub.httpUrl}/metrics`;
  async function scrape(headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Map<string, Family>> {
    const res = await fetch(url(), { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return parsePrometheusText(await res.text());
  }

  const publish = (kind: 'current' | 'state', payload: unknown) =>
    edge!.publishAsync(topicFor('factory', 'mill-1', kind), encodePayload(kind, payload as never), { qos: 1 });

  beforeAll(async () => {
    dir = await makeTempDir();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    const config = hubConfig(dir.path, { hub: { metrics: { token: TOKEN } }, dashboard: { adminUser: ADMIN.username, adminPassword: ADMIN.password } });
    hub = createHub({ config, logger: pino({ level: 'debug' }, sink), now: clock });
    await hub.start();
    await hub.users.upsert(VIEWER.username, VIEWER.password, 'viewer');
    admin = await loginSession(hub.httpUrl, ADMIN.username, ADMIN.password);
    viewer = await loginSession(hub.httpUrl, VIEWER.username, VIEWER.password);
    edge = await connectClient(hub.mqttUrl, { clientId: 'edge-mill-1' });
  });

  afterAll(async () => {
    await closeClient(edge);
    await hub?.stop();
    await dir?.remove();
  });

  it('counts readings, invalid messages, MQTT refusals and ingest latency as they happen', async () => {
    const before = await scrape();
    const latencyCount = (m: Map<string, Family>) => sampleValue(m, 'mieruka_ingest_latency_seconds_count', { kind: 'current' });

    for (const amps of [3.1, 3.3, 3.2]) await publish('current', { ts: clock.at, seq: ++seq, irms: [amps] });
    await publish('state', { ts: clock.at, state: 'running', since: clock.at - 60_000, irms: [3.2] });
    // Valid JSON, wrong shape: refused by the schema.
    await edge!.publishAsync(topicFor('factory', 'mill-1', 'current'), Buffer.from(JSON.stringify({ ts: clock.at, seq: ++seq })), { qos: 1 });
    // An MQTT login with an account the hub does not have.
    await expect(connectClient(hub.mqttUrl, { clientId: 'intruder', username: 'nobody', password: 'wrong-password' })).rejects.toThrow();
    await waitFor(() => (hub.stats().mqttRefused.connect['bad-credentials'] ?? 0) > 0, 'the refused login');
    await hub.flush();

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('mieruka_readings_ingested_total', { kind: 'current' })).toBe(3);
    expect(delta('mieruka_readings_ingested_total', { kind: 'state' })).toBe(1);
    expect(delta('mieruka_messages_invalid_total', { reason: 'schema' })).toBe(1);
    expect(delta('mieruka_messages_received_total')).toBe(5);
    expect(delta('mieruka_mqtt_refusals_total', { stage: 'connect', reason: 'bad-credentials' })).toBe(1);
    expect(sampleValue(after, 'mieruka_mqtt_clients_connected')).toBe(1);

    // The histogram: 3 more current readings stored, cumulative buckets ending in +Inf = count.
    expect(latencyCount(after) - latencyCount(before)).toBe(3);
    const latency = after.get('mieruka_ingest_latency_seconds');
    expect(latency?.type).toBe('histogram');
    const buckets = latency!.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.kind === 'current');
    const counts = buckets.map((s) => s.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(buckets.at(-1)?.labels.le).toBe('+Inf');
    expect(buckets.at(-1)?.value).toBe(latencyCount(after));

    // Gauges read at scrape time: every severity, the store's queue, the node, the process.
    for (const severity of ['critical', 'major', 'minor', 'warning', 'info']) {
      expect(after.get('mieruka_alarms_active')?.samples.some((s) => s.labels.severity === severity)).toBe(true);
    }
    expect(after.get('mieruka_queue_depth')?.samples.some((s) => s.labels.queue === 'store-writes')).toBe(true);
    expect(sampleValue(after, 'mieruka_hub_start_time_seconds')).toBe(clock.at / 1000);
    expect(after.get('process_resident_memory_bytes')?.type).toBe('gauge');
    expect(after.get('process_cpu_seconds_total')?.type).toBe('counter');
    for (const family of after.values()) if (family.name.startsWith('mieruka_')) expect(family.help, family.name).not.toBe('');
  });

  it('wants the token or an admin session: 401 without, 401 with a wrong token, 403 for a viewer, each counted', async () => {
    const before = await scrape();
    const none = await fetch(url());
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const wrong = await fetch(url(), { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
    expect(wrong.status).toBe(401);
    await wrong.body?.cancel();
    const asViewer = await fetch(url(), { headers: { cookie: viewer.cookie } });
    expect(asViewer.status).toBe(403);
    expect(((await asViewer.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    // A wrong token is refused even beside an admin's cookie: explicit credentials decide.
    const mixed = await fetch(url(), { headers: { cookie: admin.cookie, authorization: 'Bearer not-the-token' } });
    expect(mixed.status).toBe(401);
    await mixed.body?.cancel();

    const asAdmin = await scrape({ cookie: admin.cookie });
    const delta = (reason: string) => sampleValue(asAdmin, 'mieruka_metrics_refusals_total', { reason }) - sampleValue(before, 'mieruka_metrics_refusals_total', { reason });
    expect(delta('no-credentials')).toBe(1);
    expect(delta('bad-token')).toBe(2);
    expect(delta('not-admin')).toBe(1);
    expect(hub.stats().metricsRefused).toMatchObject({ 'no-credentials': 1, 'bad-token': 2, 'not-admin': 1 });

    const post = await fetch(url(), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(post.status).toBe(405);
    await post.body?.cancel();
  });

  it('never writes the token to the log, and logs the refusals', () => {
    const log = logLines.join('');
    expect(log).toContain('metrics request refused');
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(TOKEN.slice(0, 16));
  });

  it('the Grafana dashboard is valid JSON with the promised panels, asking only for metrics the hub exports', async () => {
    const exported = await scrape();
    const dashboard = JSON.parse(readFileSync(GRAFANA, 'utf8')) as { title?: unknown; panels?: Array<{ title?: string; targets?: Array<{ expr?: string }> }> };
    expect(typeof dashboard.title).toBe('string');
    const panels = dashboard.panels ?? [];
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    expect(exprs.length).toBeGreaterThan(0);

    // Each metric a query names is an exported family (or a histogram's _bucket/_sum/_count series).
    const series = new Set<string>();
    for (const family of exported.values()) for (const s of family.samples) series.add(s.name);
    for (const family of exported.values()) series.add(family.name);
    const named = new Set(exprs.flatMap((e) => e.match(/\b(?:mieruka|process|nodejs)_[a-z0-9_]+\b/g) ?? []));
    expect(named.size).toBeGreaterThan(5);
    for (const name of named) expect(series.has(name) || exported.has(name.replace(/_(bucket|sum|count)$/, '')), `${name} is not exported`).toBe(true);

    const queryFor = (title: RegExp) => panels.filter((p) => title.test(p.title ?? '')).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
    expect(queryFor(/ingest rate/i)).toMatch(/rate\(mieruka_readings_ingested_total/);
    expect(queryFor(/invalid/i)).toMatch(/mieruka_messages_invalid_total/);
    expect(queryFor(/MQTT clients/i)).toMatch(/mieruka_mqtt_clients_connected/);
    expect(queryFor(/queue/i)).toMatch(/mieruka_queue_depth/);
    expect(queryFor(/alarms active/i)).toMatch(/mieruka_alarms_active/);
    const latency = queryFor(/latency/i);
    expect(latency).toMatch(/histogram_quantile\(0\.5, .*mieruka_ingest_latency_seconds_bucket/);
    expect(latency).toMatch(/histogram_quantile\(0\.99, .*mieruka_ingest_latency_seconds_bucket/);
    expect(queryFor(/memory/i)).toMatch(/process_resident_memory_bytes/);
    expect(queryFor(/CPU/i)).toMatch(/process_cpu_seconds_total/);
  });
});
