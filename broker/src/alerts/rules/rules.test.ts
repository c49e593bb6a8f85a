/** Table tests of the pure rule functions: snapshot(s) + time in, verdict out. */
import { describe, expect, it } from 'vitest';
import type { NodeSnapshot } from '@mieruka/protocol';
import { parseConfig } from '@mieruka/protocol';
import { emptySnapshot } from '../../ingest/live-state.js';
import { evaluateChannels } from './channel-broken.js';
import { clutterHigh } from './clutter-high.js';
import { formatDuration } from './format.js';
import { evaluateIdleLong } from './idle-long.js';
import { jobFinished, STALE_EVENT_MS } from './job-finished.js';
import { machineStopped } from './machine-stopped.js';
import type { NodeRuleKey, RuleContext, RuleSettings, Verdict } from './rule.js';
import { RuleSettingsResolver } from './rule-settings.js';
import { evaluateRunningLong } from './running-long.js';
import { sensorFault } from './sensor-fault.js';
import { evaluateSensorOffline, offlineCause } from './sensor-offline.js';
import { WorkCalendar } from './work-calendar.js';

const MIN = 60_000;
// Monday 2025-11-24 10:00 in Tokyo (01:00 UTC).
const MON_10 = Date.UTC(2025, 10, 24, 1, 0);
const rules = parseConfig({ text: 'alerts:\n  rules:\n    runningLong: { enabled: true, afterMin: 120 }\n    idleLong: { enabled: true, afterMin: 30 }\n' }).alerts.rules;
const calendar = new WorkCalendar({ timeZone: 'Asia/Tokyo', shifts: [{ name: 'day', start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }] });

function ctx<K extends NodeRuleKey>(key: K, now: number, patch: Partial<RuleSettings<K>> = {}, watchSince = 0): RuleContext<K> {
  return { now, settings: { ...rules[key], ...patch } as RuleSettings<K>, name: 'Mill 1', watchSince, calendar };
}

function node(patch: Partial<NodeSnapshot> = {}): NodeSnapshot {
  return { ...emptySnapshot('factory', 'mill-1'), online: true, lastSeen: MON_10, ...patch };
}

const state = (s: 'off' | 'idle' | 'running' | 'unknown', since: number, ts = since) => ({ state: { state: s, since, ts } });
const action = (v: Verdict) => (v === null ? null : v.action);

describe('machine stopped', () => {
  const run = (prev: NodeSnapshot | undefined, next: NodeSnapshot) => machineStopped.onNode?.(prev, next, ctx('machineStopped', MON_10)) ?? null;
  it.each([
    ['running → off', node(state('running', 1)), node(state('off', 5)), 'raise'],
    ['idle → off (a normal stop)', node(state('idle', 1)), node(state('off', 5)), null],
    ['unknown → off', node(state('unknown', 1)), node(state('off', 5)), null],
    ['off → running', node(state('off', 1)), node(state('running', 5)), 'resolve'],
    ['off → idle', node(state('off', 1)), node(state('idle', 5)), 'resolve'],
    ['running → unknown', node(state('running', 1)), node(state('unknown', 5)), null],
    ['same state again (republished retained)', node(state('off', 5)), node(state('off', 5)), null],
    ['first state ever', undefined, node(state('off', 5)), null],
    ['no state at all', node(), node({ lastSeen: 9 }), null],
  ] as const)('%s → %s', (_label, prev, next, expected) => {
    expect(action(run(prev, next))).toBe(expected);
  });

  it('dates the alarm at the stop and names the machine', () => {
    const v = run(node(state('running', 1)), node(state('off', MON_10 - 5_000)));
    expect(v).toMatchObject({ action: 'raise', at: MON_10 - 5_000, message: { ja: 'Mill 1が運転中に停止しました（電源オフ）', en: 'Mill 1 stopped while running (power off)' } });
  });
});

describe('job finished', () => {
  const ev = (patch: Record<string, unknown>) => ({ ts: MON_10 - MIN, seq: 3, type: 'run_finished', durationS: 3_900, ...patch });
  it.each([
    ['a normal finish', ev({}), 'raise'],
    ['an interrupted run (sensor lost)', ev({ interrupted: true }), null],
    ['another event type', ev({ type: 'run_started' }), null],
    ['a finish replayed long after', ev({ ts: MON_10 - STALE_EVENT_MS - 1 }), null],
  ] as const)('%s → %s', (_label, event, expected) => {
    expect(action(jobFinished.onEvent?.(event, undefined, ctx('jobFinished', MON_10)) ?? null)).toBe(expected);
  });

  it('tells the run time, and resolves when the next run starts', () => {
    expect(jobFinished.onEvent?.(ev({}), undefined, ctx('jobFinished', MON_10))).toMatchObject({ message: { ja: 'Mill 1のジョブが終了しました（運転時間 1時間5分）', en: 'Mill 1 finished a job (ran 1 h 5 min)' } });
    expect(action(jobFinished.onNode?.(node(state('idle', 1)), node(state('running', 9)), ctx('jobFinished', MON_10)) ?? null)).toBe('resolve');
    expect(action(jobFinished.onNode?.(node(state('running', 1)), node(state('idle', 9)), ctx('jobFinished', MON_10)) ?? null)).toBe(null);
  });
});

describe('running longer than X', () => {
  it.each([
    ['running 119 min', state('running', MON_10 - 119 * MIN), null],
    ['running 120 min', state('running', MON_10 - 120 * MIN), 'raise'],
    ['idle', state('idle', MON_10 - 500 * MIN), 'resolve'],
    ['unknown', state('unknown', MON_10 - 500 * MIN), 'resolve'],
    ['no state', { state: null }, null],
  ] as const)('%s → %s', (_label, patch, expected) => {
    expect(action(evaluateRunningLong(node(patch), ctx('runningLong', MON_10)))).toBe(expected);
  });

  it('dates the alarm when the limit was passed; per-node settings apply', () => {
    expect(evaluateRunningLong(node(state('running', MON_10 - 200 * MIN)), ctx('runningLong', MON_10))).toMatchObject({ at: MON_10 - 80 * MIN });
    expect(action(evaluateRunningLong(node(state('running', MON_10 - 61 * MIN)), ctx('runningLong', MON_10, { afterMin: 60 })))).toBe('raise');
  });
});

describe('idle longer than X during work hours', () => {
  const at = (h: number, m = 0, day = 24) => Date.UTC(2025, 10, day, h - 9, m);
  it.each([
    ['idle 31 min at 10:00 Monday', state('idle', at(9, 29)), at(10), 'raise'],
    ['idle 29 min', state('idle', at(9, 31)), at(10), null],
    ['idle since last night, 08:29: only 29 min of shift', state('idle', at(20, 0, 23)), at(8, 29), null],
    ['idle since last night, 08:30', state('idle', at(20, 0, 23)), at(8, 30), 'raise'],
    ['idle at 18:00 (after the shift)', state('idle', at(9)), at(18), 'resolve'],
    ['idle on Saturday', state('idle', at(9, 0, 29)), at(11, 0, 29), 'resolve'],
    ['running', state('running', at(9)), at(10), 'resolve'],
  ] as const)('%s → %s', (_label, patch, now, expected) => {
    expect(action(evaluateIdleLong(node(patch), ctx('idleLong', now)))).toBe(expected);
  });
});

describe('agent or sensor offline', () => {
  const silent = 120_000;
  it.each([
    ['LWT online:false', node({ online: false }), MON_10, 0, 'agent'],
    ['sensor silent (state unknown)', node({ ...state('unknown', MON_10 - MIN), current: { irms: [1], ts: 1, seq: 1 } }), MON_10, 0, 'sensor'],
    ['state unknown while readings keep coming (a sensor fault, not silence)', node({ ...state('unknown', MON_10 - MIN), current: { irms: [0.01], ts: MON_10 - 1000, seq: 9 } }), MON_10, 0, null],
    ['streaming node quiet for 2 min', node({ current: { irms: [1], ts: 1, seq: 1 }, lastSeen: MON_10 - silent }), MON_10, 0, 'silent'],
    ['streaming node quiet for 1 min', node({ current: { irms: [1], ts: 1, seq: 1 }, lastSeen: MON_10 - MIN }), MON_10, 0, null],
    ['quiet, but the hub only started watching 1 min ago', node({ current: { irms: [1], ts: 1, seq: 1 }, lastSeen: MON_10 - 10 * MIN }), MON_10, MON_10 - MIN, null],
    ['a station (no readings) quiet for hours', node({ lastSeen: MON_10 - 300 * MIN }), MON_10, 0, null],
    ['online and fresh', node({ current: { irms: [1], ts: 1, seq: 1 } }), MON_10, 0, null],
  ] as const)('%s → %s', (_label, n, now, watchSince, expected) => {
    const c = ctx('sensorOffline', now, {}, watchSince);
    expect(offlineCause(n, c)).toBe(expected);
    expect(action(evaluateSensorOffline(n, c))).toBe(expected === null ? 'resolve' : 'raise');
  });

  it('gives agents that were offline before a hub restart silentAfterS to reconnect, then raises', () => {
    const offlineBefore = node({ online: false, lastSeen: MON_10 - 30 * MIN });
    expect(action(evaluateSensorOffline(offlineBefore, ctx('sensorOffline', MON_10 + MIN, {}, MON_10)))).toBeNull();
    expect(action(evaluateSensorOffline(offlineBefore, ctx('sensorOffline', MON_10 + silent, {}, MON_10)))).toBe('raise');
    // An agent that goes offline while the hub watches is raised at once.
    const wentOffline = node({ online: false, lastSeen: MON_10 + 10_000 });
    expect(action(evaluateSensorOffline(wentOffline, ctx('sensorOffline', MON_10 + 20_000, {}, MON_10)))).toBe('raise');
  });
});

describe('sensor fault', () => {
  const fault = (patch: Record<string, unknown> = {}) => ({ ts: MON_10 - MIN, seq: 7, type: 'sensor_fault', cause: 'at_floor', sinceTs: MON_10 - 2 * MIN, readingA: 0.01, offLevelA: 0.4, ...patch });
  const run = (event: ReturnType<typeof fault>) => sensorFault.onEvent?.(event, undefined, ctx('sensorFault', MON_10)) ?? null;
  it.each([
    ['a fault', fault(), 'raise'],
    ['a fault replayed long after (history)', fault({ ts: MON_10 - STALE_EVENT_MS - MIN }), null],
    ['the sensor is fine again', { ts: MON_10, seq: 8, type: 'sensor_ok', faultS: 120 } as unknown as ReturnType<typeof fault>, 'resolve'],
    ['another event', fault({ type: 'run_started' }), null],
  ] as const)('%s → %s', (_label, event, expected) => {
    expect(action(run(event))).toBe(expected);
  });

  it('dates the alarm at the first floor reading and says what was read', () => {
    expect(run(fault())).toMatchObject({ action: 'raise', at: MON_10 - 2 * MIN, details: { readingA: 0.01, offLevelA: 0.4 }, message: { en: 'Mill 1: current sensor fault (clamp unplugged or lead broken?)' } });
  });

  it('is on by default, major', () => {
    expect(rules.sensorFault).toMatchObject({ enabled: true, severity: 'major' });
  });
});

describe('clutter above X at a slot', () => {
  const clutter = (score: number, slot: string, ts = MON_10) => ({ clutter: { score, coveredRatio: score / 100, slot, ts, imageId: null } });
  const run = (prev: NodeSnapshot | undefined, next: NodeSnapshot, patch: Partial<RuleSettings<'clutterHigh'>> = {}) =>
    action(clutterHigh.onNode?.(prev, next, ctx('clutterHigh', MON_10, patch)) ?? null);
  it.each([
    ['72 at 17:00', clutter(72, '17:00'), {}, 'raise'],
    ['50 at 17:00 (not above)', clutter(50, '17:00'), {}, 'resolve'],
    ['90 on a manual shot', clutter(90, 'manual'), {}, null],
    ['90 at 09:00, only 17:00 watched', clutter(90, '09:00'), { slots: ['17:00'] as string[] }, null],
    ['90 on a manual shot, manual listed', clutter(90, 'manual'), { slots: ['manual'] as string[] }, 'raise'],
    ['30 with threshold 20', clutter(30, '12:00'), { above: 20 }, 'raise'],
  ] as const)('%s → %s', (_label, patch, settings, expected) => {
    expect(run(node(), node(patch), settings)).toBe(expected);
  });

  it('judges each result once', () => {
    expect(run(node(clutter(72, '17:00')), node({ ...clutter(72, '17:00'), lastSeen: MON_10 + 1 }))).toBe(null);
  });
});

describe('alert channel broken', () => {
  const settings = rules.channelBroken;
  it.each([
    ['all ok', [{ name: 'mail', ok: true, brokenSince: null }], 'resolve'],
    ['broken for 30 s (not yet an alarm)', [{ name: 'mail', ok: false, brokenSince: MON_10 - 30_000 }], 'resolve'],
    ['broken for 60 s', [{ name: 'mail', ok: false, detail: 'ECONNREFUSED', brokenSince: MON_10 - 60_000 }], 'raise'],
  ] as const)('%s → %s', (_label, channels, expected) => {
    expect(action(evaluateChannels(channels, MON_10, settings))).toBe(expected);
  });

  it('names every broken channel and its reason', () => {
    const v = evaluateChannels(
      [
        { name: 'webhook', ok: false, detail: 'HTTP 500', brokenSince: MON_10 - 70_000 },
        { name: 'mail', ok: false, detail: 'EAUTH 535', brokenSince: MON_10 - 90_000 },
        { name: 'patlite', ok: true, brokenSince: null },
      ],
      MON_10,
      settings,
    );
    expect(v).toMatchObject({ action: 'raise', at: MON_10 - 90_000, details: { channels: ['mail', 'webhook'] } });
    expect(v?.action === 'raise' && v.message.en).toBe('Alert channel mail, webhook is not working (webhook: HTTP 500; mail: EAUTH 535)');
  });
});

describe('settings and formatting', () => {
  it('puts a node override over the site-wide rule', () => {
    const r = new RuleSettingsResolver(parseConfig({ text: 'alerts:\n  rules:\n    overrides:\n      mill-2: { runningLong: { afterMin: 15, enabled: true } }\n' }).alerts.rules);
    expect(r.get('runningLong', 'mill-2')).toEqual({ enabled: true, severity: 'warning', clearAfterS: 0, afterMin: 15 });
    expect(r.get('runningLong', 'mill-1')).toEqual({ enabled: false, severity: 'warning', clearAfterS: 0, afterMin: 240 });
  });

  it.each([
    [30_000, '30秒', '30 s'],
    [5 * MIN, '5分', '5 min'],
    [120 * MIN, '2時間', '2 h'],
    [65 * MIN, '1時間5分', '1 h 5 min'],
  ])('formats %i ms', (ms, ja, en) => {
    expect(formatDuration(ms)).toEqual({ ja, en });
  });
});
