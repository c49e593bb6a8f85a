/**
 * Dashboard users in the store's `users` table (SQLite or PostgreSQL, through SqlStore).
 * Implements the dashboard's UserVerifier; an unknown user still costs one scrypt so response
 * time does not reveal which names exist.
 *
 * `credentialStamp` lets the running hub notice changes made by `mieruka user` in another
 * process: it is derived from the stored password hash (a new salt at every password change)
 * and the role (and the user's sites, when it has any), so a session that remembered it at
 * login ends when any of them changes or the row is gone. Two primary-key reads per request (on SQLite WAL readers never wait for writers).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isValidId, type AuthenticatedUser, type UserStamps, type UserVerifier } from '@mieruka/protocol';
import type { SqlQueries, SqlStore } from '../store/sql/sql-store.js';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, MAX_PASSWORD_LENGTH, needsRehash, verifyPassword, type ScryptParams } from './password.js';

export type Role = AuthenticatedUser['role'];
export const MAX_USERNAME_LENGTH = 64;
/** Names `mieruka user add` accepts: letters (any script), digits and . _ @ - (no spaces or control characters). */
export const USERNAME_PATTERN = /^[\p{L}\p{N}._@-]{1,64}$/u;

/** `sites`: null = every site (no rows in user_sites). */
export type UserListEntry = { username: string; role: Role; sites: string[] | null; createdAt: number; updatedAt: number };

/** Most sites one user may be limited to (a guard against a pasted list, not a real limit). */
export const MAX_USER_SITES = 200;

/** Checks and normalizes a site list (sorted, no duplicates); refuses ids protocol would not accept. */
export function checkSites(sites: readonly string[]): string[] {
  if (sites.length === 0) throw new UserChangeRefused('give at least one site (or --all-sites for every site)');
  const bad = sites.filter((site) => !isValidId(site));
  if (bad.length > 0) throw new UserChangeRefused(`not a valid site id: ${bad.map((b) => JSON.stringify(b)).join(', ')} (lower-case letters, digits and -, as in the MQTT topics)`);
  const unique = [...new Set(sites)].sort();
  if (unique.length > MAX_USER_SITES) throw new UserChangeRefused(`at most ${MAX_USER_SITES} sites per user`);
  return unique;
}

/** Thrown for refusals the CLI shows as they are (the last admin, a name taken or unknown). */
export class UserChangeRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserChangeRefused';
  }
}

type UserRow = { username: string; password_hash: string; role: string };

export type SqlUserVerifierOptions = { sql: SqlStore; logger: Logger; scryptParams?: ScryptParams; now?: () => number };

const find = (q: SqlQueries, username: string) => q.get<UserRow>('SELECT username, password_hash, role FROM users WHERE username = ?', [username]);

/** The sites stored for a user (sorted), null when none are (every site). */
async function sitesIn(q: SqlQueries, username: string): Promise<string[] | null> {
  const sites = (await q.all<{ site: string }>('SELECT site FROM user_sites WHERE username = ? ORDER BY site', [username])).map((r) => r.site);
  return sites.length === 0 ? null : sites;
}

async function writeSites(q: SqlQueries, username: string, sites: readonly string[] | null): Promise<void> {
  await q.run('DELETE FROM user_sites WHERE username = ?', [username]);
  for (const site of sites ?? []) await q.run('INSERT INTO user_sites (username, site) VALUES (?, ?)', [username, site]);
}

async function refuseIfLastAdmin(q: SqlQueries, username: string, what: 'remove' | 'demote'): Promise<void> {
  const others = await q.get<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND username <> ?", [username]);
  if ((others?.n ?? 0) === 0) {
    throw new UserChangeRefused(`"${username}" is the last admin; refusing to ${what} it. Add another admin first (mieruka user add <name> --role admin).`);
  }
}

export class SqlUserVerifier implements UserVerifier, UserStamps {
  private readonly sql: SqlStore;
  private readonly logger: Logger;
  private readonly params: ScryptParams;
  private readonly now: () => number;
  /** A real hash of a random password, computed once, verified against for unknown users. */
  private dummyHash: Promise<string> | null = null;

  constructor(options: SqlUserVerifierOptions) {
    this.sql = options.sql;
    this.logger = options.logger.child({ component: 'users' });
    this.params = options.scryptParams ?? DEFAULT_SCRYPT_PARAMS;
    this.now = options.now ?? Date.now;
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
      const row = validInput ? await find(this.sql, username) : undefined;
      const ok = await verifyPassword(validInput ? password : '', row?.password_hash ?? (await this.dummy()));
      if (!row || !ok) return null;
      if (row.role !== 'admin' && row.role !== 'viewer') return null;
      if (needsRehash(row.password_hash, this.params)) await this.setPassword(row.username, password);
      // Admins always see every site, whatever rows are left from a time as viewer.
      return { username: row.username, role: row.role, sites: row.role === 'admin' ? null : await this.sitesOf(row.username) };
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
    const now = this.now();
    await this.sql.run(
      `INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role, updated_at = excluded.updated_at`,
      [username, hash, role, now, now],
    );
  }

  private async setPassword(username: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.params);
    await this.sql.run('UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?', [hash, this.now(), username]);
  }

  /**
   * Makes sure `username` exists as an admin with this password (the config is the source of
   * truth for the admin account). Returns what it did.
   */
  async ensureAdmin(username: string, password: string): Promise<'created' | 'updated' | 'unchanged'> {
    const row = await find(this.sql, username);
    if (row && row.role === 'admin' && !needsRehash(row.password_hash, this.params) && (await verifyPassword(password, row.password_hash))) {
      return 'unchanged';
    }
    await this.upsert(username, password, 'admin');
    const what = row ? 'updated' : 'created';
    this.logger.info({ username }, `admin user ${what}`);
    return what;
  }

  /**
   * Changes whenever the user's password, role or sites change; null when there is no such
   * user. A user without sites keeps the stamp of older releases (no sessions end at upgrade).
   */
  async credentialStamp(username: string): Promise<string | null> {
    const row = await find(this.sql, username);
    if (!row) return null;
    const stamp = `${row.role}:${createHash('sha256').update(row.password_hash).digest('base64url').slice(0, 22)}`;
    const sites = await this.sitesOf(username);
    return sites === null ? stamp : `${stamp}:${createHash('sha256').update(sites.join(',')).digest('base64url').slice(0, 22)}`;
  }

  /** The sites stored for a user (sorted), null when none are (every site). */
  sitesOf(username: string): Promise<string[] | null> {
    return sitesIn(this.sql, username);
  }

  /**
   * Limits a user to these sites, or (null) lets it see every site; their open sessions end
   * (the stamp changes). Returns false when nothing changed.
   */
  async setSites(username: string, sites: readonly string[] | null): Promise<boolean> {
    const wanted = sites === null ? null : checkSites(sites);
    const now = this.now();
    return this.sql.transaction(async (tx) => {
      if (!(await find(tx, username))) throw new UserChangeRefused(`no user "${username}"`);
      const current = await sitesIn(tx, username);
      if (JSON.stringify(current) === JSON.stringify(wanted)) return false;
      await writeSites(tx, username, wanted);
      await tx.run('UPDATE users SET updated_at = ? WHERE username = ?', [now, username]);
      return true;
    });
  }

  async has(username: string): Promise<boolean> {
    return (await find(this.sql, username)) !== undefined;
  }

  /** Creates a new user, limited to `sites` when given; refuses a name that exists (use setPassword / setRole / setSites for those). */
  async add(username: string, password: string, role: Role, sites: readonly string[] | null = null): Promise<void> {
    if (!USERNAME_PATTERN.test(username)) throw new UserChangeRefused(`"${username}" is not a valid user name: 1–64 letters, digits, . _ @ -`);
    const wanted = sites === null ? null : checkSites(sites);
    const hash = await hashPassword(password, this.params);
    const now = this.now();
    await this.sql.transaction(async (tx) => {
      const inserted = await tx.run(
        'INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING',
        [username, hash, role, now, now],
      );
      if (inserted.changes === 0) throw new UserChangeRefused(`user "${username}" already exists (change the password with: mieruka user passwd ${username})`);
      await writeSites(tx, username, wanted);
    });
  }

  /** New password for an existing user (their sessions end). */
  async changePassword(username: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.params);
    const changed = await this.sql.run('UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?', [hash, this.now(), username]);
    if (changed.changes === 0) throw new UserChangeRefused(`no user "${username}"`);
  }

  /** Changes the role; refuses to demote the last admin. Returns false when it already had that role. */
  async setRole(username: string, role: Role): Promise<boolean> {
    const now = this.now();
    return this.sql.transaction(async (tx) => {
      await lockAdmins(tx);
      const row = await find(tx, username);
      if (!row) throw new UserChangeRefused(`no user "${username}"`);
      if (row.role === role) return false;
      if (row.role === 'admin') await refuseIfLastAdmin(tx, username, 'demote');
      await tx.run('UPDATE users SET role = ?, updated_at = ? WHERE username = ?', [role, now, username]);
      return true;
    });
  }

  /**
   * Removes a user. Refuses to remove the last admin (nobody could change settings or users
   * from the dashboard any more). Check and delete run in one write transaction, so two
   * removals at once cannot both pass the check (on PostgreSQL the admins' rows are locked
   * for it: see lockAdmins).
   */
  async remove(username: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      await lockAdmins(tx);
      const row = await find(tx, username);
      if (!row) return false;
      if (row.role === 'admin') await refuseIfLastAdmin(tx, username, 'remove');
      return (await tx.run('DELETE FROM users WHERE username = ?', [username])).changes > 0;
    });
  }

  /** Names, roles, sites and dates; never the password hashes. */
  async list(): Promise<UserListEntry[]> {
    const rows = await this.sql.all<Omit<UserListEntry, 'sites'>>('SELECT username, role, created_at AS "createdAt", updated_at AS "updatedAt" FROM users ORDER BY username');
    const out: UserListEntry[] = [];
    for (const r of rows) out.push({ username: r.username, role: r.role, sites: await this.sitesOf(r.username), createdAt: r.createdAt, updatedAt: r.updatedAt });
    return out;
  }
}

/**
 * The last-admin check reads other rows than it changes: SQLite's write transaction (BEGIN
 * IMMEDIATE) already runs alone, PostgreSQL's read committed does not, so there the admins'
 * rows are locked first and two removals or demotions at once take turns.
 */
async function lockAdmins(tx: SqlQueries): Promise<void> {
  if (tx.dialect === 'postgres') await tx.all("SELECT username FROM users WHERE role = 'admin' FOR UPDATE");
}
