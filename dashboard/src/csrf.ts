/**
 * Cross-site request forgery defences. The session cookie is SameSite=Strict already; these
 * are the second layer that older browsers, sibling sub-domains and proxies cannot undo:
 * - a synchronizer token per session that every state-changing request under /api must echo
 *   in `X-CSRF-Token` (a foreign page can send the cookie but cannot read the token);
 * - login / kiosk-session / live-feed requests from another site are refused outright.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CSRF_HEADER = 'x-csrf-token';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The session's token: an HMAC keyed by the session id (32 random bytes), so nothing has to be
 * stored for it, it lives exactly as long as the session (across hub restarts too), and
 * neither the token (which page scripts can read) nor the database reveals the id.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('mieruka csrf token v1').digest('base64url');
}

/** Methods that change state and therefore need the token (GET/HEAD/OPTIONS never change anything here). */
export function isStateChanging(method: string | undefined): boolean {
  return method !== undefined && UNSAFE_METHODS.has(method.toUpperCase());
}

/**
 * Constant-time comparison of two secrets of any length: both sides are hashed first, so
 * neither the content nor the length of the expected value leaks through timing.
 */
export function secretsEqual(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}

/** True when the request carries the session's token in X-CSRF-Token (exactly one header). */
export function csrfTokenMatches(req: IncomingMessage, sessionToken: string): boolean {
  return secretsEqual(sessionToken, req.headers[CSRF_HEADER]);
}

/**
 * True when a browser says the request comes from another site: an Origin header whose
 * host differs from the Host header (an unparsable or "null" Origin counts as foreign), or
 * `Sec-Fetch-Site: cross-site`. Requests without either header (curl, scripts) pass: they
 * cannot carry a victim's cookies.
 */
export function isCrossSite(req: IncomingMessage): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    const host = req.headers.host;
    return host === undefined || new URL(origin).host !== host.toLowerCase();
  } catch {
    return true;
  }
}
