/** The alarm lifecycle with a simulated clock, on both stores: a real SQLite file and a real PostgreSQL 15. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AlarmChangeKind } from '@mieruka/protocol';
import { sqlBackends } from '../../test-support/sql-backends.js';
import { sqlErrorKind, type SqlStore } from '../../store/sql/sql-store.js';
import { silentLogger, TS } from '../../test-support/helpers.js';
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

const backends = sqlBackends();

describe.each(backends.each)('alarm manager on %s', (_name, open) => {
  let db: SqlStore;
  let now: number;
  let notices: Array<{ kind: NoticeKind; id: string; level: number; at: number }>;
  let changes: Array<{ change: AlarmChangeKind; id: string }>;
  let ids: number;

  async function manager(policy: Partial<NotifyPolicy> = {}): Promise<AlarmManager> {
    const m = new AlarmManager({
      store: new AlarmStore(db),
      policy: { remindEveryMs: 60 * MIN, escalateAfterMs: 30 * MIN, isQuiet: () => false, ...policy },
      logger: silentLogger,
      now: () => now,
      newId: () => `alarm-${++ids}`,
      onChange: (change, alarm) => changes.push({ change, id: alarm.id }),
      onNotice: (kind, alarm, level) => notices.push({ kind, id: alarm.id, level, at: now }),
    });
    await m.load();
    return m;
  }

  beforeEach(async () => {
    now = TS;
    db = (await open({ now: () => now })).sql;
    notices = [];
    changes = [];
    ids = 0;
  });

  it('raises once per source and type, and tells people once', async () => {
    const m = await manager();
    const a = await m.raise(input());
    expect(a).toMatchObject({ id: 'alarm-1', active: true, acknowledged: false, activeSince: TS - 5_000, occurrences: 1, severity: 'major' });
    now += 10_000;
    await m.raise(input({ at: now }));
    await m.raise(input({ node: 'mill-2' }));
    expect((await m.list({ state: 'active', limit: 10 })).map((x) => x.id).sort()).toEqual(['alarm-1', 'alarm-2']);
    expect((await m.get('alarm-1'))?.occurrences).toBe(1);
    expect(notices.map((n) => `${n.kind}:${n.id}:${n.level}`)).toEqual(['raised:alarm-1:0', 'raised:alarm-2:0']);
  });

  it('clears after the hold unless the condition comes back, which counts an occurrence', async () => {
    const m = await manager();
    await m.raise(input());
    now += MIN;
    await m.resolve(KEY);
    now += 4 * MIN;
    await m.tick();
    expect((await m.get('alarm-1'))?.active).toBe(true);
    await m.raise(input({ at: now }));
    expect(await m.get('alarm-1')).toMatchObject({ active: true, occurrences: 2, lastRaisedAt: now });
    const resolvedAt = now + MIN;
    now = resolvedAt;
    await m.resolve(KEY);
    now += 5 * MIN;
    await m.tick();
    expect(await m.get('alarm-1')).toMatchObject({ active: false, clearedAt: resolvedAt });
    expect(notices.map((n) => n.kind)).toEqual(['raised', 'cleared']);
    expect(changes.map((c) => c.change)).toEqual(['raised', 'updated', 'cleared']);
    // A new incident afterwards is a new alarm.
    await m.raise(input({ at: now }));
    expect((await m.list({ state: 'history', limit: 10 })).map((a) => a.id)).toEqual(['alarm-2', 'alarm-1']);
  });

  it('clears at once when the rule has no hold', async () => {
    const m = await manager();
    await m.raise(input({ clearAfterMs: 0 }));
    now += MIN;
    await m.resolve(KEY);
    expect(await m.get('alarm-1')).toMatchObject({ active: false, clearedAt: now });
    expect(m.isActive(KEY)).toBe(false);
  });

  it('acknowledges once, records who, and stops reminders and escalation', async () => {
    const m = await manager();
    await m.raise(input());
    now += 10 * MIN;
    expect(await m.acknowledge('alarm-1', 'tanaka')).toMatchObject({ outcome: 'acknowledged', alarm: { acknowledged: true, acknowledgedBy: 'tanaka', acknowledgedAt: now } });
    expect(await m.acknowledge('alarm-1', 'suzuki')).toMatchObject({ outcome: 'already', alarm: { acknowledgedBy: 'tanaka' } });
    expect(await m.acknowledge('nope', 'x')).toEqual({ outcome: 'not_found', alarm: null });
    now += 10 * 60 * MIN;
    await m.tick();
    expect(notices.map((n) => n.kind)).toEqual(['raised', 'acknowledged']);
    expect((await m.get('alarm-1'))?.active).toBe(true);
  });

  it('escalates to level 1 after escalateAfter and reminds every remindEvery until acknowledged', async () => {
    const m = await manager();
    await m.raise(input());
    for (let t = 0; t < 200; t += 1) {
      now += MIN;
      await m.tick();
    }
    // t0 raised; +30 escalated (next reminder +60 from then); +90, +150 reminders.
    expect(notices.map((n) => [n.kind, n.level, (n.at - TS) / MIN])).toEqual([
      ['raised', 0, 0],
      ['escalated', 1, 30],
      ['reminder', 1, 90],
      ['reminder', 1, 150],
    ]);
    expect((await m.get('alarm-1'))?.escalated).toBe(true);
  });

  it('does not nag about info alarms, and does not escalate without an escalation list', async () => {
    const m = await manager({ escalateAfterMs: null });
    await m.raise(input({ type: 'job_finished', severity: 'info' }));
    await m.raise(input({ type: 'running_long', severity: 'warning' }));
    now += 3 * 60 * MIN;
    await m.tick();
    expect(notices.map((n) => `${n.kind}:${n.id}`)).toEqual(['raised:alarm-1', 'raised:alarm-2', 'reminder:alarm-2']);
  });

  it('holds notices in quiet hours: told when they end, or never if the alarm cleared meanwhile', async () => {
    let quiet = true;
    const m = await manager({ isQuiet: () => quiet });
    await m.raise(input());
    await m.raise(input({ node: 'mill-2', clearAfterMs: 0 }));
    expect(await m.list({ state: 'active', limit: 10 })).toHaveLength(2); // alarms exist, silently
    now += 10 * MIN;
    await m.resolve({ ...KEY, node: 'mill-2' });
    await m.tick();
    expect(notices).toEqual([]);
    quiet = false;
    now += MIN;
    await m.tick();
    expect(notices.map((n) => `${n.kind}:${n.id}`)).toEqual(['raised:alarm-1']);
  });

  it('carries on after a restart: the active alarm is known, the schedule holds', async () => {
    const first = await manager();
    await first.raise(input());
    now += MIN;
    const second = await manager();
    await second.raise(input({ at: now }));
    expect(await second.list({ state: 'history', limit: 10 })).toHaveLength(1);
    now += 30 * MIN;
    await second.tick();
    expect(notices.map((n) => n.kind)).toEqual(['raised', 'escalated']);
  });

  it('keeps the order of raise and resolve asked for without waiting (the rules do not wait)', async () => {
    const m = await manager();
    m.sink.raise(input({ clearAfterMs: 0 }));
    m.sink.resolve(KEY);
    m.sink.raise(input({ clearAfterMs: 0, at: now }));
    await m.idle();
    expect((await m.list({ state: 'history', limit: 10 })).map((a) => [a.id, a.active])).toEqual([
      ['alarm-2', true],
      ['alarm-1', false],
    ]);
    expect(changes.map((c) => `${c.change}:${c.id}`)).toEqual(['raised:alarm-1', 'cleared:alarm-1', 'raised:alarm-2']);
    expect(m.activeBySeverity()).toEqual({ major: 1 });
  });

  it('raises once when another manager on the same database already holds the active alarm', async () => {
    const first = await manager();
    const second = await manager(); // loaded before the first raises: it does not know the alarm
    await first.raise(input());
    const again = await second.raise(input({ severity: 'critical', at: now }));
    expect(again).toMatchObject({ id: 'alarm-1', severity: 'critical', occurrences: 1 });
    expect(await second.list({ state: 'history', limit: 10 })).toHaveLength(1);
    expect(second.isActive(KEY)).toBe(true);
    expect(notices.map((n) => `${n.kind}:${n.id}`)).toEqual(['raised:alarm-1']);
  });

  it('keeps the full history of an alarm', async () => {
    const m = await manager();
    await m.raise(input());
    now += MIN;
    await m.resolve(KEY);
    now += MIN;
    await m.raise(input({ at: now }));
    await m.acknowledge('alarm-1', 'tanaka');
    await m.resolve(KEY);
    now += 5 * MIN;
    await m.tick();
    const events = await new AlarmStore(db).events('alarm-1');
    expect(events.map((e) => [e.kind, e.actor])).toEqual([
      ['raised', null],
      ['notified', null],
      ['reoccurred', null],
      ['acknowledged', 'tanaka'],
      ['cleared', null],
    ]);
  });

  it('lets the database refuse a second active alarm for the same source and type', async () => {
    await (await manager()).raise(input());
    const refused = await new AlarmStore(db).insert({ ...KEY, id: 'dup', severity: 'major', message: { ja: '', en: '' }, details: {}, activeSince: now, clearAfterMs: 0, now }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(sqlErrorKind(refused)).toBe('unique');
  });

  it('filters the history by node, severity and time', async () => {
    const m = await manager();
    await m.raise(input({ at: TS - 3 * MIN }));
    await m.raise(input({ node: 'bench-1', type: 'clutter_high', severity: 'minor', at: TS - 2 * MIN }));
    await m.raise(input({ node: 'mill-2', severity: 'critical', at: TS - MIN }));
    const ids = async (q: Parameters<AlarmManager['list']>[0]) => (await m.list(q)).map((a) => a.node);
    expect(await ids({ state: 'history', limit: 10 })).toEqual(['mill-2', 'bench-1', 'mill-1']);
    expect(await ids({ state: 'history', limit: 10, node: 'bench-1' })).toEqual(['bench-1']);
    expect(await ids({ state: 'history', limit: 10, severity: ['critical', 'major'] })).toEqual(['mill-2', 'mill-1']);
    expect(await ids({ state: 'history', limit: 10, from: TS - 2 * MIN, to: TS - MIN })).toEqual(['bench-1']);
    expect(await ids({ state: 'history', limit: 1 })).toEqual(['mill-2']);
  });
});
