/**
 * Where the dashboard keeps its login sessions. The hub implements it over SQLite (sessions
 * survive restarts and upgrades); the dashboard's own tests use an in-memory twin. Both pass
 * the same suite (test/helpers/session-records-suite.ts).
 *
 * A record is keyed by `idHash`, a hash of the session id: the id itself (the cookie) is
 * never handed to the store, so a copy of the database cannot be replayed as a login.
 * Asynchronous: the hub keeps them in its store, SQLite on one Pi or PostgreSQL in a fleet.
 */
import type { AuthenticatedUser } from './user.js';

export type SessionRecord = {
  /** base64url SHA-256 of the session id. */
  idHash: string;
  user: AuthenticatedUser;
  /** A read-only wall display (no user account behind it). */
  kiosk: boolean;
  /** The user's credential stamp at login (UserStamps); null when the verifier has none. */
  stamp: string | null;
  createdAt: number;
  expiresAt: number;
};

export interface SessionRecords {
  /** Stores a new session after deleting the oldest ones, so at most `maxSessions` remain. */
  add(record: SessionRecord, maxSessions: number): Promise<void>;
  /** The record, expired or not (the caller judges), or null. */
  get(idHash: string): Promise<SessionRecord | null>;
  /** True when there was such a session. */
  delete(idHash: string): Promise<boolean>;
  /** Deletes every session with `expiresAt <= now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
  count(): Promise<number>;
}
