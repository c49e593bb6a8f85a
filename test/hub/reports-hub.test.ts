/**
 * Machine reports through the whole hub: an edge client publishes over real MQTT (retained
 * states re-sent, events resent, and a real last will), the supervisor reads REST and CSV
 * over real HTTP after logging in.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTime } from '@mieruka/protocol';
import { encodePayload, topicFor, type PayloadOf } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';

const SITE = 'factory';
const NODE = 'mill-1';
const MIN = 60_000;
const H = 60 * MIN;
const NAME = 'ProtoMat S63, "main"\nline 2';
const tokyo = new LocalTime('Asia/Tokyo');

type Interval = { state: string; start: number; end: number | null; durationS: number };
type Row = { start: number; end: number; label: string; shift: string | null; seconds: Record<string, number>; totalS: number };

describe('machine reports on a running hub', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let edge: MqttClient;
  let cookie = '';
  /** Minute-aligned, three hours ago: the data lies in the past, "now" is the real clock. */
  const base = Math.floor(Date.now() / MIN) * MIN - 3 * H;

  const get = (path: string, withCookie = true) => fetch(`${hub.httpUrl}${path}`, { headers: withCookie ? { cookie } : {} });
  const getJson = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const range = `from=${base - H}&to=${base + 24 * H}`;

  beforeAll(async () => {
    dir = await makeTempDir();
    const all = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    hub = createHub({
      config: hubConfig(dir.path, {
        timezone: 'Asia/Tokyo',
        machines: { [NODE]: { name: NAME } },
        dashboard: { adminUser: 'boss', adminPassword: 'boss-password-1' },
        shifts: [
          { name: 'am', start: '00:00', end: '12:00', days: all },
          { name: 'pm', start: '12:00', end: '00:00', days: all },
        ],
      }),
      logger: silentLogger,
    });
    await hub.start();

    const statusTopic = topicFor(SITE, NODE, 'status');
    edge = mqtt.connect(hub.mqttUrl, {
      clientId: 'edge-mill-1',
      reconnectPeriod: 0,
      will: { topic: statusTopic, payload: encodePayload('status', { online: false, ts: Date.now(), agent: 'bridge', version: '1' }), qos: 1, retain: true },
    });
    await new Promise<void>((resolve, reject) => {
      edge.once('connect', () => resolve());
      edge.once('error', reject);
    });
    const state = (p: PayloadOf<'state'>) => edge.publishAsync(topicFor(SITE, NODE, 'state'), encodePayload('state', p), { qos: 1, retain: true });
    const event = (p: PayloadOf<'event'>) => edge.publishAsync(topicFor(SITE, NODE, 'event'), encodePayload('event', p), { qos: 1 });
    await edge.publishAsync(statusTopic, encodePayload('status', { online: true, ts: Date.now(), agent: 'bridge', version: '1' }), { qos: 1, retain: true });
    await state({ ts: base, state: 'off', since: base, irms: [0.1] }); // the first state counts from its ts (nothing heard before)
    await event({ ts: base + 30 * MIN, seq: 1, type: 'run_started' });
    const running = { ts: base + 30 * MIN + 3000, state: 'running' as const, since: base + 30 * MIN, irms: [4.2] };
    await state(running);
    await state(running); // a retained resend: the same message again
    await state({ ...running, ts: base + 60 * MIN }); // re-published after a reconnect: same since, new ts
    const finished = { ts: base + 90 * MIN, seq: 2, type: 'run_finished', durationS: 3600, startedAt: base + 30 * MIN };
    await event(finished);
    await event(finished); // store-and-forward resend
    await state({ ts: base + 90 * MIN + 3000, state: 'idle', since: base + 90 * MIN, irms: [0.8] });
    await hub.flush();

    const login = await fetch(`${hub.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'boss', password: 'boss-password-1' }) });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  });

  afterAll(async () => {
    await closeClient(edge);
    await hub?.stop();
    await dir?.remove();
  });

  it('needs a session for every machine route', async () => {
    for (const path of ['/api/machines', `/api/machines/${SITE}/${NODE}/timeline`, `/api/machines/${SITE}/${NODE}/jobs.csv`, `/api/machines/${SITE}/${NODE}/utilization?by=hour`]) {
      const res = await get(path, false);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('lists the machine with its configured name and its state now', async () => {
    const body = await getJson<{ timeZone: string; machines: Array<{ node: string; name: string; state: string; since: number; online: boolean }> }>('/api/machines');
    expect(body.timeZone).toBe('Asia/Tokyo');
    expect(body.machines).toEqual([expect.objectContaining({ site: SITE, node: NODE, name: NAME, state: 'idle', since: base + 90 * MIN, online: true })]);
  });

  it('gives the timeline: unknown before the first state, each state from its since, repeats not doubled', async () => {
    const body = await getJson<{ intervals: Interval[]; from: number; to: number; now: number }>(`/api/machines/${SITE}/${NODE}/timeline?${range}`);
    expect(body.from).toBe(base - H);
    const intervals = body.intervals.map((i) => [i.state, (i.start - base) / MIN, i.end === null ? null : (i.end - base) / MIN]);
    expect(intervals).toEqual([
      ['unknown', -60, 0],
      ['off', 0, 30],
      ['running', 30, 90],
      ['idle', 90, null],
    ]);
    expect(body.intervals[2]!.durationS).toBe(3600);
  });

  it('gives the jobs from the events, once each', async () => {
    const body = await getJson<{ jobs: unknown[] }>(`/api/machines/${SITE}/${NODE}/jobs?${range}`);
    // No cycles config and no current readings: both figures are null (not 0).
    expect(body.jobs).toEqual([{ start: base + 30 * MIN, end: base + 90 * MIN, durationS: 3600, partial: false, interrupted: false, source: 'events', cycles: null, kWh: null }]);
  });

  it('sums the same seconds by hour, by day and by shift', async () => {
    const sums = (rows: Row[]) => rows.reduce((acc, r) => ({ running: acc.running + r.seconds.running!, off: acc.off + r.seconds.off!, unknown: acc.unknown + r.seconds.unknown! }), { running: 0, off: 0, unknown: 0 });
    const byHour = await getJson<{ rows: Row[]; total: { seconds: Record<string, number>; totalS: number }; by: string }>(`/api/machines/${SITE}/${NODE}/utilization?${range}&by=hour`);
    expect(byHour.by).toBe('hour');
    expect(sums(byHour.rows)).toEqual({ running: 3600, off: 1800, unknown: 3600 });
    expect(byHour.total.seconds.running).toBe(3600);
    for (const r of byHour.rows) expect(r.seconds.off! + r.seconds.idle! + r.seconds.running! + r.seconds.unknown!).toBeCloseTo(r.totalS, 6);
    const byDay = await getJson<{ rows: Row[] }>(`/api/machines/${SITE}/${NODE}/utilization?${range}&by=day`);
    expect(sums(byDay.rows)).toEqual({ running: 3600, off: 1800, unknown: 3600 });
    expect(byDay.rows[0]!.label).toBe(tokyo.dateOf(base - H));
    // Shifts am + pm tile every day: from the first midnight on they see everything.
    const day = tokyo.dateOf(base - H);
    const byShift = await getJson<{ rows: Row[] }>(`/api/machines/${SITE}/${NODE}/utilization?from=${day}&to=${base + 24 * H}&by=shift`);
    expect(byShift.rows.every((r) => r.shift === 'am' || r.shift === 'pm')).toBe(true);
    expect(sums(byShift.rows).running).toBe(3600);
  });

  it('exports CSV for Excel: BOM, CRLF, Japanese header by default, English on request, quoted name', async () => {
    const res = await get(`/api/machines/${SITE}/${NODE}/timeline.csv?${range}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="mieruka_${SITE}_${NODE}_timeline_\\d{4}-\\d{2}-\\d{2}(_\\d{4}-\\d{2}-\\d{2})?\\.csv"`));
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text.split('\r\n')[0]).toBe('サイト,機械,機械名,状態,開始,終了,時間(秒)');
    expect(text).toContain(`${SITE},${NODE},"ProtoMat S63, ""main""\nline 2",稼働中,${tokyo.iso(base + 30 * MIN)},${tokyo.iso(base + 90 * MIN)},3600\r\n`);
    expect(text.endsWith('\r\n')).toBe(true);

    const en = await get(`/api/machines/${SITE}/${NODE}/jobs?${range}&format=csv&lang=en`);
    const enText = await en.text(); // fetch's text() drops the BOM (checked on the bytes above)
    expect(enText.split('\r\n')[0]).toBe('site,machine,machine name,start,end,duration (s),partial,interrupted,source');
    expect(enText).toContain(`,${tokyo.iso(base + 30 * MIN)},${tokyo.iso(base + 90 * MIN)},3600,no,no,events\r\n`);

    const shifts = await get(`/api/machines/${SITE}/${NODE}/utilization.csv?${range}&by=shift`);
    expect(shifts.headers.get('content-disposition')).toContain('_utilization-shift_');
    expect((await shifts.text()).split('\r\n')[0]).toBe('サイト,機械,機械名,期間,シフト,開始,終了,停止(秒),待機(秒),稼働(秒),不明(秒),合計(秒),稼働率(%),稼働率・全時間(%)');
  });

  it('answers 400 for bad parameters and 404 for an unknown machine or report', async () => {
    const expectError = async (path: string, status: number, message: RegExp) => {
      const res = await get(path);
      expect(res.status, path).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.message, path).toMatch(message);
    };
    await expectError(`/api/machines/${SITE}/${NODE}/timeline?from=yesterday`, 400, /from: use a date/);
    await expectError(`/api/machines/${SITE}/${NODE}/timeline?from=2024-01-01&to=2025-06-01`, 400, /at most 400 days/);
    await expectError(`/api/machines/${SITE}/${NODE}/timeline?from=2025-01-02&to=2025-01-01`, 400, /later than from/);
    await expectError(`/api/machines/${SITE}/${NODE}/utilization?by=week`, 400, /by: use hour, day or shift/);
    await expectError(`/api/machines/${SITE}/Mill_1/timeline`, 400, /invalid site or machine id/);
    await expectError(`/api/machines/${SITE}/lathe-9/timeline`, 404, /unknown machine/);
    await expectError(`/api/machines/${SITE}/${NODE}/history`, 404, /no such report/);
  });

  it('turns the machine unknown from the moment its last will arrives', async () => {
    const before = Date.now();
    // Drop the connection without DISCONNECT: the broker publishes the will.
    edge.stream.destroy();
    const machine = await waitFor(async () => {
      await hub.flush();
      const body = await getJson<{ machines: Array<{ state: string; since: number; online: boolean }> }>('/api/machines');
      return body.machines[0]?.state === 'unknown' ? body.machines[0] : null;
    }, 'the machine to turn unknown');
    expect(machine.online).toBe(false);
    expect(machine.since).toBeGreaterThanOrEqual(before);
    const timeline = await getJson<{ intervals: Interval[] }>(`/api/machines/${SITE}/${NODE}/timeline?${range}`);
    expect(timeline.intervals.map((i) => i.state)).toEqual(['unknown', 'off', 'running', 'idle', 'unknown']);
    expect(timeline.intervals.at(-1)).toMatchObject({ start: machine.since, end: null });
  });
});
