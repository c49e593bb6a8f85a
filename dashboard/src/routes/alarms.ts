/**
 * Alarms: `GET /api/alarms` and `POST /api/alarms/:id/ack` (session), and the public pages of
 * the signed acknowledge link in alert mails, `GET|POST /api/alarms/ack`. The link's GET only
 * shows the alarm and a button; the POST acknowledges — mail scanners and link previews
 * (Outlook Safe Links, chat unfurlers) fetch GET links, and must not acknowledge by doing so.
 * Mount before the session guard: the session routes check the session themselves.
 */
import express, { Router, type Request, type Response } from 'express';
import { ALARM_SEVERITIES, ID_PATTERN } from '@mieruka/protocol';
import { requireSession, requireWrite, sessionOf } from '../auth.js';
import type { DashboardContext } from '../context.js';
import type { AlarmItem, AlarmLinkResult, AlarmQuery, AlarmSeverity } from '../data-source.js';
import { sendError } from '../http-errors.js';
import { dataFor } from '../site-scope.js';
import { BadQuery, MAX_TIME, MIN_TIME, param, type Lang } from './query.js';

const SEVERITIES: readonly AlarmSeverity[] = ALARM_SEVERITIES;
const ALARM_ID = /^[A-Za-z0-9-]{1,64}$/;
/** Tokens the hub signs are `<id>.<expiry>.<signature>` in URL-safe characters. */
const TOKEN = /^[A-Za-z0-9._-]{1,512}$/;
const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;

/** Epoch milliseconds or an ISO 8601 date-time with an offset. */
function parseInstant(value: string, name: string): number {
  const t = /^\d{1,16}$/.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (!(t >= MIN_TIME && t <= MAX_TIME)) throw new BadQuery({
      en: `${name}: use epoch milliseconds or an ISO date-time with offset (2025-11-24T08:00:00+09:00)`,
      ja: `${name}: エポックミリ秒か、オフセット付きの ISO 日時 (2025-11-24T08:00:00+09:00) で指定してください`,
    });
  return t;
}

export function parseAlarmQuery(req: Request): AlarmQuery {
  const state = param(req, 'state') ?? 'active';
  if (state !== 'active' && state !== 'history') throw new BadQuery({ en: 'state: active or history', ja: 'state: active か history を指定してください' });
  const query: AlarmQuery = { state, limit: DEFAULT_LIMIT };
  for (const name of ['site', 'node'] as const) {
    const value = param(req, name);
    if (value === undefined) continue;
    if (!ID_PATTERN.test(value)) throw new BadQuery(`${name}: not a valid id`);
    query[name] = value;
  }
  const severity = param(req, 'severity');
  if (severity !== undefined) {
    const list = severity.split(',').map((s) => s.trim());
    if (list.some((s) => !(SEVERITIES as readonly string[]).includes(s))) throw new BadQuery({ en: `severity: one or more of ${SEVERITIES.join(', ')}, comma-separated`, ja: `severity: ${SEVERITIES.join(', ')} から 1 つ以上をカンマ区切りで` });
    query.severity = list as AlarmSeverity[];
  }
  const from = param(req, 'from');
  const to = param(req, 'to');
  if (from !== undefined) query.from = parseInstant(from, 'from');
  if (to !== undefined) query.to = parseInstant(to, 'to');
  if (query.from !== undefined && query.to !== undefined && query.to <= query.from) throw new BadQuery({ en: 'to must be after from', ja: 'to は from より後にしてください' });
  const limit = param(req, 'limit');
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) throw new BadQuery(`limit: 1 to ${MAX_LIMIT}`);
    query.limit = Number(limit);
  }
  return query;
}

export function alarmRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const session = requireSession(ctx.sessions);

  // --- public: the signed link from a mail ---
  router.get('/api/alarms/ack', async (req, res) => {
    const lang = langOf(req.query.lang);
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const result = TOKEN.test(token) ? await ctx.dataSource.alarmLink(token, false) : invalid;
    sendLinkPage(ctx, res, lang, result, token);
  });

  router.post('/api/alarms/ack', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const lang = langOf(body.lang);
    const token = typeof body.token === 'string' ? body.token : '';
    const result = TOKEN.test(token) ? await ctx.dataSource.alarmLink(token, true) : invalid;
    if (result.outcome === 'acknowledged') ctx.logger.info({ alarm: result.alarm?.id, ip: req.ip }, 'alarm acknowledged by mail link');
    sendLinkPage(ctx, res, lang, result, token);
  });

  // --- session ---
  router.get('/api/alarms', session, async (req, res) => {
    let query: AlarmQuery;
    try {
      query = parseAlarmQuery(req);
    } catch (err) {
      if (err instanceof BadQuery) {
        sendError(res, 'BAD_REQUEST', err.text);
        return;
      }
      throw err;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ alarms: await dataFor(ctx, res).listAlarms(query) });
  });

  // Viewers and admins may acknowledge (with the CSRF token, checked by requireSession); a kiosk display may not.
  router.post('/api/alarms/:id/ack', session, requireWrite, async (req, res) => {
    if (!req.is('application/json')) {
      sendError(res, 'BAD_REQUEST', { en: 'send JSON (an empty object is fine)', ja: 'JSON を送ってください (空のオブジェクトで構いません)' }, 415);
      return;
    }
    const id = req.params.id;
    if (typeof id !== 'string' || !ALARM_ID.test(id)) {
      sendError(res, 'BAD_REQUEST', { en: 'invalid alarm id', ja: 'アラーム ID が正しくありません' });
      return;
    }
    const user = sessionOf(res).user.username;
    const result = await dataFor(ctx, res).acknowledgeAlarm(id, user);
    if (result.outcome === 'not_found') {
      sendError(res, 'NOT_FOUND', { en: 'no such alarm', ja: 'そのアラームはありません' });
      return;
    }
    if (result.outcome === 'acknowledged') ctx.logger.info({ alarm: id, username: user }, 'alarm acknowledged');
    res.setHeader('Cache-Control', 'no-store');
    res.json(result);
  });

  return router;
}

const invalid: AlarmLinkResult = { outcome: 'invalid', alarm: null };

function langOf(value: unknown): Lang {
  return value === 'en' ? 'en' : 'ja';
}

const TEXT = {
  ja: {
    title: 'アラームの確認',
    valid: 'このアラームを確認済みにしますか？',
    button: '確認しました',
    acknowledged: 'アラームを確認済みにしました。通知は止まります。',
    already: 'このアラームはすでに確認済みです。',
    by: '確認した人',
    invalid: 'このリンクは無効です。ダッシュボードから確認してください。',
    expired: 'このリンクは有効期限が切れています。ダッシュボードから確認してください。',
    since: '発生',
    cleared: '（解消済み）',
  },
  en: {
    title: 'Acknowledge alarm',
    valid: 'Acknowledge this alarm?',
    button: 'Acknowledge',
    acknowledged: 'The alarm is acknowledged. Notifications stop.',
    already: 'This alarm was already acknowledged.',
    by: 'Acknowledged by',
    invalid: 'This link is not valid. Please acknowledge from the dashboard.',
    expired: 'This link has expired. Please acknowledge from the dashboard.',
    since: 'Since',
    cleared: '(cleared)',
  },
} as const;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function formatTime(ctx: DashboardContext, lang: Lang, t: number): string {
  let timeZone = 'UTC';
  try {
    timeZone = ctx.dataSource.reportSettings().timeZone;
  } catch {
    // The page still works without the hub's time zone.
  }
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(t));
}

function alarmBlock(ctx: DashboardContext, lang: Lang, alarm: AlarmItem): string {
  const t = TEXT[lang];
  const lines = [
    `<p class="msg">${escapeHtml(alarm.message[lang])}${alarm.active ? '' : ` ${t.cleared}`}</p>`,
    `<p>${t.since}: ${escapeHtml(formatTime(ctx, lang, alarm.activeSince))} · ${escapeHtml(alarm.site)}/${escapeHtml(alarm.node)}</p>`,
  ];
  if (alarm.acknowledged && alarm.acknowledgedBy) lines.push(`<p>${t.by}: ${escapeHtml(alarm.acknowledgedBy)}</p>`);
  return lines.join('\n');
}

const STATUS: Record<AlarmLinkResult['outcome'], number> = { valid: 200, acknowledged: 200, already: 200, invalid: 400, expired: 410 };

function sendLinkPage(ctx: DashboardContext, res: Response, lang: Lang, result: AlarmLinkResult, token: string): void {
  const t = TEXT[lang];
  const body: string[] = [`<h1>${t.title}</h1>`];
  switch (result.outcome) {
    case 'valid':
      body.push(`<p>${t.valid}</p>`);
      if (result.alarm) body.push(alarmBlock(ctx, lang, result.alarm));
      body.push(
        '<form method="post" action="/api/alarms/ack">',
        `<input type="hidden" name="token" value="${escapeHtml(token)}">`,
        `<input type="hidden" name="lang" value="${lang}">`,
        `<button type="submit">${t.button}</button>`,
        '</form>',
      );
      break;
    case 'acknowledged':
    case 'already':
      body.push(`<p class="result ${result.outcome}">${t[result.outcome]}</p>`);
      if (result.alarm) body.push(alarmBlock(ctx, lang, result.alarm));
      break;
    case 'invalid':
    case 'expired':
      body.push(`<p class="result ${result.outcome}">${t[result.outcome]}</p>`);
      break;
  }
  const html = `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${t.title} — Mieruka</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.6}.msg{font-size:1.2rem;font-weight:bold}button{font-size:1.2rem;padding:.6rem 1.4rem}</style>
</head>
<body data-outcome="${result.outcome}">
${body.join('\n')}
</body>
</html>
`;
  // A standalone page: its own small CSP (one inline style), and the token never leaks in a Referer.
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex');
  res.status(STATUS[result.outcome]).type('html').send(html);
}
