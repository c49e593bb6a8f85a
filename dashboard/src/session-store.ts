/**
 * In-memory login sessions. Ids are 32 random bytes (base64url); a session ends at a fixed
 * time after login (no sliding renewal), on logout, or when the store is full and it is the
 * oldest. Expired entries are swept whenever a session is created, so no timer is needed.
 */
import { randomBytes } from 'node:crypto';
import type { AuthenticatedUser } from './data-source.js';

export type Session = {
  id: string;
  user: AuthenticatedUser;
  createdAt: number;
  expiresAt: number;
};

export type SessionStoreOptions = {
  ttlMs: number;
  /** Bound on memory: creating one more evicts the oldest. */
  maxSessions?: number;
  now?: () => number;
};

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  // Map keeps insertion order, which is creation order: the first key is the oldest.
  private readonly sessions = new Map<string, Session>();

  constructor(options: SessionStoreOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError('session ttl must be positive');
    this.ttlMs = options.ttlMs;
    this.maxSessions = options.maxSessions ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  create(user: AuthenticatedUser): Session {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const now = this.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user: { username: user.username, role: user.role },
      createdAt: now,
      expiresAt: now + this.ttlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for an id, or null (unknown, malformed or expired). */
  get(id: string | undefined | null): Session | null {
    if (!id || !SESSION_ID.test(id)) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.now()) {
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
