/**
 * Every REST call the UI makes goes through here. Cookies carry the session (same-origin);
 * state-changing requests carry the session's CSRF token in `X-CSRF-Token` (the server
 * answers 403 without it). A 401 anywhere means the session ended: the app shows the login.
 */
import { lang } from './i18n/index.js';
import { kiosk, setHubClock, siteTimeZone, user } from './store.js';
import type { AuthenticatedUser } from './types.js';

export const CSRF_HEADER = 'X-CSRF-Token';

/** What /api/me and /api/login answer. */
export type SessionInfo = { user: AuthenticatedUser; csrfToken: string; kiosk: boolean; expiresAt: number; timeZone: string; now: number };

export type LoginResult = { ok: true; session: SessionInfo } | { ok: false; reason: 'wrong' | 'rate-limited' | 'failed' };

/** The server's error body: `{error: {code, message, ...details}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let csrfToken: string | null = null;

/** The UI's language (the header switch), so the server's error messages come in it too. */
function languageHeader(): Record<string, string> {
  return { 'Accept-Language': lang.value };
}

function remember(session: SessionInfo): SessionInfo {
  csrfToken = session.csrfToken;
  kiosk.value = session.kiosk;
  siteTimeZone.value = session.timeZone;
  setHubClock(session.now);
  return session;
}

async function failure(res: Response, what: string): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = `${what}: HTTP ${res.status}`;
  let details: Record<string, unknown> = {};
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } & Record<string, unknown> };
    if (body.error) {
      const { code: c, message: m, ...rest } = body.error;
      if (c) code = c;
      if (m) message = m;
      details = rest;
    }
  } catch {
    // Not JSON (a proxy's error page): keep the status line.
  }
  if (res.status === 401) user.value = null;
  return new ApiError(res.status, code, message, details);
}

export async function fetchMe(): Promise<SessionInfo | null> {
  const res = await fetch('/api/me', { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) return null;
  if (!res.ok) throw new Error(`GET /api/me: HTTP ${res.status}`);
  return remember((await res.json()) as SessionInfo);
}

export async function login(username: string, password: string): Promise<LoginResult> {
  try {
    const res = await fetch('/api/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.ok) return { ok: true, session: remember((await res.json()) as SessionInfo) };
    if (res.status === 429) return { ok: false, reason: 'rate-limited' };
    if (res.status === 401) return { ok: false, reason: 'wrong' };
    return { ok: false, reason: 'failed' };
  } catch {
    return { ok: false, reason: 'failed' };
  }
}

/** Opens a read-only kiosk session with the wall display's token (from its URL). */
export async function kioskLogin(token: string): Promise<SessionInfo | null> {
  const res = await fetch('/api/kiosk/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) return null;
  return remember((await res.json()) as SessionInfo);
}

export async function logout(): Promise<void> {
  await fetch('/api/logout', { method: 'POST', credentials: 'same-origin', headers: csrfToken ? { [CSRF_HEADER]: csrfToken } : {} }).catch(() => undefined);
  csrfToken = null;
}

/** GET a JSON API; throws ApiError on any non-2xx. */
export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', headers: languageHeader(), ...(signal ? { signal } : {}) });
  if (!res.ok) throw await failure(res, `GET ${path}`);
  return (await res.json()) as T;
}

/** POST/PUT/PATCH/DELETE with a JSON body and the CSRF token; throws ApiError on any non-2xx. */
export async function apiSend<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = languageHeader();
  if (csrfToken) headers[CSRF_HEADER] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw await failure(res, `${method} ${path}`);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const seg = encodeURIComponent;

export function imageUrl(site: string, node: string, imageId: string): string {
  return `/api/nodes/${seg(site)}/${seg(node)}/images/${seg(imageId)}`;
}

export function thumbnailUrl(site: string, node: string, imageId: string): string {
  return `${imageUrl(site, node, imageId)}/thumbnail`;
}
