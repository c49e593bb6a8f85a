/**
 * Broker state shared by several hubs (hub.cluster.redisUrl): aedes-persistence-redis keeps
 * subscriptions, retained messages, QoS 1 sessions with their outgoing queues and wills in
 * Redis, and mqemitter-redis routes every message through Redis pub/sub, so a subscriber on
 * one hub receives what a client publishes on another. Loaded only in fleet mode (hub.ts
 * imports this file on demand): a single-Pi hub loads no Redis module.
 *
 * The LevelDB persistence's wrappers, and why each is or is not applied here:
 * - markRedeliveries (DUP 1 on a re-sent PUBLISH): applied; it only looks at the packets the
 *   outgoing stream yields, whatever the store. (aedes-persistence-redis keeps one copy of a
 *   QoS 1 packet for all its subscribers and writes the last delivery's packet id into it, so a
 *   message another persistent subscriber already received may reach an offline one with
 *   DUP 1 on its first delivery — harmless to receivers, noted in docs/scaling.md.)
 * - guardRetainedStreams (a failed retained read ends the stream, not the process): applied;
 *   a Redis read can fail like a LevelDB one.
 * - skipNeedlessClears: not applied. It relies on this hub knowing every client id with queued
 *   messages, which is false when other hubs enqueue into the shared store; and it is not
 *   needed: aedes-persistence-redis answers a clear for a packet id it never saw from its
 *   in-memory id cache, without a Redis round trip.
 * - useFifoQueues (mqtt-broker.ts): applied by MqttBroker to this emitter too; mqemitter-redis
 *   is an MQEmitter underneath and delivers locally through the same two arrays.
 */
import type { EventEmitter } from 'node:events';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redactText } from '@mieruka/protocol';
import type { AedesPersistence, BrokerState } from './broker-persistence.js';
import { markRedeliveries } from './redelivery-dup.js';
import { endNow, RedisLink, type RedisHealth } from './redis-link.js';
import { guardRetainedStreams } from './retained-stream-guard.js';

export type RedisBrokerStateOptions = {
  redisUrl: string;
  /** This hub's name (logs). */
  hubId: string;
  logger: Logger;
  maxBackoffMs?: number;
};

type Emitter = { close(cb: () => void): void };

/**
 * mqemitter-redis closes by QUIT on both connections and waits for them to end. Nothing
 * catches a QUIT that fails (Redis closing the socket first, or away, when the QUIT would sit
 * in the offline queue for good and the hub would never stop): an unhandled rejection. Here the
 * close ends both connections at once — the PUBLISHes still queued fail into their own
 * callbacks — and closes the emitter underneath, as mqemitter-redis does once both have ended.
 */
type RedisEmitter = Emitter & { closing?: boolean; closed?: boolean; state?: EventEmitter; _close(cb: () => void): void };

function closeWithoutQuit(emitter: RedisEmitter, connections: Redis[]): void {
  emitter.close = (cb) => {
    if (emitter.closed || emitter.closing) return cb();
    emitter.closing = true;
    for (const conn of connections) endNow(conn, true);
    emitter._close(cb);
  };
}

export class RedisBrokerState implements BrokerState {
  private readonly options: RedisBrokerStateOptions;
  private readonly logger: Logger;
  private link: RedisLink | null = null;
  private persistence: AedesPersistence | null = null;
  private mq: Emitter | null = null;

  constructor(options: RedisBrokerStateOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'broker-persistence', hubId: options.hubId });
  }

  get instance(): AedesPersistence {
    if (!this.persistence) throw new Error('RedisBrokerState is not started');
    return this.persistence;
  }

  get emitter(): unknown {
    if (!this.mq) throw new Error('RedisBrokerState is not started');
    return this.mq;
  }

  /** Connects (waiting through an outage, see RedisLink.ready) and builds the persistence and the emitter. */
  async start(): Promise<void> {
    if (this.persistence) return;
    const link = new RedisLink({ url: this.options.redisUrl, logger: this.options.logger, ...(this.options.maxBackoffMs ? { maxBackoffMs: this.options.maxBackoffMs } : {}) });
    this.link = link;
    const store = link.open('persistence');
    const pubConn = link.open('pub');
    const subConn = link.open('sub');
    await link.ready();
    const mq = mqemitterRedis({ pubConn, subConn }) as unknown as RedisEmitter;
    closeWithoutQuit(mq, [pubConn, subConn]);
    // mqemitter-redis re-emits its connections' errors on `state`, an EventEmitter without an
    // 'error' listener: the first refused reconnect would be an uncaught exception. RedisLink
    // has logged and counted them already.
    mq.state?.on('error', (err: Error) => this.logger.debug({ error: redactText(err.message) }, 'Redis emitter error'));
    this.mq = mq;
    this.persistence = guardRetainedStreams(markRedeliveries(aedesPersistenceRedis({ conn: store })), this.logger);
    this.logger.info({ redis: link.shownUrl }, 'broker state shared through Redis');
  }

  health(): RedisHealth | null {
    return this.link?.health() ?? null;
  }

  /**
   * Ends the connections. The persistence's own destroy() is not called: it would unsubscribe
   * from the emitter aedes has already closed (MqttBroker stops first) and wait on Redis.
   */
  async stop(): Promise<void> {
    const link = this.link;
    this.link = null;
    this.persistence = null;
    this.mq = null;
    await link?.close();
  }
}
