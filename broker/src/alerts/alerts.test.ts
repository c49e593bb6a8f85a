/**
 * The Alerts service over a real LiveState and both stores (a SQLite file, a real PostgreSQL 15)
 * with a simulated clock: a flapping
 * machine makes one alarm, a broken channel is reported through the others, mail links
 * acknowledge once. Channels here are recording stand-ins (the real mail channel has its own
 * tests against an SMTP server; the hub test runs everything together).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmItem, LiveUpdate } from '@mieruka/protocol';
import { parseConfig, type Config } from '@mieruka/protocol';
import { LiveState } from '../ingest/live-state.js';
import { sqlBackends } from '../test-support/sql-backends.js';
import type { SqlStore } from '../store/sql/sql-store.js';
import { makeTempDir, silentLogger, TS } from '../test-support/helpers.js';
import { loadAckSecret } from './alarms/ack-secret.js';
import { signAckToken } from './alarms/ack-token.js';
import { AlarmStore } from './alarms/alarm-store.js';
import { Alerts } from './alerts.js';
import type { AlarmNotice, AlertChannel, ChannelStatus } from './channel.js';

class RecordingChannel implements AlertChannel {
  readonly notices: AlarmNotice[] = [];
  health: ChannelStatus = { ok: true };
  started = false;
  constructor(readonly name: string) {}
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.started = false;
  }
  async deliver(notice: AlarmNotice): Promise<void> {
    this.notices.push(notice);
  }
  status(): ChannelStatus {
    return this.health;
  }
  kinds(type?: string): string[] {
    return this.notices.filter((n) => type === undefined || n.alarm.type === type).map((n) => n.kind);
  }
}

const SEC = 1_000;
const MIN = 60_000;

const backends = sqlBackends();

describe.each(backends.each)('Alerts on %s', (_name, open) => {
  let dir: { path: string; remove(): Promise<void> };
  let db: SqlStore;
  let live: LiveState;
  let now: number;
  let alerts: Alerts | null;
  let frames: LiveUpdate[];

  beforeEach(async () => {
    dir = await makeTempDir('mieruka-alerts-');
    db = (await open()).sql;
    live = new LiveState({ logger: silentLogger });
    frames = [];
    live.subscribe((u) => frames.push(u));
    now = TS;
    alerts = null;
  });
  afterEach(async () => {
    await alerts?.stop();
    await dir.remove();
  });

  async function start(channels: AlertChannel[], yaml = ''): Promise<Alerts> {
    const config: Readonly<Config> = parseConfig({
      text: `site: factory\nmachines:\n  mill-1: { name: ProtoMat S63 }\nalerts:\n  publicUrl: http://192.168.1.20:8080/\n${yaml}`,
    });
    alerts = new Alerts({ config, sql: () => db, live, dataDir: dir.path, channels, logger: silentLogger, now: () => now, tickMs: 3_600_000 });
    alerts.subscribe((u) => frames.push(u));
    await alerts.start();
    return alerts;
  }

  const setState = (state: 'off' | 'idle' | 'running') =>
    live.update('factory', 'mill-1', (s) => ({ ...s, online: true, lastSeen: now, state: { state, since: now, ts: now } }));

  it('turns ten minutes of a machine flapping between running and off into ONE alarm and one mail', async () => {
    const mail = new RecordingChannel('mail');
    const a = await start([mail]);
    setState('running');
    // Ten minutes: off and on again every 20 s, ticking every 5 s.
    for (let t = 0; t < 10 * 60; t += 5) {
      now += 5 * SEC;
      if (t % 20 === 0) setState(t % 40 === 0 ? 'off' : 'running');
      await a.tick();
    }
    setState('running');
    const history = await a.listAlarms({ state: 'history', limit: 100 });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ type: 'machine_stopped', active: true, occurrences: 15 });
    expect(mail.kinds()).toEqual(['raised']);
    expect(mail.notices[0]?.alarm.message.ja).toBe('ProtoMat S63が運転中に停止しました（電源オフ）');

    // Running steadily for the hold time (5 min by default): cleared, one mail about it.
    for (let t = 0; t < 6 * 60; t += 5) {
      now += 5 * SEC;
      await a.tick();
    }
    expect((await a.listAlarms({ state: 'history', limit: 100 }))[0]).toMatchObject({ active: false });
    expect(mail.kinds()).toEqual(['raised', 'cleared']);
    const alarmFrames = frames.filter((f): f is Extract<LiveUpdate, { type: 'alarm' }> => f.type === 'alarm');
    expect(alarmFrames.filter((f) => f.change === 'raised')).toHaveLength(1);
    expect(alarmFrames.at(-1)?.change).toBe('cleared');

    // A stop after that is a new incident.
    setState('off');
    expect(await a.listAlarms({ state: 'active', limit: 10 })).toHaveLength(1);
    expect(mail.kinds()).toEqual(['raised', 'cleared', 'raised']);
  });

  it('puts a signed acknowledge link and the dashboard link into nagging notices only', async () => {
    const mail = new RecordingChannel('mail');
    const a = await start([mail]);
    setState('running');
    setState('off');
    await a.settled(); // the rules do not wait for the store; the test does
    const raised = mail.notices[0];
    expect(raised?.ackUrl).toMatch(/^http:\/\/192\.168\.1\.20:8080\/api\/alarms\/ack\?token=[A-Za-z0-9._-]+$/);
    expect(raised?.ackExpiresAt).toBe(now + 72 * 3_600_000);
    expect(raised?.dashboardUrl).toBe(`http://192.168.1.20:8080/alarms?focus=${raised?.alarm.id}`);
    await a.acknowledge(raised?.alarm.id ?? '', 'tanaka');
    expect(mail.notices[1]).toMatchObject({ kind: 'acknowledged', alarm: { acknowledgedBy: 'tanaka' } });
    expect(mail.notices[1]?.ackUrl).toBeUndefined();
  });

  it('acknowledges through the mail link once; tampered and expired links are refused', async () => {
    const mail = new RecordingChannel('mail');
    const a = await start([mail]);
    setState('running');
    setState('off');
    await a.settled(); // the rules do not wait for the store; the test does
    const url = new URL(mail.notices[0]?.ackUrl ?? 'http://x/');
    const token = url.searchParams.get('token') ?? '';
    const id = mail.notices[0]?.alarm.id ?? '';

    expect(await a.alarmLink(token, false)).toMatchObject({ outcome: 'valid', alarm: { id, acknowledged: false } });
    const tampered = token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await a.alarmLink(tampered, true)).toEqual({ outcome: 'invalid', alarm: null });
    expect(await a.alarmLink('x.y.z', true)).toEqual({ outcome: 'invalid', alarm: null });

    const secret = await loadAckSecret({ dataDir: dir.path, logger: silentLogger });
    expect(await a.alarmLink(signAckToken(secret, id, now - 1), true)).toEqual({ outcome: 'expired', alarm: null });
    expect(await a.alarmLink(signAckToken(secret, '00000000-0000-0000-0000-000000000000', now + MIN), true)).toEqual({ outcome: 'invalid', alarm: null });

    const first = await a.alarmLink(token, true);
    expect(first).toMatchObject({ outcome: 'acknowledged', alarm: { acknowledged: true, acknowledgedBy: 'mail-link' } });
    expect(await a.alarmLink(token, true)).toMatchObject({ outcome: 'already' });
    expect(await a.alarmLink(token, false)).toMatchObject({ outcome: 'already' });

    now += 73 * 3_600_000;
    expect(await a.alarmLink(token, true)).toEqual({ outcome: 'expired', alarm: null });
  });

  it('raises channel_broken when a channel stays not-ok, told through the other channels only', async () => {
    const mail = new RecordingChannel('mail');
    const tower = new RecordingChannel('patlite');
    const a = await start([mail, tower], '  rules:\n    channelBroken: { afterS: 30 }\n');
    mail.health = { ok: false, detail: 'ECONNREFUSED 127.0.0.1:587', pending: 3 };
    await a.tick();
    now += 29 * SEC;
    await a.tick();
    expect(await a.listAlarms({ state: 'active', limit: 10 })).toEqual([]);
    now += SEC;
    await a.tick();
    const [alarm] = await a.listAlarms({ state: 'active', limit: 10 });
    expect(alarm).toMatchObject({ site: 'factory', node: 'hub', type: 'channel_broken', severity: 'major', activeSince: TS });
    expect(alarm?.message.en).toBe('Alert channel mail is not working (mail: ECONNREFUSED 127.0.0.1:587)');
    expect(tower.kinds('channel_broken')).toEqual(['raised']);
    expect(mail.kinds('channel_broken')).toEqual([]);

    mail.health = { ok: true };
    now += SEC;
    await a.tick();
    expect(await a.listAlarms({ state: 'active', limit: 10 })).toEqual([]);
    expect(tower.kinds('channel_broken')).toEqual(['raised', 'cleared']);
    expect(mail.kinds('channel_broken')).toEqual([]);
  });

  it('checks durations on the tick: running longer than X, silence', async () => {
    const mail = new RecordingChannel('mail');
    const a = await start([mail], '  rules:\n    runningLong: { enabled: true, afterMin: 60 }\n');
    live.update('factory', 'mill-1', (s) => ({ ...s, online: true, lastSeen: now, state: { state: 'running', since: now, ts: now }, current: { irms: [3], ts: now, seq: 1 } }));
    now += 59 * MIN;
    await a.tick();
    const types = async () => (await a.listAlarms({ state: 'active', limit: 10 })).map((x: AlarmItem) => x.type).sort();
    // Nothing has been heard for 59 minutes either: the sensor is silent.
    expect(await types()).toEqual(['sensor_offline']);
    now += MIN;
    await a.tick();
    expect(await types()).toEqual(['running_long', 'sensor_offline']);
    expect(mail.notices.find((n) => n.alarm.type === 'running_long')?.alarm.message.en).toBe('ProtoMat S63 has been running for more than 1 h');
  });

  it('stops only after the alarm changes the rules asked for are written and told', async () => {
    const mail = new RecordingChannel('mail');
    const a = await start([mail]);
    setState('running');
    setState('off');
    await a.stop();
    expect((await new AlarmStore(db).active()).map((x) => x.type)).toEqual(['machine_stopped']);
    expect(mail.kinds()).toEqual(['raised']);
    expect(a.activeBySeverity()).toEqual({});
  });

  it('starts and stops its channels, and keeps working when one cannot start', async () => {
    const good = new RecordingChannel('mail');
    const bad = new RecordingChannel('webhook');
    bad.start = async () => {
      throw new Error('no route to host');
    };
    const a = await start([good, bad]);
    expect(good.started).toBe(true);
    setState('running');
    setState('off');
    await a.settled(); // the rules do not wait for the store; the test does
    expect(good.kinds()).toEqual(['raised']);
    expect(bad.kinds()).toEqual(['raised']);
    await a.stop();
    expect(good.started).toBe(false);
    expect(a.running).toBe(false);
    // Stopped: no more rule evaluation.
    setState('running');
    setState('off');
    expect(good.kinds()).toEqual(['raised']);
  });
});
