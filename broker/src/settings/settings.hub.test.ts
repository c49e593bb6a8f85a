/**
 * Runtime settings in the whole hub, all real: SQLite, the MQTT broker and clients, the SMTP
 * peer. An admin's change takes effect without a restart (alarm rules, recipients, edge
 * thresholds) and is still in effect after one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, topicFor, type RuntimeSettings } from '@mieruka/protocol';
import { Hub } from '../hub.js';
import { stoppedClock } from '../../../test/helpers/test-clock.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../test-support/helpers.js';
import { SMTP_PASSWORD, SMTP_USER, startSmtpPeer } from '../test-support/smtp-peer.js';

function fileConfig(smtpPort: number): Record<string, unknown> {
  return {
    machines: { 'mill-1': { name: 'ProtoMat S63' } },
    stations: { 'bench-1': { slots: ['17:00'] } },
    alerts: {
      smtp: { host: '127.0.0.1', port: smtpPort, requireTLS: true, rejectUnauthorized: false, user: SMTP_USER, password: SMTP_PASSWORD, from: 'Mieruka <mieruka@example.com>', timeoutS: 5 },
      // No recipients yet: the admin adds them in the dashboard.
      recipients: { default: [] },
    },
  };
}

describe('runtime settings in the hub', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const peer = await startSmtpPeer();
    cleanups.push(() => peer.close());
    const start = async () => {
      // The hub's clock is the fixture's (TS): the stop and the score it is told about are news, not a replayed past.
      const hub = new Hub({ config: hubConfig(dir.path, fileConfig(peer.port)), logger: silentLogger, now: stoppedClock(TS + 10_000) });
      cleanups.push(() => hub.stop());
      await hub.start();
      return hub;
    };
    return { dir: dir.path, peer, start };
  }

  it('applies a saved change at once (recipients, rule threshold, edge thresholds) and keeps it across a restart', async () => {
    const { peer, start } = await setup();
    const hub = await start();
    const edge = await connectClient(hub.mqttUrl, { clientId: 'edge-mill-1' });
    cleanups.push(() => closeClient(edge));
    const commands: Array<{ topic: string; payload: Record<string, unknown>; retain: boolean }> = [];
    edge.on('message', (topic, payload, packet) => commands.push({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown>, retain: packet.retain }));
    await edge.subscribeAsync('mieruka/v1/factory/+/cmd/+', { qos: 1 });

    const before = hub.settings.view();
    expect(before.version).toBe(0);
    expect(before.settings.rules.clutterHigh.above).toBe(50);
    const next: RuntimeSettings = structuredClone(before.settings);
    next.recipients.default = ['night-shift@example.com'];
    next.rules.clutterHigh.above = 30;
    next.machines['mill-1']!.runningAboveA = 5;
    const saved = await hub.settings.update(next, 0, 'admin');
    expect(saved.outcome).toBe('saved');
    if (saved.outcome !== 'saved') return;
    expect(saved.view).toMatchObject({ version: 1, updatedBy: 'admin' });

    // The edge agent is told its new thresholds; the station its (unchanged) photo times.
    const thresholds = await waitFor(() => commands.find((c) => c.topic === 'mieruka/v1/factory/mill-1/cmd/thresholds'), 'cmd/thresholds');
    expect(thresholds.payload).toMatchObject({ offBelowA: 0.3, runningAboveA: 5, hysteresisA: 0.1, minDwellS: 3 });
    await waitFor(() => commands.find((c) => c.topic === 'mieruka/v1/factory/bench-1/cmd/schedule'), 'cmd/schedule');

    // A score of 40 is above the new threshold (30) though not the file's (50).
    await edge.publishAsync(topicFor('factory', 'bench-1', 'clutter'), encodePayload('clutter', { ts: TS, seq: 1, score: 40, coveredRatio: 0.4, slot: '17:00', imageId: 'shot-1' }), { qos: 1 });
    await waitFor(async () => (await hub.alerts.listAlarms({ state: 'active', limit: 10 })).find((a) => a.type === 'clutter_high'), 'clutter_high alarm');

    // The mail goes to the recipient added at run time.
    const state = topicFor('factory', 'mill-1', 'state');
    await edge.publishAsync(state, encodePayload('state', { ts: TS, state: 'running', since: TS - 600_000, irms: [6.2] }), { qos: 1, retain: true });
    await edge.publishAsync(state, encodePayload('state', { ts: TS + 5_000, state: 'off', since: TS + 5_000, irms: [0.01] }), { qos: 1, retain: true });
    const mail = await waitFor(() => peer.received.find((m) => m.parsed.subject?.includes('ProtoMat S63')), 'alarm mail');
    expect(mail.envelopeTo).toEqual(['night-shift@example.com']);

    // After a restart the saved settings are in effect again, and the retained command is still there.
    await hub.stop();
    const again = await start();
    expect(again.settings.view()).toMatchObject({ version: 1, updatedBy: 'admin' });
    expect(again.settings.view().settings.rules.clutterHigh.above).toBe(30);
    expect(again.settings.config.alerts.recipients.default).toEqual(['night-shift@example.com']);
    const late = await connectClient(again.mqttUrl, { clientId: 'edge-mill-1-late' });
    cleanups.push(() => closeClient(late));
    const retained: Array<Record<string, unknown>> = [];
    late.on('message', (_t, payload, packet) => packet.retain && retained.push(JSON.parse(payload.toString()) as Record<string, unknown>));
    await late.subscribeAsync('mieruka/v1/factory/mill-1/cmd/thresholds', { qos: 1 });
    await waitFor(() => retained[0], 'retained thresholds');
    expect(retained[0]).toMatchObject({ runningAboveA: 5 });
  });

  it('refuses an invalid or stale save and stores nothing', async () => {
    const { start } = await setup();
    const hub = await start();
    const base = hub.settings.view();
    const bad = structuredClone(base.settings);
    bad.machines['mill-1']!.runningAboveA = 0.1;
    const invalid = await hub.settings.update(bad, 0, 'admin');
    expect(invalid.outcome).toBe('invalid');
    if (invalid.outcome === 'invalid') expect(invalid.issues.map((i) => i.path.join('.'))).toContain('machines.mill-1.runningAboveA');
    expect(hub.settings.view().version).toBe(0);

    const first = structuredClone(base.settings);
    first.rules.idleLong.enabled = true;
    expect((await hub.settings.update(first, 0, 'alice')).outcome).toBe('saved');
    // Bob edited version 0 too: his save must not silently overwrite Alice's.
    const second = structuredClone(base.settings);
    second.rules.clutterHigh.above = 10;
    const conflict = await hub.settings.update(second, 0, 'bob');
    expect(conflict.outcome).toBe('conflict');
    if (conflict.outcome === 'conflict') expect(conflict.view).toMatchObject({ version: 1, updatedBy: 'alice' });
    expect(hub.settings.config.alerts.rules.clutterHigh.above).toBe(50);
    expect(hub.settings.config.alerts.rules.idleLong.enabled).toBe(true);
  });

  it('starts on the config file alone when the saved settings are damaged, and can be saved again', async () => {
    const { start } = await setup();
    const hub = await start();
    const next = structuredClone(hub.settings.view().settings);
    next.rules.clutterHigh.above = 20;
    expect((await hub.settings.update(next, 0, 'admin')).outcome).toBe('saved');
    hub.store.database.prepare("UPDATE runtime_settings SET document = '{not json' WHERE version = 1").run();
    await hub.stop();

    const again = await start();
    expect(again.settings.config.alerts.rules.clutterHigh.above).toBe(50);
    expect(again.settings.view().version).toBe(1);
    const fixed = structuredClone(again.settings.view().settings);
    fixed.rules.clutterHigh.above = 25;
    const saved = await again.settings.update(fixed, 1, 'admin');
    expect(saved.outcome).toBe('saved');
    expect(again.settings.config.alerts.rules.clutterHigh.above).toBe(25);
  });
});
