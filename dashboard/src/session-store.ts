/**
 * In-memory login sessions. Ids are 32 random bytes (base64url); a session ends at a fixed
 * time after login (no sliding renewal), on logout, when the store is full and it is the
 * oldest, or when `isCurrent` says its user changed (removed, new password, new role).
 * Expired entries are swept whenever a session is created, so no timer is needed.
 */
import { randomBytes } from 'node:crypto';
import { createCsrfToken } from './csrf.js';
import type { AuthenticatedUser } from './data-source.js';

export type Session = {
  id: string;
  user: AuthenticatedUser;
  /** Synchronizer token: state-changing requests must echo it in X-CSRF-Token. */
  csrfToken: string;
  /** A read-only wall display (no user account behind it). */
  kiosk: boolean;
  /** The user's credential stamp at login (see UserStamps); absent when the verifier has none. */
  stamp?: string;
  createdAt: number;
  expiresAt: number;
};

export type NewSession = { kiosk?: boolean; stamp?: string; ttlMs?: number };

export type SessionStoreOptions = {
  ttlMs: number;
  /** Bound on memory: creating one more evicts the oldest. */
  maxSessions?: number;
  now?: () => number;
  /** Asked on every lookup; false ends the session (its user was removed or changed). */
  isCurrent?: (session: Session) => boolean;
};

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly isCurrent: (session: Session) => boolean;
  // Map keeps insertion order, which is creation order: the first key is the oldest.
  private readonly sessions = new Map<string, Session>();

  constructor(options: SessionStoreOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError('session ttl must be positive');
    this.ttlMs = options.ttlMs;
    this.maxSessions = options.maxSessions ?? 10_000;
    this.now = options.now ?? Date.now;
    this.isCurrent = options.isCurrent ?? (() => true);
  }

  /** A new session; `ttlMs` overrides the store's lifetime (kiosk displays stay logged in longer). */
  create(user: AuthenticatedUser, options: NewSession = {}): Session {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const ttlMs = options.ttlMs ?? this.ttlMs;
    if (!(ttlMs > 0)) throw new RangeError('session ttl must be positive');
    const now = this.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user: { username: user.username, role: user.role },
      csrfToken: createCsrfToken(),
      kiosk: options.kiosk ?? false,
      ...(options.stamp === undefined ? {} : { stamp: options.stamp }),
      createdAt: now,
      expiresAt: now + ttlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for an id, or null (unknown, malformed or expired). */
  get(id: string | undefined | null): Session | null {
    if (!id || !SESSION_ID.test(id)) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.now() || !this.isCurrent(session)) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  delete(id: string | undefined | null): boolean {
    return id ? this.sessions.delete(id) : false;
  }

  get size(): number {
    return this.sessions.size;
  }

  clear(): void {
    this.sessions.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id);
    }
  }
}
