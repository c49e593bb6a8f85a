/** POST /api/login, POST /api/logout (public, idempotent) and GET /api/me (session). */
import { Router, type RequestHandler } from 'express';
import { sessionFromRequest, sessionOf } from '../auth.js';
import type { DashboardContext } from '../context.js';
import { clearedSessionCookie, readSessionId, sessionCookie } from '../cookies.js';
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

  router.post('/api/login', loginLimit, async (req, res) => {
    if (!req.is('application/json')) {
      sendError(res, 'BAD_REQUEST', 'send JSON {username, password}', 415);
      return;
    }
    const credentials = readCredentials(req.body);
    if (!credentials) {
      sendError(res, 'BAD_REQUEST', 'send JSON {username, password}');
      return;
    }
    const user = await ctx.users.verify(credentials.username, credentials.password);
    if (!user) {
      // Never log the password; the username helps spot brute force.
      log.warn({ ip: req.ip, username: credentials.username.slice(0, 64) }, 'login failed');
      sendError(res, 'UNAUTHORIZED', 'wrong username or password');
      return;
    }
    // A fresh id at every login (no session fixation); an older session of this browser ends.
    const previous = readSessionId(req.headers.cookie);
    if (previous && ctx.sessions.delete(previous)) ctx.onSessionEnded(previous);
    const session = ctx.sessions.create(user);
    res.setHeader('Set-Cookie', sessionCookie(session.id, { secure: ctx.secureCookies, maxAgeMs: ctx.sessions.ttlMs }));
    res.setHeader('Cache-Control', 'no-store');
    log.info({ ip: req.ip, username: user.username }, 'login');
    res.json({ user: session.user, expiresAt: session.expiresAt });
  });

  router.post('/api/logout', (req, res) => {
    const session = sessionFromRequest(ctx.sessions, req);
    if (session) {
      ctx.sessions.delete(session.id);
      ctx.onSessionEnded(session.id);
      log.info({ username: session.user.username }, 'logout');
    }
    res.setHeader('Set-Cookie', clearedSessionCookie(ctx.secureCookies));
    res.status(204).end();
  });

  return router;
}

export function meRoutes(): Router {
  const router = Router();
  router.get('/api/me', (_req, res) => {
    const session = sessionOf(res);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ user: session.user, expiresAt: session.expiresAt });
  });
  return router;
}
