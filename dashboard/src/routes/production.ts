/**
 * Production figures (docs/api.md "Production", definitions in docs/oee.md): OEE per
 * hour/shift/day/month (JSON or CSV), stops and their reasons, the lost-time Pareto, quality
 * entries and the andon board.
 *
 * Who may do what (every call needs a session; changes also the session's CSRF token):
 * - read everything: admin, viewer, the kiosk wall display;
 * - give a reason to a stop that has none: anyone logged in, the kiosk too (the operator at
 *   the machine knows why it stopped);
 * - re-classify a stop that already has a reason: admin only (the supervisor's job; the
 *   dashboard has no separate supervisor role);
 * - add a quality entry: anyone logged in, the kiosk too; replacing overlapping entries: an
 *   admin, or the user who made all of them (never the kiosk);
 * - delete a quality entry: an admin, or the user who made it (never the kiosk).
 *
 * Mounted before the session guard (like the alarms), because the kiosk may write here: each
 * route checks the session and CSRF token itself (requireSession).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { addDays, checkBody, ID_PATTERN, localTimeFor, OEE_GROUPINGS, QualityEntryBody, StopReasonBody, type LocalTime, type OeeGrouping } from '@mieruka/protocol';
import { requireSession, sessionOf } from '../auth.js';
import type { DashboardContext } from '../context.js';
import type { TimeRange } from '../data-source.js';
import { sendError, sendErrorWithDetails } from '../http-errors.js';
import { dataFor } from '../site-scope.js';
import type { Localized } from '../request-language.js';
import { MAX_RANGE_DAYS, parseRange } from './machines.js';
import { sendOeeCsv } from './production-csv.js';
import { BadQuery, param, type Lang } from './query.js';
import type { Session } from '../session-store.js';

const DAY_MS = 86_400_000;
/** How far back the reason prompt looks by default, and at most (hours). */
const NEEDING_REASON_DEFAULT_H = 24;
const NEEDING_REASON_MAX_H = 24 * 31;
const ENTRY_ID = /^\d{1,12}$/;

const UNKNOWN_MACHINE: Localized = { en: 'unknown machine', ja: '不明な機械です' };
const BAD_ID: Localized = { en: 'invalid site or machine id', ja: 'サイトまたは機械の ID が正しくありません' };

function machineOf(req: Request, res: Response): { site: string; node: string } | null {
  const { site, node } = req.params as { site?: string; node?: string };
  if (typeof site !== 'string' || typeof node !== 'string' || !ID_PATTERN.test(site) || !ID_PATTERN.test(node)) {
    sendError(res, 'BAD_REQUEST', BAD_ID);
    return null;
  }
  return { site, node };
}

/** Runs `read` and answers a BadQuery with 400; other errors go on to the error handler. */
function query<T>(res: Response, read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof BadQuery) {
      sendError(res, 'BAD_REQUEST', err.text);
      return undefined;
    }
    throw err;
  }
}

function parseBy(req: Request): OeeGrouping {
  const by = param(req, 'by') ?? 'day';
  if (!(OEE_GROUPINGS as readonly string[]).includes(by)) throw new BadQuery({ en: 'by: use hour, shift, day or month', ja: 'by: hour、shift、day、month のいずれかを指定してください' });
  return by as OeeGrouping;
}

function parseLang(req: Request): Lang {
  const lang = param(req, 'lang') ?? 'ja';
  if (lang !== 'ja' && lang !== 'en') throw new BadQuery({ en: 'lang: use ja or en', ja: 'lang: ja か en を指定してください' });
  return lang;
}

/** Hour buckets over months would be thousands of rows: hours at most 31 days. */
function checkBuckets(by: OeeGrouping, range: TimeRange): void {
  if (by === 'hour' && range.to - range.from > 31 * DAY_MS + 2 * 3_600_000) throw new BadQuery({ en: 'by=hour: at most 31 days', ja: 'by=hour: 最大 31 日です' });
}

function isJson(req: Request, res: Response, what: Localized): boolean {
  if (req.is('application/json')) return true;
  sendError(res, 'BAD_REQUEST', what, 415);
  return false;
}

const isAdmin = (s: Session) => !s.kiosk && s.user.role === 'admin';
const byName = (s: Session) => (s.kiosk ? 'kiosk' : s.user.username);

export function productionRoutes(ctx: DashboardContext): Router {
  const router = Router();
  // The hub's own source for what is no node data (time zone, names of machines already checked).
  const hub = ctx.dataSource;
  const session = requireSession(ctx.sessions);
  const clock = (): LocalTime => localTimeFor(hub.reportSettings().timeZone);
  /** A GET of one machine over `from`/`to`: what `read` finds, or the unknown machine's 404 (also for another site's, site-scope.ts). */
  const machineOverRange =
    <T extends object>(read: (data: ReturnType<typeof dataFor>, m: { site: string; node: string }, range: TimeRange) => Promise<T | null>, body: (found: T) => object): RequestHandler =>
    async (req, res) => {
      const data = dataFor(ctx, res);
      const m = machineOf(req, res);
      if (!m) return;
      const c = clock();
      const range = query(res, () => parseRange(req, c, ctx.now()));
      if (!range) return;
      const found = await read(data, m, range);
      if (!found) return sendError(res, 'NOT_FOUND', UNKNOWN_MACHINE);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ ...m, timeZone: c.timeZone, from: range.from, to: range.to, ...body(found) });
    };
  const nameOf = async (site: string, node: string) => (await hub.listMachines()).find((m) => m.site === site && m.node === node)?.name ?? null;
  const noStore: RequestHandler = (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  };

  // --- OEE ---
  const oee: RequestHandler = async (req, res) => {
    const data = dataFor(ctx, res);
    const m = machineOf(req, res);
    if (!m) return;
    const csvSuffix = req.path.endsWith('.csv');
    const c = clock();
    const q = query(res, () => {
      const format = param(req, 'format');
      if (format !== undefined && format !== 'json' && format !== 'csv') throw new BadQuery({ en: 'format: use json or csv', ja: 'format: json か csv を指定してください' });
      if (csvSuffix && format === 'json') throw new BadQuery({ en: 'format=json contradicts the .csv suffix', ja: 'format=json は .csv の拡張子と矛盾します' });
      const by = parseBy(req);
      const range = parseRange(req, c, ctx.now());
      checkBuckets(by, range);
      return { by, range, csv: csvSuffix || format === 'csv', lang: parseLang(req) };
    });
    if (!q) return;
    const report = await data.machineOee(m.site, m.node, q.range, q.by);
    if (!report) return sendError(res, 'NOT_FOUND', UNKNOWN_MACHINE);
    if (!q.csv) return void res.json({ site: m.site, node: m.node, timeZone: c.timeZone, from: q.range.from, to: q.range.to, by: q.by, ...report });
    const first = c.dateOf(q.range.from);
    const last = c.dateOf(q.range.to - 1);
    const filename = `mieruka_${m.site}_${m.node}_oee-${q.by}_${first}${first === last ? '' : `_${last}`}.csv`;
    sendOeeCsv(res, report, { ...m, name: await nameOf(m.site, m.node), filename, clock: c, lang: q.lang });
  };
  router.get('/api/machines/:site/:node/oee', session, noStore, oee);
  router.get('/api/machines/:site/:node/oee.csv', session, noStore, oee);

  // --- stops and reasons ---
  router.get('/api/machines/:site/:node/stops', session, noStore, machineOverRange((data, m, range) => data.machineStops(m.site, m.node, range), (list) => list));

  router.get('/api/machines/:site/:node/reasons', session, noStore, async (req, res) => {
    const data = dataFor(ctx, res);
    const m = machineOf(req, res);
    if (!m) return;
    if (!(await data.listMachines()).some((x) => x.site === m.site && x.node === m.node)) return sendError(res, 'NOT_FOUND', UNKNOWN_MACHINE);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ reasons: await data.downtimeReasons(m) });
  });

  router.get('/api/production/reasons', session, noStore, async (_req, res) => {
    const data = dataFor(ctx, res);
    res.json({ reasons: await data.downtimeReasons(null) });
  });

  router.get('/api/production/stops-needing-reason', session, noStore, async (req, res) => {
    const data = dataFor(ctx, res);
    const withinH = query(res, () => {
      const text = param(req, 'withinH');
      if (text === undefined) return NEEDING_REASON_DEFAULT_H;
      if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > NEEDING_REASON_MAX_H) {
        throw new BadQuery({ en: `withinH: whole hours from 1 to ${NEEDING_REASON_MAX_H}`, ja: `withinH: 1 から ${NEEDING_REASON_MAX_H} までの整数 (時間)` });
      }
      return Number(text);
    });
    if (withinH === undefined) return;
    res.json({ stops: await data.stopsNeedingReason(withinH * 3_600_000), now: ctx.now() });
  });

  router.put('/api/machines/:site/:node/stops/:start/reason', session, noStore, async (req, res) => {
    const data = dataFor(ctx, res);
    const m = machineOf(req, res);
    if (!m) return;
    const startText = String(req.params.start);
    if (!/^\d{12,16}$/.test(startText)) return sendError(res, 'BAD_REQUEST', { en: 'stop: the start of the stop in epoch milliseconds', ja: '停止の開始をエポックミリ秒で指定してください' });
    if (!isJson(req, res, { en: 'send JSON {code}', ja: 'JSON {code} を送ってください' })) return;
    const parsed = checkBody(StopReasonBody, req.body);
    if (!parsed.ok) return sendError(res, 'BAD_REQUEST', parsed.message);
    const start = Number(startText);
    const s = sessionOf(res);
    // A reason already given is changed only by an admin (re-classification).
    const list = await data.machineStops(m.site, m.node, { from: start, to: start + 1 });
    if (!list) return sendError(res, 'NOT_FOUND', UNKNOWN_MACHINE);
    const current = list.stops.find((x) => x.start === start);
    if (current?.reason && current.reason.code !== parsed.data.code && !isAdmin(s)) {
      return sendError(res, 'FORBIDDEN', { en: 'this stop already has a reason: only an admin may re-classify it', ja: 'この停止には理由が入力済みです: 変更できるのは管理者だけです' });
    }
    if (current?.reason?.code === parsed.data.code) return void res.json({ ok: true, stop: current });
    const by = byName(s);
    const result = await data.setStopReason({ ...m, start, code: parsed.data.code }, by);
    if (!result.ok) {
      switch (result.error) {
        case 'unknown_machine':
          return sendError(res, 'NOT_FOUND', UNKNOWN_MACHINE);
        case 'unknown_stop':
          return sendError(res, 'NOT_FOUND', { en: 'no stop of this machine starts then', ja: 'その時刻に始まる停止はありません' });
        case 'unknown_reason':
          return sendError(res, 'BAD_REQUEST', { en: `code: ${parsed.data.code} is not a reason offered for this machine`, ja: `code: ${parsed.data.code} はこの機械の停止理由にありません` });
        case 'microstop':
          return sendError(res, 'BAD_REQUEST', { en: 'minor stops are grouped and take no reason', ja: 'チョコ停はまとめて数えるため理由は入力しません' });
      }
    }
    ctx.logger.info({ site: m.site, node: m.node, start, code: parsed.data.code, by, reclassified: current?.reason ? current.reason.code : undefined }, 'stop reason saved');
    res.json(result);
  });

  const pareto: RequestHandler = async (req, res) => {
    const data = dataFor(ctx, res);
    const machine = req.params.site === undefined ? null : machineOf(req, res);
    if (req.params.site !== undefined && !machine) return;
    const c = clock();
    const range = query(res, () => parseRange(req, c, ctx.now()));
    if (!range) return;
    if (machine && !(await data.listMachines()).some((x) => x.site === machine.site && x.node === machine.node)) return sendError(res, 'NOT_FOUND', UNKNOWN_MACHINE);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...(machine ?? {}), timeZone: c.timeZone, from: range.from, to: range.to, ...(await data.downtimePareto(range, machine)) });
  };
  router.get('/api/machines/:site/:node/pareto', session, noStore, pareto);
  router.get('/api/production/pareto', session, noStore, pareto);

  // --- quality entries ---
  router.get('/api/machines/:site/:node/quality', session, noStore, machineOverRange((data, m, range) => data.listQualityEntries(m.site, m.node, range), (entries) => ({ entries })));

  router.post('/api/machines/:site/:node/quality', session, noStore, async (req, res) => {
    const data = dataFor(ctx, res);
    const m = machineOf(req, res);
    if (!m) return;
    if (!isJson(req, res, { en: 'send JSON {start, end, good, scrap, startupScrap}', ja: 'JSON {start, end, good, scrap, startupScrap} を送ってください' })) return;
    const parsed = checkBody(QualityEntryBody, req.body);
    if (!parsed.ok) return sendError(res, 'BAD_REQUEST', parsed.message);
    const body = parsed.data;
    const s = sessionOf(res);
    if (body.replace && !isAdmin(s)) {
      if (s.kiosk) return sendError(res, 'FORBIDDEN', { en: 'the wall display cannot replace entries', ja: '壁掛け表示からは置き換えできません' });
      const others = ((await data.listQualityEntries(m.site, m.node, { from: body.start, to: Math.max(body.end, body.start + 1) })) ?? []).filter(
        (e) => e.start < body.end && body.start < e.end && e.by !== s.user.username,
      );
      if (others.length > 0) return sendError(res, 'FORBIDDEN', { en: 'only an admin may replace entries someone else made', ja: '他の人の入力を置き換えられるのは管理者だけです' });
    }
    const by = byName(s);
    const result = await data.addQualityEntry({ ...m, ...body, source: s.kiosk ? 'kiosk' : 'dashboard' }, by);
    if (!result.ok) {
      if (result.error === 'unknown_machine') return sendError(res, 'NOT_FOUND', UNKNOWN_MACHINE);
      if (result.error === 'overlaps') {
        return sendErrorWithDetails(
          res,
          'CONFLICT',
          { en: 'this period overlaps entries already made: replace them, or change the period', ja: 'この期間は入力済みの記録と重なっています: 置き換えるか、期間を変えてください' },
          { overlapping: result.overlapping ?? [] },
        );
      }
      return sendError(res, 'BAD_REQUEST', result.detail ?? { en: 'invalid entry', ja: '入力が正しくありません' });
    }
    ctx.logger.info({ site: m.site, node: m.node, id: result.entry.id, by, replaced: result.replaced }, 'quality entry added');
    res.status(201).json(result);
  });

  router.delete('/api/machines/:site/:node/quality/:id', session, noStore, async (req, res) => {
    const data = dataFor(ctx, res);
    const m = machineOf(req, res);
    if (!m) return;
    const idText = String(req.params.id);
    if (!ENTRY_ID.test(idText)) return sendError(res, 'BAD_REQUEST', { en: 'invalid entry id', ja: '記録の ID が正しくありません' });
    const id = Number(idText);
    const s = sessionOf(res);
    if (s.kiosk) return sendError(res, 'FORBIDDEN', { en: 'this wall display is read-only', ja: 'この壁掛け表示は閲覧専用です' });
    const now = ctx.now();
    const c = clock();
    const from = c.startOfDay(addDays(c.dateOf(now), -MAX_RANGE_DAYS));
    const entry = ((await data.listQualityEntries(m.site, m.node, { from, to: now + DAY_MS })) ?? []).find((e) => e.id === id);
    if (!entry) return sendError(res, 'NOT_FOUND', { en: 'no such quality entry', ja: 'その記録はありません' });
    if (!isAdmin(s) && entry.by !== s.user.username) return sendError(res, 'FORBIDDEN', { en: 'only an admin may delete entries someone else made', ja: '他の人の入力を削除できるのは管理者だけです' });
    if (!(await data.deleteQualityEntry(id, s.user.username))) return sendError(res, 'NOT_FOUND', { en: 'no such quality entry', ja: 'その記録はありません' });
    ctx.logger.info({ site: m.site, node: m.node, id, by: s.user.username }, 'quality entry deleted');
    res.status(204).end();
  });

  // --- andon ---
  router.get('/api/andon', session, noStore, async (_req, res) => {
    const data = dataFor(ctx, res);
    res.json(await data.andonBoard());
  });

  return router;
}
