/**
 * Login sessions, kept in a SessionRecords store (the hub's SQLite, so they survive restarts
 * and upgrades; in memory in the dashboard's own tests). Ids are 32 random bytes (base64url);
 * a session ends at a fixed time after login (no sliding renewal), on logout, when the store
 * is full and it is the oldest, or when `isCurrent` says its user changed (removed, new
 * password, new role). Expired records are swept whenever a session is created, so no timer
 * is needed and the table cannot grow past `maxSessions` live ones.
 *
 * The store only ever sees SHA-256 of the id. A plain hash is enough: the id is 256 random
 * bits, so nobody can search for an id matching a stolen hash, and a slow password hash would
 * only cost time on every request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { csrfTokenFor } from './csrf.js';
import type { AuthenticatedUser, SessionRecord, SessionRecords } from './data-source.js';

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
  /** Where sessions live (the hub's database). */
  records: SessionRecords;
  ttlMs: number;
  /** Bound on storage: creating one more evicts the oldest. */
  maxSessions?: number;
  now?: () => number;
  /** Asked on every lookup; false ends the session (its user was removed or changed). */
  isCurrent?: (session: Session) => boolean | Promise<boolean>;
  /** Told when the store fails on a lookup (the lookup then finds no session). */
  onError?: (err: unknown) => void;
};

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** Ids of sessions this process ended, remembered for `hasEnded` (the oldest are forgotten first). */
const ENDED_LIMIT = 10_000;

/** What the store keeps instead of the id. */
export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export class SessionStore {
  readonly ttlMs: number;
  private readonly records: SessionRecords;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly isCurrent: (session: Session) => boolean | Promise<boolean>;
  private readonly onError: (err: unknown) => void;
  private readonly ended = new Set<string>();

  constructor(options: SessionStoreOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError('session ttl must be positive');
    this.records = options.records;
    this.ttlMs = options.ttlMs;
    this.maxSessions = options.maxSessions ?? 10_000;
    this.now = options.now ?? Date.now;
    this.isCurrent = options.isCurrent ?? (() => true);
    this.onError = options.onError ?? (() => undefined);
  }

  /** A new session; `ttlMs` overrides the store's lifetime (kiosk displays stay logged in longer). */
  async create(user: AuthenticatedUser, options: NewSession = {}): Promise<Session> {
    const ttlMs = options.ttlMs ?? this.ttlMs;
    if (!(ttlMs > 0)) throw new RangeError('session ttl must be positive');
    const now = this.now();
    await this.records.deleteExpired(now);
    const id = randomBytes(32).toString('base64url');
    const record: SessionRecord = {
      idHash: sessionIdHash(id),
      user: { username: user.username, role: user.role, sites: user.sites === null ? null : [...user.sites] },
      kiosk: options.kiosk ?? false,
      stamp: options.stamp ?? null,
      createdAt: now,
      expiresAt: now + ttlMs,
    };
    await this.records.add(record, this.maxSessions);
    return sessionOf(id, record);
  }

  /**
   * The live session for an id, or null (unknown, malformed or expired). Never throws: it is
   * asked from timers (live feed) and every MQTT-over-WebSocket publish, and a store that
   * cannot answer (database trouble) must not let anyone in or crash the hub.
   */
  async get(id: string | undefined | null): Promise<Session | null> {
    if (!id || !SESSION_ID.test(id)) return null;
    try {
      return await this.lookup(id);
    } catch (err) {
      this.onError(err);
      return null;
    }
  }

  private async lookup(id: string): Promise<Session | null> {
    const idHash = sessionIdHash(id);
    const record = await this.records.get(idHash);
    if (!record) return null;
    const session = sessionOf(id, record);
    if (record.expiresAt <= this.now() || !(await this.isCurrent(session))) {
      this.markEnded(id);
      await this.records.delete(idHash);
      return null;
    }
    return session;
  }

  async delete(id: string | undefined | null): Promise<boolean> {
    if (!id || !SESSION_ID.test(id)) return false;
    this.markEnded(id);
    return this.records.delete(sessionIdHash(id));
  }

  /**
   * True for a session this process ended (logout, a newer login, found expired or changed),
   * answered synchronously for callers that cannot wait on the store (the broker's per-message
   * checks of MQTT over WebSocket). False says nothing: ask `get`.
   */
  hasEnded(id: string): boolean {
    return this.ended.has(id);
  }

  private markEnded(id: string): void {
    if (this.ended.size >= ENDED_LIMIT) this.ended.delete(this.ended.values().next().value as string);
    this.ended.add(id);
  }

  size(): Promise<number> {
    return this.records.count();
  }
}

function sessionOf(id: string, record: SessionRecord): Session {
  return {
    id,
    user: record.user,
    csrfToken: csrfTokenFor(id),
    kiosk: record.kiosk,
    ...(record.stamp === null ? {} : { stamp: record.stamp }),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
  };
}
