/**
 * MQTT accounts in the SQLite `mqtt_accounts` table: edge nodes (`<site>/<node>`, they publish
 * that node's readings) and observers (any other name, read-only). Passwords are scrypt
 * hashes (password.ts, the same as dashboard users).
 *
 * `mieruka device` changes the table from another process while the hub runs, so the hub
 * reads the row at every CONNECT (one primary-key read; WAL readers never wait) and checks
 * it again at every publish and subscribe of a connected account (see `stamp`): a removed
 * account or a new password takes effect at once. A verified password is remembered as an
 * HMAC under a per-process key next to the stored hash it matched, so a reconnecting node
 * does not cost a full scrypt each time; a new hash (new password, new salt) misses the cache.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import { isValidId } from '@mieruka/protocol';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, MAX_PASSWORD_LENGTH, verifyPassword, type ScryptParams } from './password.js';
import { UserChangeRefused } from './sqlite-user-verifier.js';

export type DeviceKind = 'node' | 'observer';

/** Who an account is: a node publishes for exactly one site/node; an observer only reads. */
export type DeviceAccount = { name: string; kind: 'node'; site: string; node: string } | { name: string; kind: 'observer' };

export type DeviceListEntry = { name: string; kind: DeviceKind; createdAt: number; updatedAt: number };

/** Observer names: letters, digits and . _ @ - (no "/", which marks a node account). */
export const OBSERVER_NAME_PATTERN = /^[\p{L}\p{N}._@-]{1,64}$/u;
const MAX_NAME_LENGTH = 129;
const CACHE_LIMIT = 1000;

/** Parses an account name for its kind; null when it is not a valid name of that kind. */
export function parseDeviceName(name: string, kind: DeviceKind): DeviceAccount | null {
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) return null;
  if (kind === 'observer') return OBSERVER_NAME_PATTERN.test(name) ? { name, kind } : null;
  const parts = name.split('/');
  const [site, node] = parts;
  if (parts.length !== 2 || site === undefined || node === undefined || !isValidId(site) || !isValidId(node)) return null;
  return { name, kind, site, node };
}

type Row = { name: string; kind: string; password_hash: string };

export type DeviceAccountsOptions = { db: Database; logger: Logger; scryptParams?: ScryptParams; now?: () => number };

export class DeviceAccounts {
  private readonly db: Database;
  private readonly logger: Logger;
  private readonly params: ScryptParams;
  private readonly now: () => number;
  private readonly cacheKey = randomBytes(32);
  /** name → { stored hash it was verified against, HMAC of the password } */
  private readonly verified = new Map<string, { hash: string; mac: Buffer }>();
  private dummyHash: Promise<string> | null = null;

  constructor(options: DeviceAccountsOptions) {
    this.db = options.db;
    this.logger = options.logger.child({ component: 'mqtt-accounts' });
    this.params = options.scryptParams ?? DEFAULT_SCRYPT_PARAMS;
    this.now = options.now ?? Date.now;
  }

  /** Prepared once: the hub asks at every message of a connected account (see `stamp`). */
  private rowQuery: Statement<[string], Row> | null = null;

  private row(name: string): Row | undefined {
    this.rowQuery ??= this.db.prepare('SELECT name, kind, password_hash FROM mqtt_accounts WHERE name = ?');
    return this.rowQuery.get(name);
  }

  private static account(row: Row): DeviceAccount | null {
    return parseDeviceName(row.name, row.kind === 'node' ? 'node' : 'observer');
  }

  private mac(password: string): Buffer {
    return createHmac('sha256', this.cacheKey).update(password).digest();
  }

  /** The account when name and password match; null otherwise (never a throw). */
  async verify(name: string, password: string): Promise<DeviceAccount | null> {
    try {
      const valid = typeof name === 'string' && name.length > 0 && name.length <= MAX_NAME_LENGTH && typeof password === 'string' && password.length <= MAX_PASSWORD_LENGTH;
      const row = valid ? this.row(name) : undefined;
      if (row) {
        const cached = this.verified.get(row.name);
        if (cached && cached.hash === row.password_hash && timingSafeEqual(cached.mac, this.mac(password))) return DeviceAccounts.account(row);
      }
      // An unknown name still costs one scrypt: timing does not tell which names exist.
      this.dummyHash ??= hashPassword(randomBytes(18).toString('base64'), this.params);
      const ok = await verifyPassword(valid ? password : '', row?.password_hash ?? (await this.dummyHash));
      if (!row || !ok) return null;
      if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
      this.verified.set(row.name, { hash: row.password_hash, mac: this.mac(password) });
      return DeviceAccounts.account(row);
    } catch (err) {
      this.logger.error({ err }, 'MQTT account verification failed');
      return null;
    }
  }

  /** Changes whenever the account's password or kind changes; null when it is gone. */
  stamp(name: string): string | null {
    const row = this.row(name);
    if (!row) return null;
    return `${row.kind}:${createHash('sha256').update(row.password_hash).digest('base64url').slice(0, 22)}`;
  }

  /** Names of node accounts (`<site>/<node>`): their agents' client ids are reserved for them. */
  nodeNames(): string[] {
    return (this.db.prepare("SELECT name FROM mqtt_accounts WHERE kind = 'node'").all() as Array<{ name: string }>).map((r) => r.name);
  }

  has(name: string): boolean {
    return this.row(name) !== undefined;
  }

  /** The account a name stands for; a UserChangeRefused saying why when it is not valid for its kind. */
  static checkName(name: string, kind: DeviceKind): DeviceAccount {
    const account = parseDeviceName(name, kind);
    if (account) return account;
    throw new UserChangeRefused(
      kind === 'node'
        ? `"${name}" is not <site>/<node> (ids: a-z, 0-9 and "-"); for a read-only account add --observer`
        : `"${name}" is not a valid observer name: 1–64 letters, digits, . _ @ - (no "/")`,
    );
  }

  async add(name: string, password: string, kind: DeviceKind): Promise<DeviceAccount> {
    const account = DeviceAccounts.checkName(name, kind);
    const hash = await hashPassword(password, this.params);
    const now = this.now();
    const inserted = this.db
      .prepare('INSERT INTO mqtt_accounts (name, kind, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(name, kind, hash, now, now);
    if (inserted.changes === 0) throw new UserChangeRefused(`device "${name}" already exists (change the password with: mieruka device passwd ${name})`);
    return account;
  }

  async changePassword(name: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.params);
    const changed = this.db.prepare('UPDATE mqtt_accounts SET password_hash = ?, updated_at = ? WHERE name = ?').run(hash, this.now(), name);
    if (changed.changes === 0) throw new UserChangeRefused(`no device "${name}"`);
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM mqtt_accounts WHERE name = ?').run(name).changes > 0;
  }

  /** Names, kinds and dates; never the hashes. */
  list(): DeviceListEntry[] {
    return this.db.prepare('SELECT name, kind, created_at AS createdAt, updated_at AS updatedAt FROM mqtt_accounts ORDER BY name').all() as DeviceListEntry[];
  }
}
