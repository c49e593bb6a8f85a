/**
 * Dashboard users in the SQLite `users` table. Implements the dashboard's UserVerifier;
 * an unknown user still costs one scrypt so response time does not reveal which names exist.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { AuthenticatedUser, UserVerifier } from '@mieruka/dashboard';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, MAX_PASSWORD_LENGTH, needsRehash, verifyPassword, type ScryptParams } from './password.js';

export type Role = AuthenticatedUser['role'];
export const MAX_USERNAME_LENGTH = 64;

type UserRow = { username: string; password_hash: string; role: string };

export type SqliteUserVerifierOptions = { db: Database; logger: Logger; scryptParams?: ScryptParams };

export class SqliteUserVerifier implements UserVerifier {
  private readonly db: Database;
  private readonly logger: Logger;
  private readonly params: ScryptParams;
  /** A real hash of a random password, computed once, verified against for unknown users. */
  private dummyHash: Promise<string> | null = null;

  constructor(options: SqliteUserVerifierOptions) {
    this.db = options.db;
    this.logger = options.logger.child({ component: 'users' });
    this.params = options.scryptParams ?? DEFAULT_SCRYPT_PARAMS;
  }

  private find(username: string): UserRow | undefined {
    return this.db.prepare('SELECT username, password_hash, role FROM users WHERE username = ?').get(username) as UserRow | undefined;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(18).toString('base64'), this.params);
    return this.dummyHash;
  }

  async verify(username: string, password: string): Promise<AuthenticatedUser | null> {
    try {
      const validInput =
        typeof username === 'string' &&
        typeof password === 'string' &&
        username.length > 0 &&
        username.length <= MAX_USERNAME_LENGTH &&
        password.length <= MAX_PASSWORD_LENGTH;
      const row = validInput ? this.find(username) : undefined;
      const ok = await verifyPassword(validInput ? password : '', row?.password_hash ?? (await this.dummy()));
      if (!row || !ok) return null;
      if (row.role !== 'admin' && row.role !== 'viewer') return null;
      if (needsRehash(row.password_hash, this.params)) await this.setPassword(row.username, password);
      return { username: row.username, role: row.role };
    } catch (err) {
      this.logger.error({ err }, 'user verification failed');
      return null;
    }
  }

  /** Creates the user, or replaces its password and role. */
  async upsert(username: string, password: string, role: Role): Promise<void> {
    if (typeof username !== 'string' || username.length === 0 || username.length > MAX_USERNAME_LENGTH) {
      throw new RangeError(`username must be 1–${MAX_USERNAME_LENGTH} characters`);
    }
    const hash = await hashPassword(password, this.params);
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role, updated_at = excluded.updated_at`,
      )
      .run(username, hash, role, now, now);
  }

  private async setPassword(username: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.params);
    this.db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?').run(hash, Date.now(), username);
  }

  /**
   * Makes sure `username` exists as an admin with this password (the config is the source of
   * truth for the admin account). Returns what it did.
   */
  async ensureAdmin(username: string, password: string): Promise<'created' | 'updated' | 'unchanged'> {
    const row = this.find(username);
    if (row && row.role === 'admin' && !needsRehash(row.password_hash, this.params) && (await verifyPassword(password, row.password_hash))) {
      return 'unchanged';
    }
    await this.upsert(username, password, 'admin');
    const what = row ? 'updated' : 'created';
    this.logger.info({ username }, `admin user ${what}`);
    return what;
  }

  remove(username: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE username = ?').run(username).changes > 0;
  }

  list(): { username: string; role: Role }[] {
    return this.db.prepare('SELECT username, role FROM users ORDER BY username').all() as { username: string; role: Role }[];
  }
}
