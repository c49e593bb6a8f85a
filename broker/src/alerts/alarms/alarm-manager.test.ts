/** The alarm lifecycle on a real SQLite file with a simulated clock. */
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmChangeKind } from '@mieruka/protocol';
import { openDatabase } from '../../store/database.js';
import { makeTempDir, silentLogger, TS } from '../../test-support/helpers.js';
import { AlarmManager, type NoticeKind, type NotifyPolicy, type RaiseInput } from './alarm-manager.js';
import { AlarmStore } from './alarm-store.js';

const MIN = 60_000;
const KEY = { site: 'factory', node: 'mill-1', type: 'machine_stopped' };
const input = (patch: Partial<RaiseInput> = {}): RaiseInput => ({
  ...KEY,
  severity: 'major',
  message: { ja: '停止', en: 'stopped' },
  at: TS - 5_000,
  clearAfterMs: 5 * MIN,
  ...patch,
});

describe('alarm manager', () => {
  let dir: { path: string; remove(): Promise<void> };
  let db: Database;
  let now: number;
  let notices: Array<{ kind: NoticeKind; id: string; level: number; at: number }>;
  let changes: Array<{ change: AlarmChangeKind; id: string }>;
  let ids: number;

  function manager(policy: Partial<NotifyPolicy> = {}): AlarmManager {
    const m = new AlarmManager({
      store: new AlarmStore(db),
      policy: { remindEveryMs: 60 * MIN, escalateAfterMs: 30 * MIN, isQuiet: () => false, ...policy },
      logger: silentLogger,
      now: () => now,
      newId: () => `alarm-${++ids}`,
      onChange: (change, alarm) => changes.push({ change, id: alarm.id }),
      onNotice: (kind, alarm, level) => notices.push({ kind, id: alarm.id, level, at: now }),
    });
    m.load();
    return m;
  }

  beforeEach(async () => {
    dir = await makeTempDir('mieruka-alarms-');
    db = openDatabase(`${dir.path}/mieruka.db`);
    now = TS;
    notices = [];
    changes = [];
    ids = 0;
  });
  afterEach(async () => {
    db.close();
    await dir.remove();
  });

  it('raises once per source and type, and tells people once', () => {
    const m = manager();
    const a = m.raise(input());
    expect(a).toMatchObject({ id: 'alarm-1', active: true, acknowledged: false, activeSince: TS - 5_000, occurrences: 1, severity: 'major' });
    now += 10_000;
    m.raise(input({ at: now }));
    m.raise(input({ node: 'mill-2' }));
    expect(m.list({ state: 'active', limit: 10 }).map((x) => x.id).sort()).toEqual(['alarm-1', 'alarm-2']);
    expect(m.get('alarm-1')?.occurrences).toBe(1);
    expect(notices.map((n) => `${n.kind}:${n.id}:${n.level}`)).toEqual(['raised:alarm-1:0', 'raised:alarm-2:0']);
  });

  it('clears after the hold unless the condition comes back, which counts an occurrence', () => {
    const m = manager();
    m.raise(input());
    now += MIN;
    m.resolve(KEY);
    now += 4 * MIN;
    m.tick();
    expect(m.get('alarm-1')?.active).toBe(true);
    m.raise(input({ at: now }));
    expect(m.get('alarm-1')).toMatchObject({ active: true, occurrences: 2, lastRaisedAt: now });
    const resolvedAt = now + MIN;
    now = resolvedAt;
    m.resolve(KEY);
    now += 5 * MIN;
    m.tick();
    expect(m.get('alarm-1')).toMatchObject({ active: false, clearedAt: resolvedAt });
    expect(notices.map((n) => n.kind)).toEqual(['raised', 'cleared']);
    expect(changes.map((c) => c.change)).toEqual(['raised', 'updated', 'cleared']);
    // A new incident afterwards is a new alarm.
    m.raise(input({ at: now }));
    expect(m.list({ state: 'history', limit: 10 }).map((a) => a.id)).toEqual(['alarm-2', 'alarm-1']);
  });

  it('clears at once when the rule has no hold', () => {
    const m = manager();
    m.raise(input({ clearAfterMs: 0 }));
    now += MIN;
    m.resolve(KEY);
    expect(m.get('alarm-1')).toMatchObject({ active: false, clearedAt: now });
    expect(m.isActive(KEY)).toBe(false);
  });

  it('acknowledges once, records who, and stops reminders and escalation', () => {
    const m = manager();
    m.raise(input());
    now += 10 * MIN;
    expect(m.acknowledge('alarm-1', 'tanaka')).toMatchObject({ outcome: 'acknowledged', alarm: { acknowledged: true, acknowledgedBy: 'tanaka', acknowledgedAt: now } });
    expect(m.acknowledge('alarm-1', 'suzuki')).toMatchObject({ outcome: 'already', alarm: { acknowledgedBy: 'tanaka' } });
    expect(m.acknowledge('nope', 'x')).toEqual({ outcome: 'not_found', alarm: null });
    now += 10 * 60 * MIN;
    m.tick();
    expect(notices.map((n) => n.kind)).toEqual(['raised', 'acknowledged']);
    expect(m.get('alarm-1')?.active).toBe(true);
  });

  it('escalates to level 1 after escalateAfter and reminds every remindEvery until acknowledged', () => {
    const m = manager();
    m.raise(input());
    for (let t = 0; t < 200; t += 1) {
      now += MIN;
      m.tick();
    }
    // t0 raised; +30 escalated (next reminder +60 from then); +90, +150 reminders.
    expect(notices.map((n) => [n.kind, n.level, (n.at - TS) / MIN])).toEqual([
      ['raised', 0, 0],
      ['escalated', 1, 30],
      ['reminder', 1, 90],
      ['reminder', 1, 150],
    ]);
    expect(m.get('alarm-1')?.escalated).toBe(true);
  });

  it('does not nag about info alarms, and does not escalate without an escalation list', () => {
    const m = manager({ escalateAfterMs: null });
    m.raise(input({ type: 'job_finished', severity: 'info' }));
    m.raise(input({ type: 'running_long', severity: 'warning' }));
    now += 3 * 60 * MIN;
    m.tick();
    expect(notices.map((n) => `${n.kind}:${n.id}`)).toEqual(['raised:alarm-1', 'raised:alarm-2', 'reminder:alarm-2']);
  });

  it('holds notices in quiet hours: told when they end, or never if the alarm cleared meanwhile', () => {
    let quiet = true;
    const m = manager({ isQuiet: () => quiet });
    m.raise(input());
    m.raise(input({ node: 'mill-2', clearAfterMs: 0 }));
    expect(m.list({ state: 'active', limit: 10 })).toHaveLength(2); // alarms exist, silently
    now += 10 * MIN;
    m.resolve({ ...KEY, node: 'mill-2' });
    m.tick();
    expect(notices).toEqual([]);
    quiet = false;
    now += MIN;
    m.tick();
    expect(notices.map((n) => `${n.kind}:${n.id}`)).toEqual(['raised:alarm-1']);
  });

  it('carries on after a restart: the active alarm is known, the schedule holds', () => {
    const first = manager();
    first.raise(input());
    now += MIN;
    const second = manager();
    second.raise(input({ at: now }));
    expect(second.list({ state: 'history', limit: 10 })).toHaveLength(1);
    now += 30 * MIN;
    second.tick();
    expect(notices.map((n) => n.kind)).toEqual(['raised', 'escalated']);
  });

  it('keeps the full history of an alarm', () => {
    const m = manager();
    m.raise(input());
    now += MIN;
    m.resolve(KEY);
    now += MIN;
    m.raise(input({ at: now }));
    m.acknowledge('alarm-1', 'tanaka');
    m.resolve(KEY);
    now += 5 * MIN;
    m.tick();
    const events = new AlarmStore(db).events('alarm-1');
    expect(events.map((e) => [e.kind, e.actor])).toEqual([
      ['raised', null],
      ['notified', null],
      ['reoccurred', null],
      ['acknowledged', 'tanaka'],
      ['cleared', null],
    ]);
  });

  it('lets the database refuse a second active alarm for the same source and type', () => {
    manager().raise(input());
    expect(() => new AlarmStore(db).insert({ ...KEY, id: 'dup', severity: 'major', message: { ja: '', en: '' }, details: {}, activeSince: now, clearAfterMs: 0, now })).toThrow(/UNIQUE/);
  });

  it('filters the history by node, severity and time', () => {
    const m = manager();
    m.raise(input({ at: TS - 3 * MIN }));
    m.raise(input({ node: 'bench-1', type: 'clutter_high', severity: 'minor', at: TS - 2 * MIN }));
    m.raise(input({ node: 'mill-2', severity: 'critical', at: TS - MIN }));
    const ids = (q: Parameters<AlarmManager['list']>[0]) => m.list(q).map((a) => a.node);
    expect(ids({ state: 'history', limit: 10 })).toEqual(['mill-2', 'bench-1', 'mill-1']);
    expect(ids({ state: 'history', limit: 10, node: 'bench-1' })).toEqual(['bench-1']);
    expect(ids({ state: 'history', limit: 10, severity: ['critical', 'major'] })).toEqual(['mill-2', 'mill-1']);
    expect(ids({ state: 'history', limit: 10, from: TS - 2 * MIN, to: TS - MIN })).toEqual(['bench-1']);
    expect(ids({ state: 'history', limit: 1 })).toEqual(['mill-2']);
  });
});
