/**
 * Clutter stations (work benches), session required, mounted after requireSession:
 * GET /api/benches, per station `latest`, `trend` (scores over a range) and `calendar` (per
 * local day), JSON or CSV (`?format=csv`), and image thumbnails. See docs/api.md.
 */
import { Router, type Request } from 'express';
import { addDays, DAY_MS, HOUR_MS, ID_PATTERN, LocalTime, localTimeFor } from '@mieruka/protocol';
import type { DashboardContext } from '../context.js';
import type { BenchScore, TimeRange } from '../data-source.js';
import { sendError } from '../http-errors.js';
import { dataFor } from '../site-scope.js';
import { MAX_RANGE_DAYS, parseTime } from './machines.js';
import { jpegHandler } from './images.js';
import { BadQuery, param, sendCsv, type Lang } from './query.js';

/** Most scores one trend answer carries (3 a day for 400 days is 1 200); past it `truncated` is true. */
export const MAX_TREND_SCORES = 20_000;
/** A year of scores taken every minute still fits. */
const MAX_CALENDAR_SCORES = 600_000;
const DEFAULT_TREND_DAYS = 30;

/** One local day of a station's calendar (days without a score are left out). */
export type BenchDay = { date: string; count: number; last: number; lastTs: number; max: number; min: number; mean: number };

/** parseTime's own errors are request problems too. */
function time(value: string, clock: LocalTime, name: string): number {
  try {
    return parseTime(value, clock, name);
  } catch (err) {
    if (err instanceof BadQuery) throw err;
    throw new BadQuery(err instanceof Error ? err.message : String(err));
  }
}

/** Default: the last 30 local days including today. At most MAX_RANGE_DAYS long. */
function trendRange(req: Request, clock: LocalTime, now: number): TimeRange {
  const fromText = param(req, 'from');
  const toText = param(req, 'to');
  const to = toText === undefined ? clock.startOfDay(addDays(clock.dateOf(now), 1)) : time(toText, clock, 'to');
  const from = fromText === undefined ? clock.startOfDay(addDays(clock.dateOf(to - 1), 1 - DEFAULT_TREND_DAYS)) : time(fromText, clock, 'from');
  if (!(to > from)) throw new BadQuery({ en: 'to must be later than from', ja: 'to は from より後にしてください' });
  if (to - from > MAX_RANGE_DAYS * DAY_MS + 2 * HOUR_MS) throw new BadQuery({ en: `range too long: at most ${MAX_RANGE_DAYS} days`, ja: `期間が長すぎます: 最大 ${MAX_RANGE_DAYS} 日です` });
  return { from, to };
}

/** `month=YYYY-MM` or `year=YYYY` (default: this month), as local days. */
function calendarRange(req: Request, clock: LocalTime, now: number): { range: TimeRange; period: string } {
  const month = param(req, 'month');
  const year = param(req, 'year');
  if (month !== undefined && year !== undefined) throw new BadQuery({ en: 'give month or year, not both', ja: 'month か year のどちらか一方を指定してください' });
  if (year !== undefined) {
    if (!/^\d{4}$/.test(year) || Number(year) < 2000 || Number(year) > 2099) throw new BadQuery('year: use YYYY (2000–2099)');
    return { range: { from: clock.startOfDay(`${year}-01-01`), to: clock.startOfDay(`${Number(year) + 1}-01-01`) }, period: year };
  }
  const text = month ?? clock.dateOf(now).slice(0, 7);
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (!m || Number(m[1]) < 2000 || Number(m[1]) > 2099 || Number(m[2]) < 1 || Number(m[2]) > 12) throw new BadQuery({ en: 'month: use YYYY-MM', ja: 'month: YYYY-MM の形で指定してください' });
  const next = Number(m[2]) === 12 ? `${Number(m[1]) + 1}-01` : `${m[1]}-${String(Number(m[2]) + 1).padStart(2, '0')}`;
  return { range: { from: clock.startOfDay(`${text}-01`), to: clock.startOfDay(`${next}-01`) }, period: text };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Scores (oldest first) grouped by local date: last score of the day, max, min, mean, count. */
export function calendarDays(scores: readonly BenchScore[], clock: LocalTime): BenchDay[] {
  const days = new Map<string, BenchDay & { sum: number }>();
  for (const s of scores) {
    const date = clock.dateOf(s.ts);
    const day = days.get(date);
    if (!day) {
      days.set(date, { date, count: 1, last: s.score, lastTs: s.ts, max: s.score, min: s.score, mean: s.score, sum: s.score });
      continue;
    }
    day.count += 1;
    day.sum += s.score;
    day.max = Math.max(day.max, s.score);
    day.min = Math.min(day.min, s.score);
    if (s.ts >= day.lastTs) {
      day.last = s.score;
      day.lastTs = s.ts;
    }
  }
  return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1)).map(({ sum, ...d }) => ({ ...d, mean: round1(sum / d.count) }));
}

const HEADERS: Record<'trend' | 'calendar', Record<Lang, string[]>> = {
  trend: {
    ja: ['サイト', '作業台', '作業台名', '日時', '時間帯', '散乱度', '被覆率', '画像ID', '画像あり'],
    en: ['site', 'station', 'station name', 'time', 'slot', 'score', 'covered ratio', 'image id', 'image available'],
  },
  calendar: {
    ja: ['サイト', '作業台', '作業台名', '日付', 'その日の最後の散乱度', '最後の時刻', '最大', '最小', '平均', '回数'],
    en: ['site', 'station', 'station name', 'date', 'last score of the day', 'last time', 'max', 'min', 'mean', 'count'],
  },
};
const YES_NO: Record<Lang, [string, string]> = { ja: ['はい', 'いいえ'], en: ['yes', 'no'] };

const imagePath = (site: string, node: string, imageId: string) => `/api/nodes/${site}/${node}/images/${encodeURIComponent(imageId)}`;

export function benchRoutes(ctx: DashboardContext): Router {
  const router = Router();

  const withUrls = (site: string, node: string, s: BenchScore, clock: LocalTime) => ({
    ...s,
    time: clock.iso(s.ts),
    imageUrl: s.imageId && s.imageAvailable ? imagePath(site, node, s.imageId) : null,
    thumbnailUrl: s.imageId && s.imageAvailable ? `${imagePath(site, node, s.imageId)}/thumbnail` : null,
  });

  router.get('/api/benches', async (_req, res) => {
    const data = dataFor(ctx, res);
    const clock = localTimeFor(data.reportSettings().timeZone);
    const benches = await data.listBenches();
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      timeZone: clock.timeZone,
      now: ctx.now(),
      benches: benches.map((b) => ({ ...b, latest: b.latest ? withUrls(b.site, b.node, b.latest, clock) : null })),
    });
  });

  router.get('/api/benches/:site/:node/:view', async (req, res) => {
    const data = dataFor(ctx, res);
    const { site, node, view } = req.params;
    if (view !== 'latest' && view !== 'trend' && view !== 'calendar') {
      sendError(res, 'NOT_FOUND', { en: 'no such view: use latest, trend or calendar', ja: 'その表示はありません: latest、trend、calendar のいずれかです' });
      return;
    }
    if (!ID_PATTERN.test(site) || !ID_PATTERN.test(node)) {
      sendError(res, 'BAD_REQUEST', { en: 'invalid site or station id', ja: 'サイトまたはステーションの ID が正しくありません' });
      return;
    }
    const clock = localTimeFor(data.reportSettings().timeZone);
    const now = ctx.now();
    let csv = false;
    let lang: Lang = 'ja';
    let range: TimeRange = { from: 0, to: 0 };
    let period = '';
    try {
      const format = param(req, 'format');
      if (format !== undefined && format !== 'json' && format !== 'csv') throw new BadQuery({ en: 'format: use json or csv', ja: 'format: json か csv を指定してください' });
      if (format === 'csv' && view === 'latest') throw new BadQuery('latest has no CSV: use trend or calendar');
      csv = format === 'csv';
      const langText = param(req, 'lang') ?? 'ja';
      if (langText !== 'ja' && langText !== 'en') throw new BadQuery({ en: 'lang: use ja or en', ja: 'lang: ja か en を指定してください' });
      lang = langText;
      if (view === 'trend') range = trendRange(req, clock, now);
      if (view === 'calendar') ({ range, period } = calendarRange(req, clock, now));
    } catch (err) {
      if (err instanceof BadQuery) {
        sendError(res, 'BAD_REQUEST', err.text);
        return;
      }
      throw err;
    }
    res.setHeader('Cache-Control', 'no-store');
    const bench = (await data.listBenches()).find((b) => b.site === site && b.node === node);
    if (!bench) return sendError(res, 'NOT_FOUND', { en: 'unknown station', ja: '不明なステーションです' });
    const base = { site, node, name: bench.name, timeZone: clock.timeZone };

    if (view === 'latest') return void res.json({ ...base, latest: bench.latest ? withUrls(site, node, bench.latest, clock) : null });

    if (view === 'trend') {
      const scores = (await data.benchScores(site, node, range, MAX_TREND_SCORES + 1)) ?? [];
      const truncated = scores.length > MAX_TREND_SCORES;
      if (truncated) scores.length = MAX_TREND_SCORES;
      if (!csv) return void res.json({ ...base, from: range.from, to: range.to, truncated, scores: scores.map((s) => withUrls(site, node, s, clock)) });
      const [yes, no] = YES_NO[lang];
      const rows = scores.map((s) => [site, node, bench.name, clock.iso(s.ts), s.slot, s.score, s.coveredRatio, s.imageId, s.imageAvailable ? yes : no]);
      const first = clock.dateOf(range.from);
      const last = clock.dateOf(range.to - 1);
      return sendCsv(res, `mieruka_${site}_${node}_clutter_${first}${first === last ? '' : `_${last}`}.csv`, HEADERS.trend[lang], rows);
    }

    const scores = (await data.benchScores(site, node, range, MAX_CALENDAR_SCORES)) ?? [];
    const days = calendarDays(scores, clock);
    if (!csv) return void res.json({ ...base, period, from: range.from, to: range.to, days: days.map((d) => ({ ...d, lastTime: clock.iso(d.lastTs) })) });
    const rows = days.map((d) => [site, node, bench.name, d.date, d.last, clock.iso(d.lastTs), d.max, d.min, d.mean, d.count]);
    return sendCsv(res, `mieruka_${site}_${node}_clutter-calendar_${period}.csv`, HEADERS.calendar[lang], rows);
  });

  router.get('/api/nodes/:site/:node/images/:imageId/thumbnail', jpegHandler((site, node, imageId, res) => dataFor(ctx, res).readThumbnail(site, node, imageId)));

  return router;
}
