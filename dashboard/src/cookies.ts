/** Minimal cookie reading and the session cookie's attributes (HttpOnly, SameSite=Strict). */

export const SESSION_COOKIE = 'mieruka_session';

/** Parses a Cookie header; malformed pairs are skipped, the first occurrence of a name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!name || cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      // A value with a broken %-escape is not ours; ignore it.
    }
  }
  return cookies;
}

export function readSessionId(cookieHeader: string | undefined): string | undefined {
  return parseCookies(cookieHeader).get(SESSION_COOKIE);
}

/** Secure when forced (served over HTTPS) or when this request came over TLS (req.secure honours trust proxy). */
export function secureCookieFor(req: { secure: boolean }, forced: boolean): boolean {
  return forced || req.secure;
}

export type SessionCookieOptions = { secure: boolean; maxAgeMs: number };

export function sessionCookie(id: string, options: SessionCookieOptions): string {
  const maxAge = Math.max(0, Math.floor(options.maxAgeMs / 1000));
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
