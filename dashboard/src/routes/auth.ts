/**
 * POST /api/login (public, refused cross-site), POST /api/logout (public, idempotent; with a
 * session it needs the CSRF token) and GET /api/me (session).
 */
import { Router, type RequestHandler } from 'express';
import { checkCsrf, sessionFromRequest, sessionOf, sessionView } from '../auth.js';
import type { DashboardContext } from '../context.js';
import { clearedSessionCookie, readSessionId, secureCookieFor, sessionCookie } from '../cookies.js';
import { isCrossSite } from '../csrf.js';
import { sendError } from '../http-errors.js';

const MAX_USERNAME = 128;
const MAX_PASSWORD = 1024;

function readCredentials(body: unknown): { username: string; password: string } | null {
  if (typeof body !== 'object' || body === null) return null;
  const { username, password } = body as Record<string, unknown>;
  if (typeof username !== 'string' || typeof password !== 'string') return null;
  if (username.length === 0 || username.length > MAX_USERNAME) return null;
  if (password.length === 0 || password.length > MAX_PASSWORD) return null;
  return { username, password };
}

export function loginRoutes(ctx: DashboardContext, loginLimit: RequestHandler): Router {
  const router = Router();
  const log = ctx.logger;

  router.post('/api/login', refuseCrossSite(ctx), loginLimit, async (req, res) => {
    if (!req.is('application/json')) {
      sendError(res, 'BAD_REQUEST', { en: 'send JSON {username, password}', ja: 'JSON {username, password} を送ってください' }, 415);
      return;
    }
    const credentials = readCredentials(req.body);
    if (!credentials) {
      sendError(res, 'BAD_REQUEST', { en: 'send JSON {username, password}', ja: 'JSON {username, password} を送ってください' });
      return;
    }
    const user = await ctx.users.verify(credentials.username, credentials.password);
    // Read after verify (which may re-hash the password): the stamp the session starts from.
    const stamp = user && ctx.users.credentialStamp ? await ctx.users.credentialStamp(user.username) : undefined;
    if (!user || stamp === null) {
      // Never log the password; the username helps spot brute force.
      log.warn({ ip: req.ip, username: credentials.username.slice(0, 64) }, 'login failed');
      sendError(res, 'UNAUTHORIZED', { en: 'wrong username or password', ja: 'ユーザー名またはパスワードが違います' });
      return;
    }
    // A fresh id at every login (no session fixation); an older session of this browser ends.
    const previous = readSessionId(req.headers.cookie);
    if (previous && (await ctx.sessions.delete(previous))) ctx.onSessionEnded(previous);
    const session = await ctx.sessions.create(user, stamp === undefined ? {} : { stamp });
    res.setHeader('Set-Cookie', sessionCookie(session.id, { secure: secureCookieFor(req, ctx.secureCookies), maxAgeMs: ctx.sessions.ttlMs }));
    res.setHeader('Cache-Control', 'no-store');
    log.info({ ip: req.ip, username: user.username }, 'login');
    res.json(sessionView(session, ctx.dataSource.reportSettings().timeZone, ctx.now()));
  });

  router.post('/api/logout', async (req, res) => {
    const session = await sessionFromRequest(ctx.sessions, req);
    if (session) {
      // A forged cross-site logout is only a nuisance, but it is a state change like any other.
      if (!checkCsrf(session, req, res)) return;
      await ctx.sessions.delete(session.id);
      ctx.onSessionEnded(session.id);
      log.info({ username: session.user.username }, 'logout');
    }
    res.setHeader('Set-Cookie', clearedSessionCookie(secureCookieFor(req, ctx.secureCookies)));
    res.status(204).end();
  });

  return router;
}

export function meRoutes(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/api/me', (_req, res) => {
    const session = sessionOf(res);
    res.setHeader('Cache-Control', 'no-store');
    res.json(sessionView(session, ctx.dataSource.reportSettings().timeZone, ctx.now()));
  });
  return router;
}

/**
 * Login CSRF: a foreign page must not log the browser into an account of the attacker's
 * choosing (the victim would then type data into it). Browsers say where a request comes
 * from; a request from another site is refused before any password is checked.
 */
export function refuseCrossSite(ctx: DashboardContext): RequestHandler {
  return (req, res, next) => {
    if (isCrossSite(req)) {
      ctx.logger.warn({ ip: req.ip, origin: req.headers.origin?.slice(0, 200), path: req.path }, 'cross-site request refused');
      sendError(res, 'FORBIDDEN', { en: 'cross-site request refused', ja: '他のサイトからのリクエストは受け付けません' });
      return;
    }
    next();
  };
}
