/**
 * The aedes broker core, without listeners: transports (TCP, WebSocket) hand it connections.
 * Keeps track of what the hub itself publishes so ingest can skip its own messages.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerState } from './broker-persistence.js';
import { releaseAfterConnack } from './connack-first.js';
import { connectRules } from './connect-rules.js';
import { boundDeliveries, useFifoQueues } from './emitter-queue.js';
import type { MqttAccessControl, MqttWebUser } from './mqtt-auth.js';
import { remoteAddressOf } from './remote-address.js';
import type { MqttLimits } from './mqtt-limits.js';

export type MqttBrokerOptions = {
  /** LevelDB (one hub) or Redis (fleet mode, with the emitter that links the hubs). */
  persistence: BrokerState;
  logger: Logger;
  /** The longest stop() waits for messages still being routed (default 10 s). */
  routingDrainMs?: number;
  /** Disconnect a subscriber whose socket stays full this long (aedes default 60 s). */
  drainTimeoutMs?: number;
  /** Accounts, anonymous rule and ACL (mqtt-auth.ts); without it every client may do anything. */
  access?: MqttAccessControl;
  /** Per-client limits and the counting of refusals and malformed packets. */
  limits?: MqttLimits;
  /**
   * Takes a client's QoS 1/2 PUBLISH before it is acknowledged, resolving once it is stored:
   * the hub acknowledges only what it has. (aedes writes the PUBACK before it routes a QoS 1
   * message, so this runs as the last step of authorizePublish.) Such a packet reaches the
   * 'publish' listeners afterwards as usual; the taker marks what it has taken.
   */
  beforeAck?: (packet: PublishPacket, client: Client) => Promise<void>;
};

type Emitter = {
  on(pattern: string, handler: (packet: AedesPublishPacket, done: () => void) => void): void;
  removeListener(pattern: string, handler: (packet: AedesPublishPacket, done: () => void) => void): void;
};

export type PublishListener = (packet: AedesPublishPacket, client: Client | null) => void;

export type HubPublish = { topic: string; payload: Buffer | string; qos?: 0 | 1 | 2; retain?: boolean };

export class MqttBroker {
  private readonly options: MqttBrokerOptions;
  private readonly logger: Logger;
  private aedes: Aedes | null = null;
  private accessHooks: ReturnType<MqttAccessControl['hooks']> | null = null;
  /** Messages aedes is routing now (retained store, offline queues, emitter); see trackRouting. */
  private readonly routing = new Set<object>();
  /** Client messages accepted for acknowledgement and not yet routed, with their client. */
  private readonly unrouted = new Map<object, Client>();
  private quiescing = false;
  /** Packets the hub published itself; aedes hands the same object to 'publish' listeners. */
  private readonly own = new WeakSet<object>();

  constructor(options: MqttBrokerOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mqtt-broker' });
  }

  private get broker(): Aedes {
    if (!this.aedes) throw new Error('MqttBroker is not started');
    return this.aedes;
  }

  get started(): boolean {
    return this.aedes !== null;
  }

  get clientsConnected(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  /**
   * Messages the emitter is delivering to subscribers now (at most DELIVERY_CONCURRENCY) and
   * those waiting for a delivery slot: a subscriber slower than the stream shows here first.
   */
  deliveries(): { underWay: number; waiting: number } {
    const mq = (this.aedes as unknown as { mq?: { current?: unknown; length?: unknown } } | null)?.mq;
    const count = (v: unknown) => (typeof v === 'number' ? v : 0);
    return { underWay: count(mq?.current), waiting: count(mq?.length) };
  }

  async start(): Promise<void> {
    if (this.aedes) return;
    this.quiescing = false;
    const access = this.options.access;
    const accessHooks = access?.hooks();
    this.accessHooks = accessHooks ?? null;
    const aedes = await Aedes.createBroker({
      persistence: this.options.persistence.instance,
      ...(this.options.persistence.emitter ? { mq: this.options.persistence.emitter } : {}),
      drainTimeout: this.options.drainTimeoutMs ?? 30_000,
      ...this.options.limits?.aedesOptions(),
      ...accessHooks,
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      ...connectRules({ ...accessHooks, onRefused: (clientId, reason) => access?.countConnectRefusal(clientId, reason) }),
    });
    access?.attach(aedes);
    this.trackRouting(aedes);
    if (!useFifoQueues((aedes as unknown as { mq?: unknown }).mq)) this.logger.debug('mqemitter queues not replaced (unexpected shape)');
    // An emitter from outside (Redis) has no bound of its own on deliveries under way (emitter-queue.ts).
    if (this.options.persistence.emitter && !boundDeliveries((aedes as unknown as { mq?: unknown }).mq)) this.logger.warn('the shared emitter has no delivery bound (unexpected shape)');
    // Without an 'error' listener an EventEmitter error would crash the process.
    // aedes emits 'error' (e.g. persistence failures) but its types omit it.
    (aedes as EventEmitter).on('error', (err: Error) => this.logger.error({ err }, 'broker error'));
    const limits = this.options.limits;
    aedes.on('clientError', (client, err) => limits?.onClientError(client, err) ?? this.logger.debug({ clientId: client?.id, err: err.message }, 'client error'));
    aedes.on('connectionError', (client, err) => limits?.onClientError(client, err) ?? this.logger.debug({ clientId: client?.id, err: err.message }, 'connection error'));
    aedes.on('client', (client) => this.logger.debug({ clientId: client.id }, 'client connected'));
    aedes.on('connackSent', (_packet, client) => releaseAfterConnack(client));
    // A message whose PUBACK could not be written (the connection broke) is never routed: forget it.
    aedes.on('clientDisconnect', (client) => {
      for (const [packet, c] of this.unrouted) if (c === client && !this.routing.has(packet)) setImmediate(() => this.routing.has(packet) || this.unrouted.delete(packet));
    });
    aedes.on('clientDisconnect', (client) => this.logger.debug({ clientId: client.id }, 'client disconnected'));
    this.aedes = aedes;
  }

  /** Serves one MQTT connection (a TCP socket or a WebSocket stream, with the dashboard user the front end admitted). */
  handle(conn: Duplex, req?: IncomingMessage, webUser?: MqttWebUser): void {
    if (!this.aedes || this.aedes.closed) {
      conn.destroy();
      return;
    }
    if (this.options.limits && !this.options.limits.admit(conn, req)) return;
    this.options.access?.register(conn, { remoteAddress: remoteAddressOf(req, conn), ...(webUser ? { webUser } : {}) });
    this.aedes.handle(conn, req);
  }

  /** Listens to every message the broker routes (clients, wills, $SYS, the hub itself). */
  onPublish(listener: PublishListener): () => void {
    const broker = this.broker;
    broker.on('publish', listener);
    return () => broker.off('publish', listener);
  }

  /**
   * Fleet mode: messages under `pattern` that clients of other hubs published, as the shared
   * emitter delivers them here. aedes emits 'publish' (what ingest listens to) only on the hub
   * a message was published to, so these reach no 'publish' listener; a packet's brokerId
   * tells where it entered. On a single hub there are none. Returns the unsubscribe function.
   */
  onPeerPublish(pattern: string, listener: (packet: AedesPublishPacket) => void): () => void {
    const broker = this.broker;
    const mq = (broker as unknown as { mq: Emitter }).mq;
    const handler = (packet: AedesPublishPacket & { brokerId?: string }, done: () => void) => {
      try {
        if (packet.brokerId !== undefined && packet.brokerId !== broker.id) listener(packet);
      } catch (err) {
        this.logger.error({ err }, 'a peer message listener failed');
      }
      done();
    };
    mq.on(pattern, handler);
    return () => {
      if (!broker.closed) mq.removeListener(pattern, handler);
    };
  }

  /** True for packets published through `publish()` below. */
  isOwn(packet: object): boolean {
    return this.own.has(packet);
  }

  /** Publishes as the hub (e.g. commands to edge nodes). */
  publish(message: HubPublish): Promise<void> {
    const packet = {
      cmd: 'publish',
      topic: message.topic,
      payload: typeof message.payload === 'string' ? Buffer.from(message.payload) : message.payload,
      qos: message.qos ?? 1,
      retain: message.retain ?? false,
      dup: false,
    } as PublishPacket;
    this.own.add(packet);
    return new Promise((resolve, reject) => this.broker.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  /** Closes every client connection and the broker (its heartbeat timers included). */
  /** The access control's check, then `beforeAck` for what it let through (QoS 1 and 2 from clients). */
  private authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    if (this.quiescing && client) {
      // Stopping: not acknowledged, so the client sends it again (to this hub once it is back, or another).
      done(new Error('the hub is stopping'));
      return;
    }
    const access = this.options.access;
    const check = this.accessHooks?.authorizePublish ?? ((_c: Client | null, _p: PublishPacket, d: (err?: Error | null) => void) => d(null));
    // What will be acknowledged is tracked until it is routed (see trackRouting); set before done(), which writes the PUBACK.
    const accept = () => {
      if (client && packet.qos) this.unrouted.set(packet, client);
      done(null);
    };
    check(client as Client, packet, (err?: Error | null) => {
      const beforeAck = this.options.beforeAck;
      if (err || !beforeAck || !client || !packet.qos || access?.isRefused(packet)) {
        if (err) done(err);
        else accept();
        return;
      }
      beforeAck(packet, client).then(accept, (e: Error) => {
        this.logger.error({ err: e, clientId: client.id }, 'a message could not be stored; it is not acknowledged (the client sends it again)');
        done(e);
      });
    });
  }

  /**
   * aedes acknowledges a QoS 1 PUBLISH before it routes it (stores it for offline persistent
   * sessions, hands it to the emitter), from the PUBACK's write callback. A hub that closed its
   * connections or its broker in between would drop a message its publisher was told is safe —
   * in fleet mode the other hubs' sessions would never get it. So every acknowledged message is
   * tracked from its acceptance to the end of its routing, and the hub, before it closes any
   * connection, stops accepting (quiesce) and waits for those to finish.
   */
  private trackRouting(aedes: Aedes): void {
    const publish = aedes.publish.bind(aedes) as unknown as (packet: PublishPacket, client: Client | null, done: (err?: Error) => void) => void;
    (aedes as unknown as { publish: unknown }).publish = (packet: PublishPacket, client: Client | null | ((err?: Error) => void), done?: (err?: Error) => void) => {
      const callback = typeof client === 'function' ? client : done;
      this.routing.add(packet);
      publish(packet, typeof client === 'function' ? null : client, (err?: Error) => {
        this.routing.delete(packet);
        this.unrouted.delete(packet);
        callback?.(err);
      });
    };
  }

  /**
   * Stops accepting client messages and resolves once every message already acknowledged has
   * been routed (one whose PUBACK never left, its connection gone, no longer counts), or after
   * `maxMs` — a store that no longer answers must not hold the stop. Call before closing listeners.
   */
  async quiesce(maxMs = this.options.routingDrainMs ?? 10_000): Promise<void> {
    this.quiescing = true;
    const deadline = Date.now() + maxMs;
    const pending = () => {
      for (const [packet, client] of this.unrouted) if (this.routing.has(packet) || !(client as { closed?: boolean }).closed) return true;
      return this.routing.size > 0;
    };
    while (pending() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (pending()) this.logger.warn({ routing: this.routing.size, acknowledged: this.unrouted.size }, 'broker stopped with messages still being routed (their store did not answer)');
  }

  async stop(): Promise<void> {
    const aedes = this.aedes;
    this.aedes = null;
    if (!aedes) return;
    await this.quiesce();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    aedes.removeAllListeners();
  }
}
