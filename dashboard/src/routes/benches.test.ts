/** Bench routes on the real express app over real HTTP, fed by the in-memory data source. */
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchScore } from '../data-source.js';
import { LocalTime } from '@mieruka/protocol';
import { stoppedClock } from '../../../test/helpers/test-clock.js';
import { parseCsv } from '../test-support/csv-parse.js';
import { loginCookie, startHarness, type Harness } from '../test-support/harness.js';
import { calendarDays, MAX_TREND_SCORES } from './benches.js';

const H = 3_600_000;
const berlin = new LocalTime('Europe/Berlin');

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

const score = (ts: number, value: number, imageId: string | null = null): BenchScore => ({ ts, seq: ts, score: value, coveredRatio: value / 100, slot: 'manual', imageId, imageAvailable: imageId !== null });

async function start(options: { now?: () => number; timeZone?: string } = {}) {
  const h = await startHarness(options.now ? { now: options.now } : {});
  harness = h;
  h.data.setReportSettings({ timeZone: options.timeZone ?? 'Europe/Berlin', shifts: [] });
  const cookie = await loginCookie(h.url);
  return { h, get: (path: string) => fetch(`${h.url}${path}`, { headers: { cookie } }) };
}

describe('bench routes', () => {
  it('cuts days at local midnight across the 25-hour DST day', async () => {
    const { h, get } = await start();
    const day = berlin.startOfDay('2025-10-26'); // clocks go back: 25 h long
    h.data.addBenchScore('factory', 'bench-1', score(day - 1000, 50), '=Werkbank');
    h.data.addBenchScore('factory', 'bench-1', score(day + 24 * H + 30 * 60_000, 20, 'late'));
    h.data.addBenchScore('factory', 'bench-1', score(day + 25 * H, 10));
    const res = await get('/api/benches/factory/bench-1/calendar?month=2025-10');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { days: { date: string; count: number; last: number }[] };
    // 24.5 h after midnight is still the 26th; 25 h is the 27th.
    expect(body.days.map((d) => [d.date, d.count, d.last])).toEqual([
      ['2025-10-25', 1, 50],
      ['2025-10-26', 1, 20],
      ['2025-10-27', 1, 10],
    ]);
    const csv = await get('/api/benches/factory/bench-1/trend?from=2025-10-25&to=2025-10-28&format=csv&lang=en');
    const rows = parseCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(await csv.arrayBuffer()));
    expect(rows).toHaveLength(4);
    expect(rows[1]?.[2]).toBe("'=Werkbank"); // a name is never run as a formula
    expect(rows[2]?.slice(3)).toEqual(['2025-10-26T23:30:00+01:00', 'manual', '20', '0.2', 'late', 'yes']);
  });

  it('a month calendar holds exactly its 28, 29 or 31 days; by default the month of the hub clock', async () => {
    const tokyo = new LocalTime('Asia/Tokyo');
    // The hub's clock says it is leap day 2028, noon in Tokyo, whatever day the test runs.
    const { h, get } = await start({ now: stoppedClock(tokyo.instant('2028-02-29', 12)), timeZone: 'Asia/Tokyo' });
    const months: Array<[string, string, string]> = [
      ['2027-02', '2027-02-28', '2027-03-01'],
      ['2028-02', '2028-02-29', '2028-03-01'],
      ['2027-12', '2027-12-31', '2028-01-01'],
    ];
    for (const [month, last, next] of months) {
      const first = `${month}-01`;
      h.data.addBenchScore('factory', 'bench-1', score(tokyo.startOfDay(first) - 1000, 1)); // the month before
      h.data.addBenchScore('factory', 'bench-1', score(tokyo.startOfDay(first), 2));
      h.data.addBenchScore('factory', 'bench-1', score(tokyo.startOfDay(next) - 1000, 3));
      h.data.addBenchScore('factory', 'bench-1', score(tokyo.startOfDay(next), 4)); // the month after
    }
    for (const [month, last] of months) {
      const body = (await (await get(`/api/benches/factory/bench-1/calendar?month=${month}`)).json()) as { days: { date: string; last: number }[] };
      expect(body.days.map((d) => [d.date, d.last]), month).toEqual([
        [`${month}-01`, 2],
        [last, 3],
      ]);
    }
    const current = (await (await get('/api/benches/factory/bench-1/calendar')).json()) as { period: string; days: { date: string }[] };
    expect(current.period).toBe('2028-02');
    expect(current.days.map((d) => d.date)).toEqual(['2028-02-01', '2028-02-29']);
    // The year view across the year end keeps 12-31 and 01-01 apart.
    const year = (await (await get('/api/benches/factory/bench-1/calendar?year=2027')).json()) as { days: { date: string }[] };
    expect(year.days.map((d) => d.date)).toEqual(['2027-01-31', '2027-02-01', '2027-02-28', '2027-03-01', '2027-11-30', '2027-12-01', '2027-12-31']);
  });

  it('marks a trend truncated past the limit and keeps the oldest', async () => {
    const { h, get } = await start();
    const from = Date.parse('2025-01-01T00:00:00Z');
    for (let i = 0; i <= MAX_TREND_SCORES; i++) h.data.addBenchScore('factory', 'bench-1', score(from + i * 60_000, i % 100));
    const body = (await (await get(`/api/benches/factory/bench-1/trend?from=${from}&to=${from + 30 * 24 * H}`)).json()) as { truncated: boolean; scores: BenchScore[] };
    expect(body.truncated).toBe(true);
    expect(body.scores).toHaveLength(MAX_TREND_SCORES);
    expect(body.scores[0]?.ts).toBe(from);
  });

  it('rejects latest as CSV and a repeated parameter', async () => {
    const { h, get } = await start();
    h.data.addBenchScore('factory', 'bench-1', score(Date.now(), 1));
    expect((await get('/api/benches/factory/bench-1/latest?format=csv')).status).toBe(400);
    expect((await get('/api/benches/factory/bench-1/trend?lang=en&lang=ja')).status).toBe(400);
    expect((await get('/api/benches/factory/BAD_ID/trend')).status).toBe(400);
    expect((await get('/api/nodes/factory/bench-1/images/../thumbnail')).status).toBe(404);
  });

  it('calendarDays: mean to one decimal, last by time', () => {
    const t = Date.parse('2025-11-24T09:00:00+09:00');
    const days = calendarDays([score(t, 10), score(t + H, 20), score(t + 2 * H, 5)], new LocalTime('Asia/Tokyo'));
    expect(days).toEqual([{ date: '2025-11-24', count: 3, last: 5, lastTs: t + 2 * H, max: 20, min: 5, mean: 11.7 }]);
  });
});
