/** Machine report routes on the real express app over real HTTP, fed by the in-memory data source. */
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageRow } from '../data-source.js';
import { LocalTime } from '@mieruka/protocol';
import { parseCsv } from '../test-support/csv-parse.js';
import { loginCookie, startHarness, type Harness } from '../test-support/harness.js';

const H = 3_600_000;
const berlin = new LocalTime('Europe/Berlin');
const NOW = Date.UTC(2025, 10, 24, 12, 0); // 13:00 in Berlin
const NAME = '=Fräse, "groß"\n2';

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

function usageRow(start: number, end: number, label: string, running: number, shift: string | null = null): UsageRow {
  const totalS = (end - start) / 1000;
  return {
    start,
    end,
    label,
    shift,
    seconds: { off: totalS - running - 600, idle: 0, running, unknown: 600 },
    totalS,
    knownS: totalS - 600,
    utilization: running / (totalS - 600),
    utilizationOfTotal: running / totalS,
  };
}

async function start(): Promise<{ h: Harness; cookie: string; get: (path: string) => Promise<Response> }> {
  const h = await startHarness();
  harness = h;
  h.data.now = () => NOW;
  h.data.setReportSettings({ timeZone: 'Europe/Berlin', shifts: [{ name: 'day', start: '08:00', end: '17:00', days: ['mon'] }] });
  const day = berlin.startOfDay('2025-11-24');
  h.data.setMachine('factory', 'mill-1', {
    name: NAME,
    intervals: [
      { state: 'off', start: day - 2 * H, end: day + 8 * H },
      { state: 'running', start: day + 8 * H, end: day + 10 * H },
      { state: 'idle', start: day + 10 * H, end: null },
    ],
    jobs: [{ start: day + 8 * H, end: day + 10 * H, durationS: 7200, partial: false, interrupted: true, source: 'events' }],
    usage: {
      day: [usageRow(day, NOW, '2025-11-24', 7200)],
      shift: [usageRow(day + 8 * H, day + 17 * H, '2025-11-24', 7200, 'day')],
    },
  });
  const cookie = await loginCookie(h.url);
  return { h, cookie, get: (path: string) => fetch(`${h.url}${path}`, { headers: { cookie } }) };
}

describe('machine routes', () => {
  it('lists machines with the report time zone', async () => {
    const { get } = await start();
    const res = await get('/api/machines');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { timeZone: string; machines: Array<{ node: string; name: string; state: string }> };
    expect(body.timeZone).toBe('Europe/Berlin');
    expect(body.machines).toEqual([expect.objectContaining({ site: 'factory', node: 'mill-1', name: NAME, state: 'idle' })]);
  });

  it('defaults to today in the configured zone and reads dates, local and offset date-times and epoch ms', async () => {
    const { get } = await start();
    const today = new LocalTime('Europe/Berlin').dateOf(Date.now());
    const range = async (query: string) => {
      const res = await get(`/api/machines/factory/mill-1/timeline${query}`);
      expect(res.status, query).toBe(200);
      const body = (await res.json()) as { from: number; to: number };
      return [body.from, body.to];
    };
    expect(await range('')).toEqual([berlin.startOfDay(today), berlin.startOfDay(new Date(Date.parse(today) + 86_400_000).toISOString().slice(0, 10))]);
    // A local date means local midnight; `to` defaults to the next one (23 h on the spring-forward day).
    expect(await range('?from=2025-03-30')).toEqual([Date.UTC(2025, 2, 29, 23), Date.UTC(2025, 2, 30, 22)]);
    expect(await range('?from=2025-11-24T08:30&to=2025-11-24T09:00:15.5')).toEqual([Date.UTC(2025, 10, 24, 7, 30), Date.UTC(2025, 10, 24, 8, 0, 15, 500)]);
    expect(await range('?from=2025-11-24T08:30:00Z&to=2025-11-24T18:00:00%2B09:00')).toEqual([Date.UTC(2025, 10, 24, 8, 30), Date.UTC(2025, 10, 24, 9)]);
    expect(await range(`?from=${NOW - H}&to=${NOW}`)).toEqual([NOW - H, NOW]);
    // Exactly 400 local days is allowed (with a DST change inside).
    expect(await range('?from=2025-01-01&to=2026-02-05')).toEqual([berlin.startOfDay('2025-01-01'), berlin.startOfDay('2026-02-05')]);
  });

  it('answers 400 with a clear message for bad parameters', async () => {
    const { get } = await start();
    const cases: Array<[string, RegExp]> = [
      ['timeline?from=2025-02-30', /from: use a date/],
      ['timeline?from=2025-11-24T24:00', /from: use a date/],
      ['timeline?to=tomorrow', /to: use a date/],
      ['timeline?from=1764000000', /between 2000 and 2100/],
      ['timeline?from=2025-11-24&from=2025-11-25', /from: give it once/],
      ['timeline?from=2025-11-25&to=2025-11-24', /later than from/],
      ['timeline?from=2025-01-01&to=2026-02-06', /at most 400 days/],
      ['timeline.csv?format=json', /contradicts/],
      ['timeline?format=xml', /format: use json or csv/],
      ['jobs?lang=fr', /lang: use ja or en/],
      ['timeline?by=day', /by applies to utilization only/],
      ['utilization?by=month', /by: use hour, day or shift/],
    ];
    for (const [path, message] of cases) {
      const res = await get(`/api/machines/factory/mill-1/${path}`);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code, path).toBe('BAD_REQUEST');
      expect(body.error.message, path).toMatch(message);
    }
    for (const path of ['Factory/mill-1/timeline', 'factory/-mill/jobs', 'factory/mill_1/utilization']) {
      expect((await get(`/api/machines/${path}`)).status, path).toBe(400);
    }
  });

  it('answers 404 for an unknown machine or report', async () => {
    const { get } = await start();
    for (const path of ['factory/lathe-1/timeline', 'factory/lathe-1/jobs.csv', 'factory/lathe-1/utilization', 'factory/mill-1/history', 'factory/mill-1/timeline.xlsx']) {
      const res = await get(`/api/machines/${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });

  it('returns the timeline clipped to the range, the current interval open', async () => {
    const { get } = await start();
    const res = await get('/api/machines/factory/mill-1/timeline?from=2025-11-24');
    const body = (await res.json()) as { timeZone: string; now: number; intervals: Array<{ state: string; start: number; end: number | null; durationS: number }> };
    expect(body.timeZone).toBe('Europe/Berlin');
    expect(body.now).toBe(NOW);
    const day = berlin.startOfDay('2025-11-24');
    expect(body.intervals).toEqual([
      { state: 'off', start: day, end: day + 8 * H, durationS: 8 * 3600 },
      { state: 'running', start: day + 8 * H, end: day + 10 * H, durationS: 2 * 3600 },
      { state: 'idle', start: day + 10 * H, end: null, durationS: 3 * 3600 },
    ]);
  });

  it('exports the timeline as CSV: BOM, CRLF, RFC 4180 quoting, formula defused, local times with offset', async () => {
    const { get } = await start();
    const res = await get('/api/machines/factory/mill-1/timeline.csv?from=2025-11-24');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="mieruka_factory_mill-1_timeline_2025-11-24.csv"; filename*=UTF-8''mieruka_factory_mill-1_timeline_2025-11-24.csv`,
    );
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    const rows = parseCsv(text);
    expect(rows).toEqual([
      ['サイト', '機械', '機械名', '状態', '開始', '終了', '時間(秒)'],
      ['factory', 'mill-1', `'${NAME}`, '停止', '2025-11-24T00:00:00+01:00', '2025-11-24T08:00:00+01:00', '28800'],
      ['factory', 'mill-1', `'${NAME}`, '稼働中', '2025-11-24T08:00:00+01:00', '2025-11-24T10:00:00+01:00', '7200'],
      ['factory', 'mill-1', `'${NAME}`, '待機', '2025-11-24T10:00:00+01:00', '', '10800'],
    ]);
  });

  it('exports jobs and utilization as CSV, in English on request', async () => {
    const { get } = await start();
    const jobs = parseCsv(Buffer.from(await (await get('/api/machines/factory/mill-1/jobs?from=2025-11-24&format=csv&lang=en')).arrayBuffer()).toString('utf8'));
    expect(jobs).toEqual([
      ['site', 'machine', 'machine name', 'start', 'end', 'duration (s)', 'partial', 'interrupted', 'source'],
      ['factory', 'mill-1', `'${NAME}`, '2025-11-24T08:00:00+01:00', '2025-11-24T10:00:00+01:00', '7200', 'no', 'yes', 'events'],
    ]);
    const jaJobs = parseCsv(Buffer.from(await (await get('/api/machines/factory/mill-1/jobs.csv?from=2025-11-24')).arrayBuffer()).toString('utf8'));
    expect(jaJobs[1]!.slice(6)).toEqual(['いいえ', 'はい', 'イベント']);

    const daily = parseCsv(Buffer.from(await (await get('/api/machines/factory/mill-1/utilization.csv?from=2025-11-24&lang=en')).arrayBuffer()).toString('utf8'));
    expect(daily[0]).toEqual(['site', 'machine', 'machine name', 'period', 'start', 'end', 'off (s)', 'idle (s)', 'running (s)', 'unknown (s)', 'total (s)', 'utilization (%)', 'utilization of total (%)']);
    // 13 h elapsed: 7200 s running of 46 200 s known (15.6 %), of 46 800 s in all (15.4 %).
    expect(daily[1]).toEqual(['factory', 'mill-1', `'${NAME}`, '2025-11-24', '2025-11-24T00:00:00+01:00', '2025-11-24T13:00:00+01:00', '39000', '0', '7200', '600', '46800', '15.6', '15.4']);

    const shifts = parseCsv(Buffer.from(await (await get('/api/machines/factory/mill-1/utilization.csv?from=2025-11-24&by=shift')).arrayBuffer()).toString('utf8'));
    expect(shifts[0]!.slice(3, 5)).toEqual(['期間', 'シフト']);
    expect(shifts[1]!.slice(3, 5)).toEqual(['2025-11-24', 'day']);
  });

  it('returns current readings of the machine, raw when they fit and in buckets of avg/min/max otherwise', async () => {
    const { h, get } = await start();
    // One reading a second over ten minutes, a sawtooth 0..9 A.
    const from = NOW - 10 * 60_000;
    for (let i = 0; i < 600; i++) h.data.addReading('factory', 'mill-1', from + i * 1000, [i % 10, 100]);
    h.data.addReading('factory', 'mill-1', NOW + 1000, [55]); // after the range: left out

    type Body = { site: string; node: string; timeZone: string; from: number; to: number; channel: number; bucketMs: number; points: Array<{ ts: number; avg: number; min: number; max: number }> };
    const raw = (await (await get(`/api/machines/factory/mill-1/current?from=${from}&to=${NOW}`)).json()) as Body;
    expect(raw).toMatchObject({ site: 'factory', node: 'mill-1', timeZone: 'Europe/Berlin', from, to: NOW, channel: 0, bucketMs: 0 });
    expect(raw.points).toHaveLength(600);
    expect(raw.points[13]).toEqual({ ts: from + 13_000, avg: 3, min: 3, max: 3 });

    // 60 points over 10 min: 10 s buckets, each holding one whole tooth.
    const res = await get(`/api/machines/factory/mill-1/current?from=${from}&to=${NOW}&points=60`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const bucketed = (await res.json()) as Body;
    expect(bucketed.bucketMs).toBe(10_000);
    expect(bucketed.points).toHaveLength(60);
    expect(bucketed.points[59]).toEqual({ ts: from + 590_000, avg: 4.5, min: 0, max: 9 });

    // A range with no readings is an empty series, not an error.
    const empty = (await (await get('/api/machines/factory/mill-1/current?from=2025-11-01&to=2025-11-02')).json()) as Body;
    expect(empty.points).toEqual([]);
  });

  it('checks the current query: 400 for bad points or range, 404 for an unknown machine', async () => {
    const { get } = await start();
    const cases: Array<[string, RegExp]> = [
      ['points=0', /points: a whole number from 1 to 5000/],
      ['points=5001', /points: a whole number/],
      ['points=1.5', /points: a whole number/],
      ['points=60&points=70', /points: give it once/],
      ['from=2025-11-25&to=2025-11-24', /later than from/],
      ['from=2025-01-01&to=2026-02-06', /at most 400 days/],
      ['from=yesterday', /from: use a date/],
    ];
    for (const [query, message] of cases) {
      const res = await get(`/api/machines/factory/mill-1/current?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message, query).toMatch(message);
    }
    expect((await get('/api/machines/factory/lathe-1/current')).status).toBe(404);
    expect((await get('/api/machines/factory/Mill/current')).status).toBe(400);
    expect((await get('/api/machines/factory/mill-1/current?points=5000')).status).toBe(200);
  });

  it('returns utilization as JSON with the grouping and a total', async () => {
    const { get } = await start();
    const res = await get('/api/machines/factory/mill-1/utilization?from=2025-11-24&by=shift');
    const body = (await res.json()) as { by: string; rows: UsageRow[]; total: { seconds: { running: number } } };
    expect(body.by).toBe('shift');
    expect(body.rows.map((r) => r.shift)).toEqual(['day']);
    expect(body.total.seconds.running).toBe(7200);
  });
});
