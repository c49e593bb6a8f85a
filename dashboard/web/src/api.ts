/** The few REST calls the UI makes. Cookies carry the session; credentials stay same-origin. */
import type { AuthenticatedUser } from './types.js';

export type LoginResult = { ok: true; user: AuthenticatedUser } | { ok: false; reason: 'wrong' | 'rate-limited' | 'failed' };

export async function fetchMe(): Promise<AuthenticatedUser | null> {
  const res = await fetch('/api/me', { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) return null;
  if (!res.ok) throw new Error(`GET /api/me: HTTP ${res.status}`);
  const body = (await res.json()) as { user: AuthenticatedUser };
  return body.user;
}

export async function login(username: string, password: string): Promise<LoginResult> {
  try {
    const res = await fetch('/api/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.ok) return { ok: true, user: ((await res.json()) as { user: AuthenticatedUser }).user };
    if (res.status === 429) return { ok: false, reason: 'rate-limited' };
    if (res.status === 401) return { ok: false, reason: 'wrong' };
    return { ok: false, reason: 'failed' };
  } catch {
    return { ok: false, reason: 'failed' };
  }
}

export async function logout(): Promise<void> {
  await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
}

export function imageUrl(site: string, node: string, imageId: string): string {
  return `/api/nodes/${encodeURIComponent(site)}/${encodeURIComponent(node)}/images/${encodeURIComponent(imageId)}`;
}
