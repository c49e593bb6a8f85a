/**
 * One leader among the hubs sharing a PostgreSQL store (issue 17, fleet mode): the hub whose
 * session holds a session-level advisory lock leads. The lock lives on ONE dedicated
 * connection, named `mieruka-leader-<hubId>` (application_name) so an admin sees the leader
 * in pg_stat_activity. PostgreSQL releases the lock when that session ends — the hub process
 * killed closes its socket — and a follower, trying every retryMs, takes over.
 *
 * The leader checks its connection every keepAliveMs (a query with a timeout); on any error,
 * 'end' or a late answer it steps down at once (listeners told false) before it ends the
 * connection, so two hubs never lead knowingly at the same time. The session also sets
 * idle_session_timeout: a leader that goes silent without closing its socket (power cut,
 * frozen process, cable pulled) loses the lock on the server after sessionTimeoutMs.
 *
 * `pg` is imported when started, never at module top: a single Pi never loads it.
 */
import type { Client } from 'pg';
import type { Logger } from 'pino';
import { MierukaError, redactText, redactUrl } from '@mieruka/protocol';
import type { Leadership, LeadershipStatus } from './leadership.js';
import { LeadershipState } from './leadership-state.js';

/** 'mier' 'lead' in ASCII; the migration lock (pg-database.ts) is 'mier' 'uka1'. */
export const LEADER_LOCK_KEY = 0x6d696572_6c656164n;

export type PostgresLeadershipOptions = {
  url: string;
  /** This hub's id: the connection's application_name is `mieruka-leader-<hubId>`. */
  hubId: string;
  logger: Logger;
  now?: () => number;
  /** A follower tries the lock this often; also the cap of the reconnect back-off (default 5000). */
  retryMs?: number;
  /** The leader checks its connection this often (default 5000). */
  keepAliveMs?: number;
  /** The longest wait for the database to answer a query or a connection (default max(keepAliveMs, 1000)). */
  queryTimeoutMs?: number;
  /**
   * The server ends a session silent this long (idle_session_timeout), releasing the lock
   * (default keepAliveMs + queryTimeoutMs + max(retryMs, keepAliveMs)). It must exceed
   * keepAliveMs + queryTimeoutMs: a leader cut off from the server then steps down before
   * the server frees the lock for another.
   */
  sessionTimeoutMs?: number;
  lockKey?: bigint;
};

/** 100 ms, 200 ms, 400 ms … up to the cap: quick after a blip, quiet during an outage. */
function backoffMs(attempt: number, capMs: number): number {
  return Math.min(capMs, 100 * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
}

export function leaderApplicationName(hubId: string): string {
  return `mieruka-leader-${hubId}`;
}

export class PostgresLeadership implements Leadership {
  private readonly options: PostgresLeadershipOptions;
  private readonly logger: Logger;
  private readonly state: LeadershipState;
  private readonly retryMs: number;
  private readonly keepAliveMs: number;
  private readonly queryTimeoutMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly lockKey: string;
  private readonly where: string;
  private running = false;
  private client: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The step in progress (stop() waits for it). */
  private stepping: Promise<void> = Promise.resolve();
  /** Failed attempts since the last good one: the back-off, and one warning per outage. */
  private failures = 0;

  constructor(options: PostgresLeadershipOptions) {
    this.options = options;
    this.logger = options.logger;
    this.state = new LeadershipState(options.logger, options.now ?? Date.now);
    this.retryMs = options.retryMs ?? 5000;
    this.keepAliveMs = options.keepAliveMs ?? 5000;
    this.queryTimeoutMs = options.queryTimeoutMs ?? Math.max(this.keepAliveMs, 1000);
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? this.keepAliveMs + this.queryTimeoutMs + Math.max(this.retryMs, this.keepAliveMs);
    if (this.sessionTimeoutMs <= this.keepAliveMs + this.queryTimeoutMs || this.sessionTimeoutMs <= this.retryMs) {
      throw new MierukaError(
        'CONFIG_INVALID',
        `leader lock: sessionTimeoutMs (${this.sessionTimeoutMs}) must exceed keepAliveMs + queryTimeoutMs (${this.keepAliveMs + this.queryTimeoutMs}) and retryMs (${this.retryMs}), or two hubs could lead at once`,
      );
    }
    this.lockKey = (options.lockKey ?? LEADER_LOCK_KEY).toString();
    this.where = redactUrl(options.url);
  }

  get leading(): boolean {
    return this.state.leading;
  }

  onChange(listener: (leading: boolean) => void): () => void {
    return this.state.onChange(listener);
  }

  status(): LeadershipStatus {
    return this.state.status();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stepping = this.step();
    await this.stepping;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.stepping;
    // Listeners stop their work before the lock is released, so the next leader never overlaps.
    this.stepDown();
    const client = this.client;
    this.client = null;
    if (client) await this.end(client);
  }

  /** One turn: connect if needed, then try the lock (follower) or check the connection (leader). */
  private async step(): Promise<void> {
    let client: Client | null = this.client;
    try {
      if (!client) {
        client = await this.connect();
        if (!this.running) return void (await this.end(client));
        this.client = client;
      }
      if (!this.state.leading) {
        const r = await this.query<{ ok: boolean }>(client, 'SELECT pg_try_advisory_lock($1::bigint) AS ok', [this.lockKey]);
        this.recovered();
        // stop() meanwhile: it ends the session, which releases a lock just taken.
        if (!this.running || client !== this.client) return;
        if (r.rows[0]?.ok === true) {
          this.state.set(true);
          this.logger.info({ hubId: this.options.hubId, store: this.where }, 'leading the fleet');
          this.schedule(this.keepAliveMs);
        } else {
          this.schedule(this.retryMs);
        }
      } else {
        await this.query(client, 'SELECT 1');
        this.recovered();
        if (this.running && client === this.client) this.schedule(this.keepAliveMs);
      }
    } catch (err) {
      // A client already given up by its 'error'/'end' handler has its retry scheduled.
      if (client && this.client !== client) return;
      this.lost(client, err);
    }
  }

  private async connect(): Promise<Client> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: leaderApplicationName(this.options.hubId),
      connectionTimeoutMillis: this.queryTimeoutMs,
      keepAlive: true,
    });
    // Never crash on a connection's error; losing the leader's session means stepping down.
    client.on('error', (err: Error) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection lost')));
    try {
      await client.connect();
      await this.query(client, "SELECT set_config('idle_session_timeout', $1, false)", [String(this.sessionTimeoutMs)]).catch((err: unknown) => {
        // PostgreSQL < 14 has no idle_session_timeout: a silent leader then waits for TCP keep-alive.
        this.logger.debug({ err: this.describe(err) }, 'leader lock: idle_session_timeout not set');
      });
    } catch (err) {
      await this.end(client);
      throw err;
    }
    return client;
  }

  /** The current connection failed (or a connection attempt did): step down, end it, retry with back-off. */
  private lost(client: Client | null, err: unknown): void {
    if (client && client !== this.client) {
      // A connection still being opened, or one already given up: connect()/step() handle it.
      return;
    }
    this.client = null;
    const message = this.describe(err);
    this.state.lastError = message;
    const wasLeading = this.state.leading;
    this.stepDown();
    if (client) void this.end(client);
    if (!this.running) return;
    this.failures += 1;
    if (wasLeading || this.failures === 1) {
      this.logger.warn({ hubId: this.options.hubId, store: this.where, err: message }, 'leader lock: PostgreSQL connection failed; retrying');
    } else {
      this.logger.debug({ hubId: this.options.hubId, store: this.where, err: message, attempt: this.failures }, 'leader lock: still no PostgreSQL');
    }
    this.schedule(backoffMs(this.failures, this.retryMs));
  }

  private recovered(): void {
    if (this.failures > 0) this.logger.info({ hubId: this.options.hubId, store: this.where }, 'leader lock: PostgreSQL reachable again');
    this.failures = 0;
  }

  private stepDown(): void {
    if (!this.state.leading) return;
    this.state.set(false);
    this.logger.info({ hubId: this.options.hubId, store: this.where }, 'no longer leading');
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.stepping = this.step();
    }, ms);
  }

  /** A query that fails when the database does not answer in time (a dead peer may never answer). */
  private async query<R extends object = Record<string, unknown>>(client: Client, sql: string, params: unknown[] = []): Promise<{ rows: R[] }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`PostgreSQL did not answer within ${this.queryTimeoutMs} ms`)), this.queryTimeoutMs);
    });
    try {
      return await Promise.race([client.query<R>(sql, params), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async end(client: Client): Promise<void> {
    client.removeAllListeners('end');
    // An error after we gave the connection up must still not crash the process.
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    // A peer gone silent never answers the goodbye: the socket is closed without it then.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.queryTimeoutMs)));
    const ended = await Promise.race([client.end().then(() => 'ended' as const, () => 'ended' as const), late]);
    clearTimeout(timer);
    if (ended === 'late') (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }

  /** An error's message with any credentials masked (pg's messages may quote the URL). */
  private describe(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    return redactText(message.split(this.options.url).join(this.where));
  }
}
