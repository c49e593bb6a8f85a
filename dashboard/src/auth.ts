/** Session lookup for HTTP requests. */
import type { Request, RequestHandler, Response } from 'express';
import { readSessionId } from './cookies.js';
import { sendError } from './http-errors.js';
import type { Session, SessionStore } from './session-store.js';

type Locals = { session?: Session };

export function sessionFromRequest(sessions: SessionStore, req: Request): Session | null {
  return sessions.get(readSessionId(req.headers.cookie));
}

/** Every route after this needs a live session; otherwise 401 JSON. */
export function requireSession(sessions: SessionStore): RequestHandler {
  return (req, res, next) => {
    const session = sessionFromRequest(sessions, req);
    if (!session) {
      sendError(res, 'UNAUTHORIZED');
      return;
    }
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
