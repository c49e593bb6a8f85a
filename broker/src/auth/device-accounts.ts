/**
 * MQTT accounts in the store's `mqtt_accounts` table (SQLite or PostgreSQL, through SqlStore):
 * edge nodes (`<site>/<node>`, they publish that node's readings) and observers (any other
 * name, read-only). Passwords are scrypt hashes (password.ts, the same as dashboard users).
 *
 * `mieruka device` changes the table from another process while the hub runs. The hub reads
 * the row at every CONNECT; a connected account is checked again at every message (see
 * `stamp`), which the broker asks synchronously (aedes' authorizeForward) and for every
 * message, so those checks read a copy of every account's stamp in memory, reloaded every
 * `refreshMs` (`watch`) and at once for an account that connects or that this process
 * changes: a removed account or a new password takes effect within that interval.
 * A verified password is remembered as an HMAC under a per-process key next to the stored
 * hash it matched, so a reconnecting node does not cost a full scrypt each time; a new hash
 * (new password, new salt) misses the cache.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { isValidId } from '@mieruka/protocol';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, MAX_PASSWORD_LENGTH, verifyPassword, type ScryptParams } from './password.js';
import type { SqlStore } from '../store/sql/sql-store.js';
import { UserChangeRefused } from './sql-user-verifier.js';

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

export type DeviceAccountsOptions = {
  sql: SqlStore;
  logger: Logger;
  scryptParams?: ScryptParams;
  now?: () => number;
  /** How often `watch` reloads the stamps (changes made by `mieruka device` meanwhile); default 1 s. */
  refreshMs?: number;
};

const stampOf = (row: Pick<Row, 'kind' | 'password_hash'>) => `${row.kind}:${createHash('sha256').update(row.password_hash).digest('base64url').slice(0, 22)}`;

export class DeviceAccounts {
  private readonly sql: SqlStore;
  private readonly logger: Logger;
  private readonly params: ScryptParams;
  private readonly now: () => number;
  private readonly cacheKey = randomBytes(32);
  /** name → { stored hash it was verified against, HMAC of the password } */
  private readonly verified = new Map<string, { hash: string; mac: Buffer }>();
  private dummyHash: Promise<string> | null = null;
  /** name → stamp of every account, as last read (see `stamp`). */
  private stamps = new Map<string, string>();
  /**
   * Accounts read one by one while a reload runs: they keep what was read for them (a CONNECT
   * must not be undone by an older list; the next reload settles any doubt).
   */
  private touched: Set<string> | null = null;
  private reloading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly refreshMs: number;

  constructor(options: DeviceAccountsOptions) {
    this.sql = options.sql;
    this.logger = options.logger.child({ component: 'mqtt-accounts' });
    this.params = options.scryptParams ?? DEFAULT_SCRYPT_PARAMS;
    this.now = options.now ?? Date.now;
    this.refreshMs = options.refreshMs ?? 1000;
  }

  /** The row as stored now; also brings this account's stamp in memory up to date. */
  private async row(name: string): Promise<Row | undefined> {
    const row = await this.sql.get<Row>('SELECT name, kind, password_hash FROM mqtt_accounts WHERE name = ?', [name]);
    this.touched?.add(name);
    if (row) this.stamps.set(row.name, stampOf(row));
    else this.stamps.delete(name);
    return row;
  }

  /** Reads every account's stamp (a reload already running is joined). */
  reload(): Promise<void> {
    this.reloading ??= (async () => {
      const touched = (this.touched = new Set());
      const rows = await this.sql.all<Row>('SELECT name, kind, password_hash FROM mqtt_accounts');
      const stamps = new Map(rows.map((r) => [r.name, stampOf(r)]));
      for (const name of touched) {
        const current = this.stamps.get(name);
        if (current === undefined) stamps.delete(name);
        else stamps.set(name, current);
      }
      this.stamps = stamps;
    })().finally(() => {
      this.touched = null;
      this.reloading = null;
    });
    return this.reloading;
  }

  /** Loads the stamps, then reloads them every `refreshMs` until `unwatch` (the hub's broker). */
  async watch(): Promise<void> {
    await this.reload();
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A reload still running is joined, never doubled; a failure keeps the last copy.
      void this.reload().catch((err: unknown) => this.logger.error({ err }, 'cannot reload the MQTT accounts'));
    }, this.refreshMs);
    this.timer.unref();
  }

  /** Stops the reloads and waits for one under way (nothing reads after the store closes). */
  async unwatch(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.reloading?.catch(() => undefined);
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
      const row = valid ? await this.row(name) : undefined;
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

  /**
   * Changes whenever the account's password or kind changes; null when it is gone. From the
   * copy in memory (see the top of this file): synchronous, asked at every message.
   */
  stamp(name: string): string | null {
    return this.stamps.get(name) ?? null;
  }

  /** The stamp as stored now (at CONNECT); the copy in memory is brought up to date too. */
  async readStamp(name: string): Promise<string | null> {
    const row = await this.row(name);
    return row ? stampOf(row) : null;
  }

  /** Names of node accounts (`<site>/<node>`), from the copy in memory: their agents' client ids are reserved for them. */
  nodeNames(): string[] {
    return [...this.stamps].filter(([, stamp]) => stamp.startsWith('node:')).map(([name]) => name);
  }

  async has(name: string): Promise<boolean> {
    return (await this.row(name)) !== undefined;
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
    const inserted = await this.sql.run(
      'INSERT INTO mqtt_accounts (name, kind, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
      [name, kind, hash, now, now],
    );
    await this.row(name);
    if (inserted.changes === 0) throw new UserChangeRefused(`device "${name}" already exists (change the password with: mieruka device passwd ${name})`);
    return account;
  }

  async changePassword(name: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.params);
    const changed = await this.sql.run('UPDATE mqtt_accounts SET password_hash = ?, updated_at = ? WHERE name = ?', [hash, this.now(), name]);
    await this.row(name);
    if (changed.changes === 0) throw new UserChangeRefused(`no device "${name}"`);
  }

  async remove(name: string): Promise<boolean> {
    const removed = (await this.sql.run('DELETE FROM mqtt_accounts WHERE name = ?', [name])).changes > 0;
    await this.row(name);
    return removed;
  }

  /** Names, kinds and dates; never the hashes. */
  list(): Promise<DeviceListEntry[]> {
    return this.sql.all<DeviceListEntry>('SELECT name, kind, created_at AS "createdAt", updated_at AS "updatedAt" FROM mqtt_accounts ORDER BY name');
  }
}
