/**
 * Machine reports (session required, mounted after requireSession):
 * GET /api/machines, and per machine `timeline`, `jobs` and `utilization` over a time range,
 * as JSON or as CSV (`?format=csv` or a `.csv` suffix) for spreadsheets. See docs/api.md.
 */
import { Router, type Request, type Response } from 'express';
import { addDays, DAY_MS, HOUR_MS, ID_PATTERN, LocalTime, localTimeFor, parseDate, type MachineState } from '@mieruka/protocol';
import type { DashboardContext } from '../context.js';
import type { CsvValue } from '../csv.js';
import type { DashboardDataSource, MachineJob, StateInterval, TimeRange, UsageGrouping, UsageRow } from '../data-source.js';
import { sendError } from '../http-errors.js';
import { dataFor } from '../site-scope.js';
import { BadQuery, MAX_TIME, MIN_TIME, param, sendCsv, type Lang } from './query.js';

export const MAX_RANGE_DAYS = 400;
/** Points of the current chart: default and most one answer may ask for. */
export const CURRENT_POINTS_DEFAULT = 600;
export const CURRENT_POINTS_MAX = 5000;
const REPORTS = ['timeline', 'jobs', 'utilization'] as const;
type Report = (typeof REPORTS)[number];

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/;



/**
 * `from`/`to`: epoch ms, a local date (`2025-11-24` = local midnight), or an ISO date-time,
 * with an offset or `Z` (exact) or without (local wall time).
 */
export function parseTime(value: string, clock: LocalTime, name: string): number {
  let t: number | null = null;
  if (/^\d{1,16}$/.test(value)) {
    t = Number(value);
  } else if (parseDate(value)) {
    t = clock.startOfDay(value);
  } else {
    const m = DATE_TIME.exec(value);
    const date = m?.[1];
    if (m && date && parseDate(date)) {
      const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
      const ms = Number((m[5] ?? '').padEnd(3, '0'));
      if (hour <= 23 && minute <= 59 && second <= 59) {
        const zone = m[6];
        if (zone === undefined) {
          t = clock.instant(date, hour, minute, second, ms);
        } else {
          const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
          const offset = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
          t = Date.UTC(y, mo - 1, d, hour, minute, second, ms) - offset;
        }
      }
    }
  }
  if (t === null) throw new BadQuery({
      en: `${name}: use a date (2025-11-24), a date-time (2025-11-24T08:00 or 2025-11-24T08:00:00+09:00) or epoch milliseconds`,
      ja: `${name}: 日付 (2025-11-24)、日時 (2025-11-24T08:00 か 2025-11-24T08:00:00+09:00)、エポックミリ秒のいずれかで指定してください`,
    });
  if (!(t >= MIN_TIME && t <= MAX_TIME)) throw new BadQuery({ en: `${name}: must lie between 2000 and 2100 (epoch milliseconds, not seconds)`, ja: `${name}: 2000 年から 2100 年の間にしてください (秒ではなくエポックミリ秒)` });
  return t;
}

/** The range of a request; default: today, local. At most MAX_RANGE_DAYS long. */
export function parseRange(req: Request, clock: LocalTime, now: number): TimeRange {
  const fromText = param(req, 'from');
  const toText = param(req, 'to');
  const from = fromText === undefined ? clock.startOfDay(clock.dateOf(now)) : parseTime(fromText, clock, 'from');
  const to = toText === undefined ? clock.startOfDay(addDays(clock.dateOf(from), 1)) : parseTime(toText, clock, 'to');
  if (!(to > from)) throw new BadQuery({ en: 'to must be later than from', ja: 'to は from より後にしてください' });
  // Local days may be 23 or 25 h long: allow for the DST hour.
  if (to - from > MAX_RANGE_DAYS * DAY_MS + 2 * HOUR_MS) throw new BadQuery({ en: `range too long: at most ${MAX_RANGE_DAYS} days`, ja: `期間が長すぎます: 最大 ${MAX_RANGE_DAYS} 日です` });
  return { from, to };
}

const HEADERS: Record<Report, Record<Lang, string[]>> = {
  timeline: {
    ja: ['サイト', '機械', '機械名', '状態', '開始', '終了', '時間(秒)'],
    en: ['site', 'machine', 'machine name', 'state', 'start', 'end', 'duration (s)'],
  },
  jobs: {
    ja: ['サイト', '機械', '機械名', '開始', '終了', '時間(秒)', '開始不明', '中断', '記録元'],
    en: ['site', 'machine', 'machine name', 'start', 'end', 'duration (s)', 'partial', 'interrupted', 'source'],
  },
  utilization: {
    ja: ['サイト', '機械', '機械名', '期間', 'シフト', '開始', '終了', '停止(秒)', '待機(秒)', '稼働(秒)', '不明(秒)', '合計(秒)', '稼働率(%)', '稼働率・全時間(%)'],
    en: ['site', 'machine', 'machine name', 'period', 'shift', 'start', 'end', 'off (s)', 'idle (s)', 'running (s)', 'unknown (s)', 'total (s)', 'utilization (%)', 'utilization of total (%)'],
  },
};

const STATE_LABEL: Record<Lang, Record<MachineState, string>> = {
  ja: { off: '停止', idle: '待機', running: '稼働中', unknown: '不明' },
  en: { off: 'off', idle: 'idle', running: 'running', unknown: 'unknown' },
};
const YES_NO: Record<Lang, [string, string]> = { ja: ['はい', 'いいえ'], en: ['yes', 'no'] };
const SOURCE_LABEL: Record<Lang, Record<MachineJob['source'], string>> = { ja: { events: 'イベント', states: '状態' }, en: { events: 'events', states: 'states' } };

/** Seconds with at most millisecond digits. */
const seconds = (s: number) => Math.round(s * 1000) / 1000;
const percent = (ratio: number | null) => (ratio === null ? null : Math.round(ratio * 1000) / 10);

function durationS(start: number, end: number | null, now: number): number {
  return seconds(Math.max(0, (end ?? now) - start) / 1000);
}

type ReportQuery = { range: TimeRange; csv: boolean; lang: Lang; by: UsageGrouping };

/** format, lang, by and the range of a report request; throws BadQuery. */
function parseReportQuery(req: Request, report: Report, csvSuffix: boolean, clock: LocalTime, now: number): ReportQuery {
  const format = param(req, 'format');
  if (format !== undefined && format !== 'json' && format !== 'csv') throw new BadQuery({ en: 'format: use json or csv', ja: 'format: json か csv を指定してください' });
  if (csvSuffix && format === 'json') throw new BadQuery({ en: 'format=json contradicts the .csv suffix', ja: 'format=json は .csv の拡張子と矛盾します' });
  const csv = csvSuffix || format === 'csv';
  const lang = param(req, 'lang') ?? 'ja';
  if (lang !== 'ja' && lang !== 'en') throw new BadQuery({ en: 'lang: use ja or en', ja: 'lang: ja か en を指定してください' });
  let by: UsageGrouping = 'day';
  const byText = param(req, 'by');
  if (byText !== undefined) {
    if (report !== 'utilization') throw new BadQuery({ en: 'by applies to utilization only', ja: 'by は utilization にだけ使えます' });
    if (byText !== 'hour' && byText !== 'day' && byText !== 'shift') throw new BadQuery({ en: 'by: use hour, day or shift', ja: 'by: hour、day、shift のいずれかを指定してください' });
    by = byText;
  }
  const range = parseRange(req, clock, now);
  return { range, csv, lang, by };
}

type ReportTarget = { data: DashboardDataSource; site: string; node: string; report: Report; query: ReportQuery; clock: LocalTime };

/** A timeline, jobs or utilization report as JSON or CSV. */
async function sendReport(res: Response, target: ReportTarget): Promise<void> {
  const { data, site, node, report, clock } = target;
  const { range, csv, lang, by } = target.query;
  const base = { site, node, timeZone: clock.timeZone, from: range.from, to: range.to };
  const lastDay = clock.dateOf(range.to - 1);
  const firstDay = clock.dateOf(range.from);
  const filename = `mieruka_${site}_${node}_${report}${report === 'utilization' ? `-${by}` : ''}_${firstDay}${lastDay === firstDay ? '' : `_${lastDay}`}.csv`;
  const nameOf = async () => (await data.listMachines()).find((m) => m.site === site && m.node === node)?.name ?? null;
  const iso = (t: number | null) => (t === null ? null : clock.iso(t));
  res.setHeader('Cache-Control', 'no-store');

  if (report === 'timeline') {
    const timeline = await data.machineTimeline(site, node, range);
    if (!timeline) return sendError(res, 'NOT_FOUND', { en: 'unknown machine', ja: '不明な機械です' });
    const intervals = timeline.intervals.map((i: StateInterval) => ({ ...i, durationS: durationS(i.start, i.end, timeline.now) }));
    if (!csv) return void res.json({ ...base, now: timeline.now, intervals });
    const name = await nameOf();
    const rows = intervals.map((i) => [site, node, name, STATE_LABEL[lang][i.state], iso(i.start), iso(i.end), i.durationS]);
    return sendCsv(res, filename, HEADERS.timeline[lang], rows);
  }

  if (report === 'jobs') {
    const result = await data.machineJobs(site, node, range);
    if (!result) return sendError(res, 'NOT_FOUND', { en: 'unknown machine', ja: '不明な機械です' });
    if (!csv) return void res.json({ ...base, now: result.now, jobs: result.jobs });
    const name = await nameOf();
    const [yes, no] = YES_NO[lang];
    const rows = result.jobs.map((j) => [site, node, name, iso(j.start), iso(j.end), seconds(j.durationS), j.partial ? yes : no, j.interrupted ? yes : no, SOURCE_LABEL[lang][j.source]]);
    return sendCsv(res, filename, HEADERS.jobs[lang], rows);
  }

  const usage = await data.machineUsage(site, node, range, by);
  if (!usage) return sendError(res, 'NOT_FOUND', { en: 'unknown machine', ja: '不明な機械です' });
  if (!csv) return void res.json({ ...base, now: usage.now, by, rows: usage.rows, total: usage.total });
  const name = await nameOf();
  const header = HEADERS.utilization[lang].filter((_h, i) => by === 'shift' || i !== 4);
  const rows = usage.rows.map((r: UsageRow) => {
    const cells: CsvValue[] = [site, node, name, r.label, r.shift, iso(r.start), iso(r.end)];
    cells.push(seconds(r.seconds.off), seconds(r.seconds.idle), seconds(r.seconds.running), seconds(r.seconds.unknown), seconds(r.totalS));
    cells.push(percent(r.utilization), percent(r.utilizationOfTotal));
    if (by !== 'shift') cells.splice(4, 1);
    return cells;
  });
  return sendCsv(res, filename, header, rows);
}

export function machineRoutes(ctx: DashboardContext): Router {
  const router = Router();

  router.get('/api/machines', async (_req, res) => {
    const data = dataFor(ctx, res);
    const machines = await data.listMachines();
    res.setHeader('Cache-Control', 'no-store');
    res.json({ timeZone: data.reportSettings().timeZone, now: ctx.now(), machines });
  });

  // Current readings for the live chart (JSON only: a year of raw readings is no spreadsheet).
  router.get('/api/machines/:site/:node/current', async (req, res) => {
    const data = dataFor(ctx, res);
    const { site, node } = req.params;
    if (!ID_PATTERN.test(site) || !ID_PATTERN.test(node)) {
      sendError(res, 'BAD_REQUEST', { en: 'invalid site or machine id', ja: 'サイトまたは機械の ID が正しくありません' });
      return;
    }
    const clock = localTimeFor(data.reportSettings().timeZone);
    let range: TimeRange;
    let points = CURRENT_POINTS_DEFAULT;
    try {
      const pointsText = param(req, 'points');
      if (pointsText !== undefined) {
        if (!/^\d{1,6}$/.test(pointsText) || Number(pointsText) < 1 || Number(pointsText) > CURRENT_POINTS_MAX) throw new BadQuery(`points: a whole number from 1 to ${CURRENT_POINTS_MAX}`);
        points = Number(pointsText);
      }
      range = parseRange(req, clock, ctx.now());
    } catch (err) {
      if (err instanceof BadQuery) {
        sendError(res, 'BAD_REQUEST', err.text);
        return;
      }
      throw err;
    }
    const series = await data.machineCurrent(site, node, range, points);
    if (!series) return sendError(res, 'NOT_FOUND', { en: 'unknown machine', ja: '不明な機械です' });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ site, node, timeZone: clock.timeZone, from: range.from, to: range.to, ...series });
  });

  router.get('/api/machines/:site/:node/:report', async (req, res) => {
    const data = dataFor(ctx, res);
    const { site, node } = req.params;
    const match = /^(timeline|jobs|utilization)(\.csv)?$/.exec(req.params.report);
    if (!match) {
      sendError(res, 'NOT_FOUND', { en: 'no such report: use timeline, jobs, utilization or current', ja: 'そのレポートはありません: timeline、jobs、utilization、current のいずれかです' });
      return;
    }
    if (!ID_PATTERN.test(site) || !ID_PATTERN.test(node)) {
      sendError(res, 'BAD_REQUEST', { en: 'invalid site or machine id', ja: 'サイトまたは機械の ID が正しくありません' });
      return;
    }
    const report = match[1] as Report;
    const clock = localTimeFor(data.reportSettings().timeZone);
    let query: ReportQuery;
    try {
      query = parseReportQuery(req, report, match[2] !== undefined, clock, ctx.now());
    } catch (err) {
      if (err instanceof BadQuery) {
        sendError(res, 'BAD_REQUEST', err.text);
        return;
      }
      throw err;
    }
    await sendReport(res, { data, site, node, report, query, clock });
  });

  return router;
}
