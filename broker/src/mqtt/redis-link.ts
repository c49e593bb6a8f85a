/**
 * The hub's connections to Redis in fleet mode (hub.cluster.redisUrl), with one health record
 * for the hub's status and metrics. Redis away — at start or later — is not a crash: ioredis
 * reconnects with a capped back-off and keeps the commands issued meanwhile in its offline
 * queue (`maxRetriesPerRequest: null`), so the broker stalls rather than losing a session's
 * queue; every loss is logged (once per outage, not per attempt) and counted. The URL may
 * hold a password: only its redacted form is ever logged.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { MierukaError, redactText, redactUrl } from '@mieruka/protocol';

export type RedisHealth = {
  /** Every connection is ready. */
  connected: boolean;
  /** Times a ready connection was lost since start. */
  disconnects: number;
  /** Connection errors since start (failed attempts included). */
  errors: number;
  /** The last error's message (credentials masked); null before any. */
  lastError: string | null;
};

export type RedisLinkOptions = {
  url: string;
  logger: Logger;
  /** The longest wait between two connection attempts (default 10 s). */
  maxBackoffMs?: number;
};

/** 100 ms, 200 ms, 400 ms … up to the cap: quick after a blip, quiet during an outage. */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.min(maxMs, 100 * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
}

type Internals = { flushQueue?(err: Error): void; setStatus?(status: string): void };

/**
 * Ends a connection now, whatever its state. ioredis's disconnect() between two reconnect
 * attempts (Redis away) only cancels the next attempt and emits no 'end', so a closing
 * emitter waiting for it would never finish; here the status is set to 'end' as ioredis itself
 * does when its retry strategy gives up (event_handler.js closeHandler). With `failQueued`
 * the commands still queued are failed too — only for connections whose every caller handles
 * a failure (the emitter's PUBLISH and SUBSCRIBE): aedes-persistence-redis fires some commands
 * without awaiting them, whose failure would be an unhandled rejection; those just stay
 * unanswered, as they would with Redis gone.
 */
export function endNow(conn: Redis, failQueued = false): void {
  const status: string = conn.status;
  if (status === 'end') return;
  conn.disconnect();
  if (conn.status !== 'reconnecting' && conn.status !== 'connecting' && conn.status !== 'wait') return;
  const internals = conn as unknown as Internals;
  if (failQueued) internals.flushQueue?.(new Error('Connection is closed.'));
  internals.setStatus?.('end');
}

export class RedisLink {
  private readonly options: RedisLinkOptions;
  private readonly logger: Logger;
  private readonly connections: Redis[] = [];
  private readonly down = new Set<Redis>();
  private stats = { disconnects: 0, errors: 0, lastError: null as string | null };
  private closed = false;
  /** Settles ready() at close(): a connection between two attempts emits nothing when it is ended. */
  private readonly onClose: Array<() => void> = [];

  constructor(options: RedisLinkOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'redis', redis: redactUrl(options.url) });
  }

  /** The URL as it may be shown (password masked). */
  get shownUrl(): string {
    return redactUrl(this.options.url);
  }

  /** A new connection (`name` for logs: persistence, pub, sub); it starts connecting at once. */
  open(name: string): Redis {
    if (this.closed) throw new Error('RedisLink is closed');
    const maxMs = this.options.maxBackoffMs ?? 10_000;
    const conn = new Redis(this.options.url, {
      connectionName: `mieruka-${name}`,
      retryStrategy: (attempt) => (this.closed ? null : backoffMs(attempt, maxMs)),
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
    });
    this.connections.push(conn);
    this.down.add(conn);
    conn.on('ready', () => {
      if (!this.down.delete(conn)) return;
      if (this.stats.disconnects > 0 || this.stats.errors > 0) this.logger.info({ conn: name }, 'Redis connection ready again');
    });
    conn.on('close', () => {
      if (this.closed || this.down.has(conn)) return;
      this.down.add(conn);
      this.stats.disconnects++;
      this.logger.warn({ conn: name, disconnects: this.stats.disconnects }, 'Redis connection lost; reconnecting (broker operations wait meanwhile)');
    });
    conn.on('error', (err: Error) => {
      this.stats.errors++;
      const message = redactText(err.message);
      // Once per distinct failure: an outage of an hour is one line, not one per attempt.
      if (message !== this.stats.lastError) this.logger.warn({ conn: name, error: message }, 'Redis error');
      this.stats.lastError = message;
    });
    return conn;
  }

  /**
   * Resolves once every connection is ready; waits through an outage (logging what fails) and
   * rejects only when the link is closed meanwhile (the hub stopping).
   */
  async ready(): Promise<void> {
    const pending = this.connections.filter((c) => c.status !== 'ready');
    if (pending.length === 0) return;
    this.logger.info('connecting to Redis');
    const waitOne = (conn: Redis) =>
      new Promise<void>((resolve, reject) => {
        if (conn.status === 'ready') return resolve();
        const onReady = () => resolve();
        conn.once('ready', onReady);
        this.onClose.push(() => {
          conn.off('ready', onReady);
          reject(new MierukaError('STORE_FAILED', `Redis at ${this.shownUrl} was not reached before the hub stopped`));
        });
      });
    await Promise.all(pending.map(waitOne));
  }

  health(): RedisHealth {
    return { connected: !this.closed && this.down.size === 0 && this.connections.length > 0, ...this.stats };
  }

  /**
   * Ends every connection. A connected one gets QUIT first (bounded by `graceMs`): Redis answers
   * the commands sent before it, so none of them fails — aedes-persistence-redis fires a few
   * without awaiting them, and their failure would be an unhandled rejection. One that is away
   * is ended at once: nothing waits on a Redis that is not there.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const settle of this.onClose.splice(0)) settle();
    await Promise.all(
      this.connections.map(async (conn) => {
        if (conn.status === 'ready') {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
          await Promise.race([conn.quit().then(() => undefined, () => undefined), late]);
          clearTimeout(timer);
        }
        endNow(conn);
      }),
    );
  }
}
