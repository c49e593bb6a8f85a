/**
 * Session lookup, CSRF check and role guards for HTTP requests.
 *
 * Roles: admin may do everything; viewer reads and acknowledges alarms; a kiosk session (the
 * wall display) only reads. Every state-changing request made with a session must carry the
 * session's CSRF token — requireSession checks it, so no route behind it can forget.
 */
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { readSessionId } from './cookies.js';
import { csrfTokenMatches, isStateChanging } from './csrf.js';
import type { AuthenticatedUser, UserStamps, UserVerifier } from './data-source.js';
import { sendError } from './http-errors.js';
import type { Session, SessionStore } from './session-store.js';

type Locals = { session?: Session };

/**
 * Users and, optionally, their credential stamps (UserStamps: a short value that changes
 * whenever a user's password or role changes, null once the user is gone). Sessions remember
 * it at login and end when it no longer matches, so `mieruka user remove|passwd` takes effect
 * in a running hub.
 */
export type DashboardUsers = UserVerifier & Partial<UserStamps>;
export type { UserStamps };

export function sessionFromRequest(sessions: SessionStore, req: Request): Promise<Session | null> {
  return sessions.get(readSessionId(req.headers.cookie));
}

/** The logged-in user of a plain request (the hub's own GET /metrics asks); a kiosk display reads like a viewer. */
export async function requestUser(sessions: SessionStore, req: IncomingMessage): Promise<{ username: string; role: AuthenticatedUser['role'] } | null> {
  const session = await sessions.get(readSessionId(req.headers.cookie));
  if (!session) return null;
  return { username: session.user.username, role: session.kiosk ? 'viewer' : session.user.role };
}

/** 403 CSRF_FAILED unless the request echoes the session's token; true when it may go on. */
export function checkCsrf(session: Session, req: Request, res: Response): boolean {
  if (!isStateChanging(req.method) || csrfTokenMatches(req, session.csrfToken)) return true;
  sendError(res, 'CSRF_FAILED', { en: 'missing or wrong X-CSRF-Token header (it comes with /api/me and /api/login)', ja: 'X-CSRF-Token ヘッダーがないか間違っています (/api/me と /api/login の応答に含まれます)' });
  return false;
}

/**
 * Every route after this needs a live session (otherwise 401 JSON), and state-changing
 * methods also the session's CSRF token (otherwise 403 CSRF_FAILED).
 */
export function requireSession(sessions: SessionStore): RequestHandler {
  return async (req, res, next) => {
    const session = await sessionFromRequest(sessions, req);
    if (!session) {
      sendError(res, 'UNAUTHORIZED');
      return;
    }
    if (!checkCsrf(session, req, res)) return;
    (res.locals as Locals).session = session;
    next();
  };
}

/** The session set by requireSession; routes mounted after it can rely on it. */
export function sessionOf(res: Response): Session {
  const session = (res.locals as Locals).session;
  if (!session) throw new Error('sessionOf() used on a route without requireSession');
  return session;
}

/** After requireSession: only this role (never a kiosk display) gets through; others 403 FORBIDDEN. */
export function requireRole(role: AuthenticatedUser['role']): RequestHandler {
  return (_req, res, next) => {
    const session = sessionOf(res);
    if (session.kiosk || session.user.role !== role) {
      sendError(res, 'FORBIDDEN', { en: `${role} only`, ja: `${role} のみ` });
      return;
    }
    next();
  };
}

/** After requireSession: a kiosk display is read-only, so it may not change anything (403 FORBIDDEN). */
export const requireWrite: RequestHandler = (req, res, next) => {
  if (isStateChanging(req.method) && sessionOf(res).kiosk) {
    sendError(res, 'FORBIDDEN', { en: 'this wall display is read-only', ja: 'この壁掛け表示は閲覧専用です' });
    return;
  }
  next();
};

/** What /api/me, /api/login and /api/kiosk/session answer. */
/** What the browser learns about its session; `timeZone` is the site's, so every page shows the factory's clock. */
/** `now`: the hub's clock, so the browser counts "today" and ages by the hub, not by a tablet's clock. */
export function sessionView(
  session: Session,
  timeZone: string,
  now: number,
): { user: AuthenticatedUser; csrfToken: string; kiosk: boolean; expiresAt: number; timeZone: string; now: number } {
  return { user: session.user, csrfToken: session.csrfToken, kiosk: session.kiosk, expiresAt: session.expiresAt, timeZone, now };
}
