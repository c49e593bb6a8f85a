/**
 * Publishes the outbox to the broker in insertion order at QoS 1, with a window of messages
 * in flight (one publish waiting for its PUBACK at a time would drain a day of readings in an
 * hour; a window drains it in minutes), and deletes each message once acknowledged, in
 * batches (one disk sync per batch, not per message).
 *
 * It hands MQTT.js a message only while connected, so MQTT.js never holds more than the
 * window in memory: the outbox is the one store. What is in flight when the connection drops
 * stays in MQTT.js's session store, which resends it on reconnect (the persistent session)
 * and then settles its callback; the forwarder continues after it. A new process starts from
 * the oldest row, so whatever an earlier process left (SIGKILL, power cut) is sent again:
 * at worst a window of duplicates, which the hub drops by (node, seq).
 */
import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';

/** The part of MQTT.js's client the forwarder uses. */
export interface ForwardClient {
  readonly connected: boolean;
  publish(topic: string, payload: Buffer, opts: { qos: 1; retain: boolean }, callback: (err?: Error) => void): unknown;
}

export interface OutboxForwarderOptions {
  outbox: Outbox;
  logger: Logger;
  /** Messages in flight at once (default 128). */
  window?: number;
  /** Bytes in flight at once; one message always goes (default 4 MiB: a few images). */
  windowBytes?: number;
  /** Called when a batch of deletes left the queue empty. */
  onDrained?: () => void;
}

export const FORWARD_WINDOW = 128;
const FORWARD_WINDOW_BYTES = 4 * 1024 * 1024;

export class OutboxForwarder {
  private readonly outbox: Outbox;
  private readonly logger: Logger;
  private readonly window: number;
  private readonly windowBytes: number;
  private readonly onDrained: (() => void) | undefined;
  private client: ForwardClient | null = null;
  /** The highest id handed to MQTT.js; the next message is the first row after it. */
  private cursor = 0;
  private readonly inflight = new Map<number, number>();
  private inflightBytes = 0;
  private acked: number[] = [];
  private flushTimer: NodeJS.Immediate | null = null;
  private pumping = false;
  /**
   * The last pass sent every row there was: an acknowledgement then frees the window for
   * nothing, and the query is skipped until something new is queued (pump()). Querying on each
   * PUBACK was the bridge's largest cost in a live stream (profile in performance.md).
   */
  private exhausted = false;
  private readonly counters = { delivered: 0, resent: 0 };

  constructor(options: OutboxForwarderOptions) {
    this.outbox = options.outbox;
    this.logger = options.logger;
    this.window = Math.max(1, Math.floor(options.window ?? FORWARD_WINDOW));
    this.windowBytes = Math.max(1, Math.floor(options.windowBytes ?? FORWARD_WINDOW_BYTES));
    this.onDrained = options.onDrained;
  }

  /** The client to publish through (null: none, e.g. stopped). */
  attach(client: ForwardClient | null): void {
    this.client = client;
    this.pump();
  }

  /** Something was queued or the connection is up: send what the window allows. */
  pump(): void {
    this.exhausted = false;
    this.sendMore();
  }

  private sendMore(): void {
    const client = this.client;
    if (!client?.connected || this.pumping || !this.outbox.isOpen || this.inflight.size >= this.window) return;
    this.pumping = true;
    const resentBefore = this.counters.resent;
    try {
      let windowFull = false;
      for (const row of this.outbox.rowsAfter(this.cursor)) {
        if (this.inflight.size >= this.window || (this.inflight.size > 0 && this.inflightBytes + row.bytes > this.windowBytes)) {
          windowFull = true;
          break;
        }
        const id = row.id;
        this.cursor = id;
        if (this.inflight.has(id)) continue; // after a rewind: still with MQTT.js
        this.inflight.set(id, row.bytes);
        this.inflightBytes += row.bytes;
        client.publish(row.topic, row.payload, { qos: 1, retain: row.retain }, (err) => this.settled(id, err));
      }
      // A message given back meanwhile (settled with an error inside publish) rewound the cursor.
      this.exhausted = !windowFull && this.counters.resent === resentBefore;
    } finally {
      this.pumping = false;
    }
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  stats(): { delivered: number; resent: number; inFlight: number } {
    return { ...this.counters, inFlight: this.inflight.size };
  }

  /** Deletes what was acknowledged so far (also called at stop, before the outbox closes). */
  flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = null;
    if (this.acked.length === 0 || !this.outbox.isOpen) return;
    const ids = this.acked;
    this.acked = [];
    try {
      this.outbox.remove(ids);
    } catch (err) {
      // Not fatal: the rows are sent again after a restart and the hub drops the duplicates.
      this.logger.warn({ err, count: ids.length }, 'outbox: cannot delete delivered messages');
      return;
    }
    if (this.onDrained && this.outbox.stats().queued === 0) this.onDrained();
  }

  /** Forgets what is in flight (the client is gone for good); the rows stay queued. */
  reset(): void {
    this.flush();
    this.client = null;
    this.inflight.clear();
    this.inflightBytes = 0;
    this.cursor = 0;
    this.exhausted = false;
  }

  private settled(id: number, err: Error | undefined): void {
    const bytes = this.inflight.get(id);
    if (bytes === undefined) return; // reset meanwhile
    this.inflight.delete(id);
    this.inflightBytes -= bytes;
    if (err) {
      // MQTT.js gave the message up (e.g. the connection closed while it replayed its
      // session): send it again from the queue, and what followed it.
      this.counters.resent++;
      this.cursor = Math.min(this.cursor, id - 1);
      this.exhausted = false;
      this.logger.debug({ err: err.message, id }, 'outbox: publish not acknowledged; it is sent again');
      return;
    }
    this.counters.delivered++;
    this.acked.push(id);
    // One delete transaction for everything acknowledged in this turn.
    this.flushTimer ??= setImmediate(() => this.flush());
    if (!this.exhausted) this.sendMore();
  }
}
