/**
 * Home Assistant discovery in a real hub: aedes, SQLite and MQTT.js on loopback. Home
 * Assistant is played by an observer account subscribing to `homeassistant/#` and to the
 * topics the configs point at; every config is checked against HA's documented schema and
 * every template is evaluated on what its topic really carries.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { stoppedClock } from '../../../../test/helpers/test-clock.js';
import { DeviceAccounts } from '../../auth/device-accounts.js';
import { SqliteSqlStore } from '../../store/sql/sqlite-sql-store.js';
import { Hub } from '../../hub.js';
import { openDatabase } from '../../store/database.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../../test-support/helpers.js';

// HA's MQTT sensor discovery payload, full key names, as documented at
// https://www.home-assistant.io/integrations/sensor.mqtt/ (configuration variables) and
// https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery (device, origin).
const Template = z.string().regex(/^\{\{ .+ \}\}$/);
const Topic = z.string().regex(/^[^#+\0]+$/);
const HaDevice = z
  .strictObject({
    configuration_url: z.string().optional(),
    connections: z.array(z.tuple([z.string(), z.string()])).optional(),
    hw_version: z.string().optional(),
    identifiers: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    model_id: z.string().optional(),
    name: z.string().optional(),
    serial_number: z.string().optional(),
    suggested_area: z.string().optional(),
    sw_version: z.string().optional(),
    via_device: z.string().optional(),
  })
  .refine((d) => d.identifiers !== undefined || d.connections !== undefined, 'a device needs identifiers or connections');
const HaSensorDiscovery = z
  .strictObject({
    availability: z.array(z.strictObject({ topic: Topic, payload_available: z.string().optional(), payload_not_available: z.string().optional(), value_template: Template.optional() })).optional(),
    availability_mode: z.enum(['all', 'any', 'latest']).optional(),
    availability_template: Template.optional(),
    availability_topic: Topic.optional(),
    default_entity_id: z.string().optional(),
    device: HaDevice.optional(),
    device_class: z.enum(['current', 'enum', 'power', 'energy', 'duration', 'timestamp', 'power_factor', 'voltage', 'temperature']).optional(),
    enabled_by_default: z.boolean().optional(),
    encoding: z.string().optional(),
    entity_category: z.enum(['diagnostic']).optional(),
    entity_picture: z.string().optional(),
    expire_after: z.int().positive().optional(),
    force_update: z.boolean().optional(),
    icon: z.string().regex(/^mdi:[a-z0-9-]+$/).optional(),
    json_attributes_template: Template.optional(),
    json_attributes_topic: Topic.optional(),
    last_reset_value_template: Template.optional(),
    name: z.string().nullable().optional(),
    object_id: z.string().optional(),
    options: z.array(z.string()).min(1).optional(),
    origin: z.strictObject({ name: z.string(), sw_version: z.string().optional(), support_url: z.string().optional() }).optional(),
    payload_available: z.string().optional(),
    payload_not_available: z.string().optional(),
    platform: z.literal('sensor').optional(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    state_class: z.enum(['measurement', 'measurement_angle', 'total', 'total_increasing']).optional(),
    state_topic: Topic,
    suggested_display_precision: z.int().min(0).optional(),
    unique_id: z.string().min(1).optional(),
    unit_of_measurement: z.string().optional(),
    value_template: Template.optional(),
  })
  .refine((c) => !(c.availability && c.availability_topic), 'availability and availability_topic exclude each other')
  .refine((c) => !c.device || c.unique_id !== undefined, 'a device needs a unique_id')
  .refine((c) => c.device_class !== 'enum' || (c.options !== undefined && c.state_class === undefined && c.unit_of_measurement === undefined), 'an enum sensor has options, no unit, no state class')
  .refine((c) => c.device_class !== 'current' || c.unit_of_measurement === 'A' || c.unit_of_measurement === 'mA', 'current is in A or mA');
type HaSensorDiscovery = z.infer<typeof HaSensorDiscovery>;

/**
 * The two template shapes the hub uses, evaluated as Jinja would on a JSON payload:
 * `{{ value_json.a.b[0] }}` and `{{ 'x' if value_json.a else 'y' }}`. Anything else fails.
 */
function render(template: string, payload: string): string {
  const json = JSON.parse(payload) as unknown;
  const path = (expr: string): unknown => {
    const m = /^value_json((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+)$/.exec(expr);
    if (!m) throw new Error(`unsupported expression ${expr}`);
    let v: unknown = json;
    for (const [, field, index] of m[1]!.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) v = (v as Record<string, unknown>)[field ?? Number(index)];
    return v;
  };
  const inner = /^\{\{ (.+) \}\}$/.exec(template)?.[1];
  if (!inner) throw new Error(`not a template: ${template}`);
  const cond = /^'([^']*)' if (\S+) else '([^']*)'$/.exec(inner);
  if (cond) return path(cond[2]!) ? cond[1]! : cond[3]!;
  const v = path(inner);
  return v === null || v === undefined ? 'None' : String(v);
}

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const NOW = TS + 10_000;
const config = (dir: string, discovery: boolean) =>
  hubConfig(dir, { hub: { mqtt: { anonymous: 'loopback' }, homeAssistant: { discovery } }, machines: { 'mill-1': { name: 'ProtoMat S63', channel: 1 } }, stations: { 'bench-1': { name: 'Bench 1' } } });

/** The account Home Assistant uses (`mieruka device add home-assistant --observer`), written as the CLI does. */
async function addObserver(dir: string): Promise<void> {
  const db = openDatabase(join(dir, 'mieruka.db'));
  try {
    await new DeviceAccounts({ sql: new SqliteSqlStore(db), logger: silentLogger, scryptParams: FAST }).add('home-assistant', 'ha secret 123', 'observer');
  } finally {
    db.close();
  }
}

async function startHub(dir: string, discovery: boolean, aclFile?: string): Promise<Hub> {
  const base = config(dir, discovery);
  const hub = new Hub({ config: aclFile ? { ...base, hub: { ...base.hub, mqtt: { ...base.hub.mqtt, aclFile } } } : base, logger: silentLogger, now: stoppedClock(NOW) });
  cleanups.push(() => hub.stop());
  await hub.start();
  return hub;
}

/** Home Assistant: an observer account; keeps every message by topic. */
async function homeAssistant(hub: Hub, filters: string[]): Promise<{ client: MqttClient; last: Map<string, { payload: string; retain: boolean }>; all: Array<{ topic: string; payload: string; retain: boolean }> }> {
  const client = await connectClient(hub.mqttUrl, { username: 'home-assistant', password: 'ha secret 123', clientId: `ha-${Math.random().toString(36).slice(2)}` });
  cleanups.push(() => closeClient(client));
  const last = new Map<string, { payload: string; retain: boolean }>();
  const all: Array<{ topic: string; payload: string; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => {
    const m = { payload: payload.toString(), retain: packet.retain };
    last.set(topic, m);
    all.push({ topic, ...m });
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return { client, last, all };
}

const configsIn = (last: Map<string, { payload: string }>) =>
  new Map([...last].filter(([topic, m]) => topic.startsWith('homeassistant/') && topic.endsWith('/config') && m.payload !== '').map(([topic, m]) => [topic, HaSensorDiscovery.parse(JSON.parse(m.payload))]));

describe('Home Assistant discovery', () => {
  it('publishes valid retained configs per node whose templates read the real topics; availability, removal and switching off clear them', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const hub = await startHub(dir.path, true);
    await addObserver(dir.path);

    const ha = await homeAssistant(hub, ['homeassistant/#', 'mieruka/v1/#']);
    // The configured machine and bench are announced before they report.
    await waitFor(() => configsIn(ha.last).size === 4, 'configs of the configured nodes');

    // The agents report (anonymous over loopback); the machine's bridge leaves a will.
    const mill = await connectClient(hub.mqttUrl, { clientId: 'mieruka-bridge-factory-mill-1', will: { topic: topicFor('factory', 'mill-1', 'status'), payload: Buffer.from(encodePayload('status', { online: false, ts: NOW, agent: 'bridge', version: '0.1.0' })), qos: 1, retain: true } });
    cleanups.push(() => closeClient(mill));
    const bench = await connectClient(hub.mqttUrl, { clientId: 'mieruka-clutter-station-factory-bench-1' });
    cleanups.push(() => closeClient(bench));
    await mill.publishAsync(topicFor('factory', 'mill-1', 'status'), encodePayload('status', { online: true, ts: NOW - 70_000, agent: 'bridge', version: '0.1.2' }), { qos: 1, retain: true });
    await mill.publishAsync(topicFor('factory', 'mill-1', 'state'), encodePayload('state', { ts: NOW - 60_000, state: 'running', since: NOW - 60_000, irms: [0.1, 3.25] }), { qos: 1, retain: true });
    await mill.publishAsync(topicFor('factory', 'mill-1', 'current'), encodePayload('current', { ts: NOW - 1000, seq: 1, irms: [0.1, 3.5] }), { qos: 1 });
    await bench.publishAsync(topicFor('factory', 'bench-1', 'status'), encodePayload('status', { online: true, ts: NOW - 70_000, agent: 'clutter-station', version: '0.1.0' }), { qos: 1, retain: true });
    await bench.publishAsync(topicFor('factory', 'bench-1', 'clutter'), encodePayload('clutter', { ts: NOW - 5000, seq: 1, score: 23.4, coveredRatio: 0.234, slot: '17:00', imageId: null }), { qos: 1 });

    const utilizationTopic = 'mieruka/v1/factory/mill-1/utilization';
    const utilizationPct = () => (JSON.parse(ha.last.get(utilizationTopic)?.payload || '{}') as { utilizationPct?: number | null }).utilizationPct ?? 0;
    await waitFor(() => utilizationPct() > 0, 'utilization after the state change');
    await waitFor(() => configsIn(ha.last).get('homeassistant/sensor/mieruka/factory_mill-1_state/config')?.device?.sw_version === '0.1.2', 'the agent version');

    // A Home Assistant that connects now gets every config retained.
    const later = await homeAssistant(hub, ['homeassistant/#']);
    await waitFor(() => later.all.length >= 4, 'retained configs');
    expect(later.all.every((m) => m.retain)).toBe(true);
    const configs = configsIn(later.last);
    expect([...configs.keys()].sort()).toEqual([
      'homeassistant/sensor/mieruka/factory_bench-1_clutter/config',
      'homeassistant/sensor/mieruka/factory_mill-1_current/config',
      'homeassistant/sensor/mieruka/factory_mill-1_state/config',
      'homeassistant/sensor/mieruka/factory_mill-1_utilization/config',
    ]);
    const list = [...configs.values()];
    expect(new Set(list.map((c) => c.unique_id)).size).toBe(4);
    // One device per node, under the hub.
    const devices = new Map(list.map((c) => [JSON.stringify(c.device?.identifiers), c.device]));
    expect([...devices.values()].map((d) => ({ name: d?.name, manufacturer: d?.manufacturer, via: d?.via_device })).sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: 'Bench 1', manufacturer: 'Mieruka', via: 'mieruka_hub_factory' },
      { name: 'ProtoMat S63', manufacturer: 'Mieruka', via: 'mieruka_hub_factory' },
    ]);

    // Each template, on what its topic carries now (acknowledged is not yet delivered to every subscriber).
    await waitFor(() => list.every((c) => ha.last.has(c.state_topic)), 'a value on every state topic');
    const value = (c: HaSensorDiscovery) => render(c.value_template!, ha.last.get(c.state_topic)!.payload);
    const byId = (id: string) => list.find((c) => c.unique_id === `mieruka_factory_${id}`)!;
    expect(value(byId('mill-1_state'))).toBe('running');
    expect(byId('mill-1_state').options).toContain('running');
    expect(value(byId('mill-1_current'))).toBe('3.5'); // channel 1 of the machine config
    expect(value(byId('bench-1_clutter'))).toBe('23.4');
    // Running since NOW − 60 s, nothing known before it today: 100 %, as the usage report says.
    expect(value(byId('mill-1_utilization'))).toBe('100');
    expect((await hub.reports.usage('factory', 'mill-1', { from: NOW - 60_000, to: NOW }, 'day'))?.total.utilization).toBe(1);
    const state = byId('mill-1_state');
    const available = () => render(state.availability_template!, ha.last.get(state.availability_topic!)!.payload);
    expect(available()).toBe(state.payload_available);

    // The bridge dies: its will says offline, and so does the template.
    mill.stream.destroy();
    await waitFor(() => available() === state.payload_not_available, 'unavailable after the will');
    // The hub took the will too (else it would bring the node back right after its removal, as a node reporting again).
    await waitFor(() => hub.live.get('factory', 'mill-1')?.online === false, 'the will ingested');

    // An admin removes the machine: its configs and utilization are cleared (empty retained).
    expect(await hub.removeNode('factory', 'mill-1', 'admin')).toEqual({ outcome: 'removed' });
    const millTopics = [...configs.keys()].filter((t) => t.includes('mill-1')).concat(utilizationTopic);
    await waitFor(() => millTopics.every((t) => ha.last.get(t)?.payload === ''), 'cleared configs');
    expect(hub.homeAssistant.topics).toEqual(['homeassistant/sensor/mieruka/factory_bench-1_clutter/config']);
    expect(await hub.removeNode('factory', 'mill-1', 'admin')).toEqual({ outcome: 'not-found' });
    await hub.stop();

    // Discovery switched off: the next start clears what the last run published.
    const off = await startHub(dir.path, false);
    await off.broker.publish({ topic: 'homeassistant/zz-marker', payload: 'x', retain: true });
    const fresh = await homeAssistant(off, ['homeassistant/#']);
    await waitFor(() => fresh.last.has('homeassistant/zz-marker'), 'the marker that sorts after the configs');
    expect([...fresh.last.keys()]).toEqual(['homeassistant/zz-marker']);
    expect(off.homeAssistant.topics).toEqual([]);
    expect(existsSync(join(dir.path, 'home-assistant.json'))).toBe(true);
  });

  it('keeps discovery configs the hub owns: no client may publish under <prefix>/sensor/mieruka/', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const hub = await startHub(dir.path, true);
    await addObserver(dir.path);
    const ha = await homeAssistant(hub, ['homeassistant/#']);
    await waitFor(() => configsIn(ha.last).size === 4, 'configs');
    const topic = 'homeassistant/sensor/mieruka/factory_mill-1_state/config';
    const before = ha.last.get(topic)?.payload;
    // HA's own birth message is fine; a forged config is acknowledged and dropped.
    await ha.client.publishAsync(topic, '{"state_topic":"x"}', { qos: 1, retain: true });
    await ha.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await waitFor(() => ha.last.has('homeassistant/status'), 'birth message');
    expect(ha.last.get(topic)?.payload).toBe(before);
    expect(hub.stats().mqttRefused.publish).toEqual({ acl: 1 });
  });

  it('works with an ACL file that has the rules docs/home-assistant.md gives the account', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const aclFile = join(dir.path, 'acl');
    await writeFile(aclFile, 'user home-assistant\ntopic read homeassistant/#\ntopic write homeassistant/status\ntopic read mieruka/v1/#\n');
    await addObserver(dir.path);
    const hub = await startHub(dir.path, true, aclFile);
    const ha = await homeAssistant(hub, ['homeassistant/#', 'mieruka/v1/#']);
    await waitFor(() => configsIn(ha.last).size === 4, 'configs');
    await ha.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await waitFor(() => ha.last.get('homeassistant/status')?.payload === 'online', 'birth message');
    expect(hub.stats().mqttRefused).toEqual(expect.objectContaining({ publish: {}, subscribe: {} }));
  });
});
