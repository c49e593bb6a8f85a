/**
 * POST /api/kiosk/session: a wall display opens http://<hub>/kiosk/<token>; the page trades
 * the token for a read-only session (no acknowledge, no settings, no user changes) that
 * lasts `kiosk.sessionHours`. 404 while kiosk mode is off. A wrong token counts against the
 * same per-IP brake as a wrong password — the token is a password.
 */
import { Router, type RequestHandler } from 'express';
import { sessionView } from '../auth.js';
import type { DashboardContext } from '../context.js';
import { readSessionId, secureCookieFor, sessionCookie } from '../cookies.js';
import { secretsEqual } from '../csrf.js';
import { sendError } from '../http-errors.js';
import { refuseCrossSite } from './auth.js';

// A wall display is tied to no user account: it shows every site (docs/security.md).
export const KIOSK_USER = { username: 'kiosk', role: 'viewer', sites: null } as const;

export function kioskRoutes(ctx: DashboardContext, loginLimit: RequestHandler): Router {
  const router = Router();
  const kiosk = ctx.kiosk;

  const enabled: RequestHandler = (_req, res, next) => {
    if (!kiosk.enabled) {
      sendError(res, 'NOT_FOUND', { en: 'kiosk mode is off (dashboard.kiosk.enabled)', ja: 'キオスクモードは無効です (dashboard.kiosk.enabled)' });
      return;
    }
    next();
  };

  router.post('/api/kiosk/session', enabled, refuseCrossSite(ctx), loginLimit, async (req, res) => {
    if (!kiosk.enabled) return; // narrowed by `enabled`
    if (!req.is('application/json')) {
      sendError(res, 'BAD_REQUEST', { en: 'send JSON {token}', ja: 'JSON {token} を送ってください' }, 415);
      return;
    }
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) {
      sendError(res, 'BAD_REQUEST', { en: 'send JSON {token}', ja: 'JSON {token} を送ってください' });
      return;
    }
    if (!secretsEqual(kiosk.token, token)) {
      // Never log the token, not even a wrong one (it may be a near miss of the real one).
      ctx.logger.warn({ ip: req.ip }, 'kiosk session refused: wrong token');
      sendError(res, 'UNAUTHORIZED', { en: 'wrong kiosk token', ja: 'キオスクのトークンが違います' });
      return;
    }
    const previous = readSessionId(req.headers.cookie);
    if (previous && (await ctx.sessions.delete(previous))) ctx.onSessionEnded(previous);
    const session = await ctx.sessions.create(KIOSK_USER, { kiosk: true, ttlMs: kiosk.sessionMs });
    res.setHeader('Set-Cookie', sessionCookie(session.id, { secure: secureCookieFor(req, ctx.secureCookies), maxAgeMs: kiosk.sessionMs }));
    res.setHeader('Cache-Control', 'no-store');
    ctx.logger.info({ ip: req.ip }, 'kiosk session opened');
    res.json(sessionView(session, ctx.dataSource.reportSettings().timeZone, ctx.now()));
  });

  return router;
}
