/**
 * The MQTT side of every edge agent (one node = one machine or station): validated QoS 1
 * publishes, a retained `status` that is also the last will, a persistent session (stable
 * client id, clean=false) so QoS 1 traffic survives reconnects, reconnects with capped
 * back-off, and commands from the hub on `cmd/<action>`.
 *
 * Store-and-forward (docs/store-and-forward.md): every message with data (current, state,
 * event, clutter, motion, image) is written to a bounded on-disk outbox under `dataDir` first
 * (`outbox-<site>-<node>.db`, SQLite, synced) and publish() resolves once it is there; an
 * OutboxForwarder sends the queue in order at QoS 1 with a window in flight and deletes each
 * message when the broker acknowledged it. So readings survive a broker outage, a restart or
 * SIGKILL of the agent and a power cut; a new process resends what an earlier one left. The
 * retained `status` (and the will) bypasses the queue: it is the now, not history. It carries
 * the backlog (queued, oldestTs, dropped), republished on connect, every ~30 s while
 * something waits, and once when the queue is empty again.
 */
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  redactUrl,
  encodePayload,
  looksLikeJpeg,
  MAX_IMAGE_BYTES,
  MierukaError,
  topicFilters,
  topicFor,
  type JsonKind,
  type PayloadOf,
  type StatusPayload,
} from '@mieruka/protocol';
import type { NodeLink } from '../node-link.js';
import { splitMqttUrl } from './mqtt-url.js';
import { SeqCounter } from './seq-counter.js';
import { Outbox } from '../outbox/outbox.js';
import { OutboxForwarder } from '../outbox/outbox-forwarder.js';
import { GroupAppend } from '../outbox/group-append.js';
import { CommandInbox, type CommandHandler } from './command-inbox.js';
import type { MqttNodeLinkOptions, MqttNodeLinkStartOptions, MqttNodeLinkStats } from './mqtt-node-link-options.js';

export type { CommandHandler } from './command-inbox.js';
export type { MqttNodeLinkOptions, MqttNodeLinkStartOptions, MqttNodeLinkStats } from './mqtt-node-link-options.js';

/** MQTT 3.1.1 CONNACK 4/5 and MQTT 5 reason codes 134/135: retrying will not help. */
const AUTH_FAILURE_CODES = new Set([4, 5, 134, 135]);

/**
 * TLS failures retrying will not help either: the broker's certificate is not trusted (wrong
 * CA, wrong host name, expired), or the broker refused ours (it requires a client certificate).
 */
function isTlsTrustFailure(err: Error & { code?: number | string }): boolean {
  // OpenSSL's verify codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, …),
  // node's host name check and TLS alerts about certificates.
  return typeof err.code === 'string' && (/CERT|ALTNAME|HOSTNAME_MISMATCH|LEAF_SIGNATURE|ISSUER|UNTRUSTED|CHAIN/.test(err.code) || err.message === 'TLS not authorized');
}

export class MqttNodeLink implements NodeLink {
  readonly site: string;
  readonly node: string;
  private readonly options: MqttNodeLinkOptions;
  private readonly logger: Logger;
  private readonly seq: SeqCounter;
  /** The last online status published said messages were waiting. */
  private announcedBacklog = false;
  private readonly statusTopic: string;
  private readonly commandFilter: string;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;
  private readonly commands: CommandInbox;
  private readonly outbox: Outbox;
  private readonly forwarder: OutboxForwarder;
  /** One transaction per event-loop turn for what is published in it. */
  private readonly appender: GroupAppend;
  private statusTimer: NodeJS.Timeout | null = null;
  private lastDropLogAt = Number.NEGATIVE_INFINITY;
  private droppedSinceLog = 0;
  private client: MqttClient | null = null;
  private stopping = false;
  private detail: string | undefined;
  private attempt = 0;
  private lastErrorMessage = '';
  /** A refusal seen before the first connection, for firstConnect() called later. */
  private firstFatal: MierukaError | null = null;
  private readonly counters = { connects: 0, published: 0, publishErrors: 0 };

  constructor(options: MqttNodeLinkOptions) {
    // topicFor validates the ids: a bad site/node fails here, before any I/O.
    this.statusTopic = topicFor(options.site, options.node, 'status');
    this.commandFilter = topicFilters.commandsFor(options.site, options.node);
    this.site = options.site;
    this.node = options.node;
    this.options = options;
    this.logger = options.logger;
    this.initialMs = Math.max(100, options.reconnect?.initialMs ?? 1000);
    this.maxMs = Math.max(this.initialMs, options.reconnect?.maxMs ?? 30_000);
    this.now = options.now ?? Date.now;
    this.seq = new SeqCounter({
      file: options.dataDir ? join(options.dataDir, `seq-${options.site}-${options.node}.json`) : undefined,
      logger: options.logger,
      now: this.now,
    });
    this.outbox = new Outbox({
      file: options.dataDir ? join(options.dataDir, `outbox-${options.site}-${options.node}.db`) : undefined,
      maxMessages: options.queue?.maxMessages,
      maxBytes: options.queue?.maxBytes,
      logger: options.logger,
      now: this.now,
    });
    this.forwarder = new OutboxForwarder({
      outbox: this.outbox,
      logger: options.logger,
      window: options.queue?.window,
      onDrained: () => {
        // Once, when an announced backlog is gone: the hub stops showing "catching up". Not on
        // every empty queue: a live stream empties it after each acknowledgement, and a retained
        // status per burst cost the hub more than the readings did (profile in performance.md).
        const client = this.client;
        if (client?.connected && !this.stopping && this.announcedBacklog) this.publishOnline(client);
      },
    });
    this.commands = new CommandInbox({
      site: options.site,
      node: options.node,
      logger: options.logger,
      now: this.now,
      onWanted: () => {
        if (this.client?.connected) this.subscribeCommands(this.client);
      },
      onUnwanted: () => {
        const client = this.client;
        if (client?.connected) client.unsubscribeAsync(this.commandFilter).catch((err: unknown) => this.logger.debug({ err }, 'unsubscribe failed'));
      },
    });
    this.appender = new GroupAppend({
      outbox: this.outbox,
      onWritten: (count, dropped) => {
        this.counters.published += count;
        if (dropped > 0) this.droppedOldest(dropped);
        this.forwarder.pump();
      },
      onFailed: (count) => {
        this.counters.publishErrors += count;
      },
      onSyncFailed: (count, err) => {
        this.counters.publishErrors += count;
        this.logger.error({ err, count }, 'outbox: cannot sync the queue to disk; the messages are still sent, but a power cut could lose them');
      },
    });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(startOptions: MqttNodeLinkStartOptions = {}): Promise<void> {
    if (this.client) return;
    this.stopping = false;
    this.firstFatal = null;
    const o = this.options;
    // Credentials given as options win over the URL's (MQTT.js would let the URL win).
    const fromUrl = splitMqttUrl(o.url);
    const username = o.username ?? fromUrl.username;
    const password = o.password ?? fromUrl.password;
    const clientOptions: IClientOptions = {
      clientId: o.clientId ?? `mieruka-${o.agent}-${o.site}-${o.node}`.slice(0, 128),
      clean: false,
      protocolVersion: o.protocolVersion ?? 4,
      reconnectPeriod: this.initialMs,
      connectTimeout: 10_000,
      keepalive: o.keepaliveS ?? 30,
      resubscribe: false, // we subscribe ourselves on every connect
      will: this.will(),
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.cert !== undefined && o.key !== undefined ? { cert: o.cert, key: o.key } : {}),
      // MQTT 5 ends a session at disconnect unless told otherwise; keep it a week.
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 7 * 24 * 3600 } } : {}),
      // Each new connection attempt goes to the next broker of the list, the primary first.
      ...(o.failoverUrls && o.failoverUrls.length > 0 ? { servers: brokerList([o.url, ...o.failoverUrls]) } : {}),
    };
    // Synchronous and never fatal: a damaged file is set aside, an unusable dir falls back to memory.
    this.outbox.open();
    let client: MqttClient;
    try {
      client = connect(fromUrl.url, clientOptions);
    } catch (err) {
      this.outbox.close();
      throw new MierukaError('CONFIG_INVALID', `MQTT URL ${redactUrl(o.url)}: ${(err as Error).message}`, { cause: err });
    }
    this.client = client;
    this.forwarder.attach(client);
    this.statusTimer = setInterval(() => {
      if (client.connected && this.outbox.stats().queued > 0) this.publishOnline(client);
    }, Math.max(10, o.statusEveryMs ?? 30_000));
    client.on('connect', () => this.onConnect(client));
    client.on('reconnect', () => {
      // Back-off for the next attempt; a fresh will so its ts is not the first connect's.
      this.attempt++;
      client.options.reconnectPeriod = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 20));
      client.options.will = this.will();
    });
    client.on('offline', () => {
      if (!this.stopping) this.logger.warn({ url: this.brokerInUse(client) }, 'MQTT broker unreachable; retrying');
    });
    client.on('error', (err) => {
      if (!client.connected && this.counters.connects === 0) this.firstFatal ??= this.fatalStartError(err);
      const message = err.message;
      // Every retry repeats the same error: log it once per distinct message.
      this.logger[message === this.lastErrorMessage ? 'debug' : 'warn']({ url: redactUrl(o.url), err: message }, 'MQTT error');
      this.lastErrorMessage = message;
    });
    client.on('message', (topic, payload) => this.commands.deliver(topic, payload));

    if (startOptions.waitForConnect === false) return;
    await this.firstConnect(startOptions);
  }

  /**
   * Waits for the first connection after `start({ waitForConnect: false })`, so an agent can
   * start reading before it knows whether the broker is up; fails like `start()` would (refused
   * credentials, untrusted certificate, or unreachable unless told to continue).
   */
  /** Refused credentials or an untrusted certificate: retrying will not help. */
  private fatalStartError(err: Error & { code?: number | string }): MierukaError | null {
    const o = this.options;
    if (typeof err.code === 'number' && AUTH_FAILURE_CODES.has(err.code)) {
      return new MierukaError('UNAUTHORIZED', `MQTT broker ${redactUrl(o.url)} refused the credentials: ${err.message}`, { cause: err });
    }
    if (isTlsTrustFailure(err)) {
      const hint = o.ca === undefined ? ' (a private CA? give it with --mqtt-ca / bridge.mqttCaFile)' : '';
      return new MierukaError('TLS_UNTRUSTED', `TLS to MQTT broker ${redactUrl(o.url)} failed: ${err.message} [${String(err.code)}]${hint}`, { cause: err });
    }
    return null;
  }

  async firstConnect(startOptions: Omit<MqttNodeLinkStartOptions, 'waitForConnect'> = {}): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('MqttNodeLink.firstConnect() before start()');
    if (client.connected) return;
    const o = this.options;
    const timeoutMs = startOptions.connectTimeoutMs ?? 30_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          client.off('connect', onConnect);
          client.off('error', onError);
        };
        const onConnect = () => {
          cleanup();
          resolve();
        };
        const onError = (err: Error & { code?: number | string }) => {
          const fatal = this.fatalStartError(err);
          if (fatal) {
            cleanup();
            reject(fatal);
          }
        };
        // The broker may have refused before this wait began (start without waiting).
        if (this.firstFatal) {
          reject(this.firstFatal);
          return;
        }
        const timer = setTimeout(() => {
          cleanup();
          const last = this.lastErrorMessage ? ` (last error: ${this.lastErrorMessage})` : '';
          if (startOptions.whenUnreachable === 'continue') {
            this.logger.warn({ url: redactUrl(o.url), timeoutMs }, `MQTT broker not reachable yet${last}; queuing on disk and retrying`);
            resolve();
            return;
          }
          reject(new MierukaError('DEPENDENCY_MISSING', `MQTT broker ${redactUrl(o.url)} not reachable within ${timeoutMs} ms${last}`));
        }, timeoutMs);
        client.on('connect', onConnect);
        client.on('error', onError);
      });
    } catch (err) {
      // Nothing may keep running after a failed start.
      this.client = null;
      this.stopping = true;
      this.clearStatusTimer();
      this.forwarder.reset();
      await client.endAsync(true).catch(() => undefined);
      this.appender.flush();
      this.outbox.close();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.stopping = true;
    this.clearStatusTimer();
    // What was published before stop() is queued (and sent, when the broker is there).
    this.appender.flush();
    // A broker that does not acknowledge is not waited for twice: the queue keeps those messages anyway.
    let acknowledging = true;
    if (client.connected) {
      try {
        // What is in flight gets its PUBACK first, so a normal restart resends nothing.
        acknowledging = await this.settleInFlight(client, 2000);
        // Give up at once if the connection drops meanwhile: the broker then sends the will.
        const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
        const published = client.publishAsync(this.statusTopic, encodePayload('status', this.status(false)), { qos: 1, retain: true });
        await withTimeout(Promise.race([published, closed]), acknowledging ? 3000 : 1000);
      } catch (err) {
        acknowledging = false;
        this.logger.debug({ err }, 'could not publish offline status');
      }
    }
    this.client = null;
    await withTimeout(client.endAsync(!client.connected || !acknowledging), 5000).catch(async () => {
      await client.endAsync(true).catch(() => undefined);
    });
    client.removeAllListeners();
    client.on('error', () => undefined); // a late error from a closed client must not crash us
    // Unacknowledged messages stay in the outbox for the next start.
    this.forwarder.reset();
    this.outbox.close();
    this.seq.close();
  }

  nextSeq(): number {
    return this.seq.next();
  }

  async publish<K extends JsonKind>(kind: K, payload: PayloadOf<K>): Promise<void> {
    let body: Buffer;
    try {
      body = encodePayload(kind, payload);
    } catch (err) {
      this.counters.publishErrors++;
      throw new MierukaError('PAYLOAD_INVALID', (err as Error).message, { cause: err });
    }
    await this.send(topicFor(this.site, this.node, kind), body, kind === 'status' || kind === 'state');
  }

  async publishImage(jpeg: Buffer): Promise<void> {
    if (jpeg.length > MAX_IMAGE_BYTES || !looksLikeJpeg(jpeg)) {
      this.counters.publishErrors++;
      throw new MierukaError('PAYLOAD_INVALID', jpeg.length > MAX_IMAGE_BYTES ? `image of ${jpeg.length} bytes exceeds ${MAX_IMAGE_BYTES}` : 'image is not a JPEG');
    }
    await this.send(topicFor(this.site, this.node, 'image'), jpeg, false);
  }

  onCommand(handler: CommandHandler): () => void {
    return this.commands.add(handler);
  }

  /**
   * Adds a human-readable detail to `status` (e.g. "serial port missing"), published now and
   * on every reconnect; undefined clears it.
   */
  setStatusDetail(detail: string | undefined): void {
    const next = detail?.slice(0, 500);
    if (next === this.detail) return;
    this.detail = next;
    const client = this.client;
    if (client?.connected) this.publishOnline(client);
  }

  stats(): MqttNodeLinkStats {
    const q = this.outbox.stats();
    return {
      connected: this.connected,
      ...this.counters,
      ...this.commands.counters,
      delivered: this.forwarder.stats().delivered,
      queued: q.queued,
      queuedBytes: q.bytes,
      oldestTs: q.oldestTs,
      dropped: q.dropped,
      outboxCorrupt: q.corruptSetAside,
      outboxPersistent: q.persistent,
    };
  }

  private async send(topic: string, body: Buffer, retain: boolean): Promise<void> {
    const client = this.client;
    if (!client || this.stopping) {
      this.counters.publishErrors++;
      throw new Error(`MqttNodeLink ${this.site}/${this.node} is not started`);
    }
    if (topic === this.statusTopic) {
      // The status is the now, not history: straight to the broker, never queued.
      try {
        await client.publishAsync(topic, body, { qos: 1, retain });
        this.counters.published++;
      } catch (err) {
        this.counters.publishErrors++;
        throw err;
      }
      return;
    }
    // Resolves once the row is on disk (counted and pumped by the appender).
    await this.appender.append(topic, body, retain);
  }

  private droppedOldest(count: number): void {
    this.droppedSinceLog += count;
    // At most one line a minute: a full queue drops one message per new one.
    const now = this.now();
    if (now - this.lastDropLogAt < 60_000) return;
    this.lastDropLogAt = now;
    const q = this.outbox.stats();
    this.logger.warn({ droppedNow: this.droppedSinceLog, droppedTotal: q.dropped, queued: q.queued, oldestTs: q.oldestTs }, 'outbox full: the oldest queued messages were dropped');
    this.droppedSinceLog = 0;
  }

  /** Waits (bounded) until every message handed to MQTT.js has its PUBACK, or the connection drops; false if some have not. */
  private async settleInFlight(client: MqttClient, ms: number): Promise<boolean> {
    this.forwarder.attach(null); // nothing new goes out
    if (this.forwarder.inFlight === 0) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        client.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      // Settled by MQTT.js's callbacks; polling keeps the forwarder free of stop() concerns.
      const poll = setInterval(() => {
        if (this.forwarder.inFlight === 0) done();
      }, 10);
      client.once('close', done);
    });
    this.forwarder.flush();
    return this.forwarder.inFlight === 0;
  }

  /** The broker this client connects to now (one of the failover list), without credentials. */
  private brokerInUse(client: MqttClient): string {
    const o = client.options;
    if (!this.options.failoverUrls?.length || !o.hostname) return redactUrl(this.options.url);
    return `${String(o.protocol)}://${o.hostname}:${String(o.port)}`;
  }

  private clearStatusTimer(): void {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = null;
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client) return;
    this.counters.connects++;
    this.attempt = 0;
    this.lastErrorMessage = '';
    client.options.reconnectPeriod = this.initialMs;
    this.logger.info({ url: this.brokerInUse(client), connects: this.counters.connects }, 'MQTT connected');
    this.publishOnline(client);
    if (this.commands.wanted) this.subscribeCommands(client);
    // MQTT.js has resent its own in-flight messages by now; the queue follows them.
    this.forwarder.pump();
  }

  private publishOnline(client: MqttClient): void {
    const status = this.status(true);
    this.announcedBacklog = (status.backlog?.queued ?? 0) > 0;
    client.publish(this.statusTopic, encodePayload('status', status), { qos: 1, retain: true }, (err) => {
      if (err && !this.stopping) this.logger.warn({ err }, 'could not publish online status');
    });
  }

  private subscribeCommands(client: MqttClient): void {
    client.subscribeAsync(this.commandFilter, { qos: 1 }).catch((err: unknown) => {
      if (!this.stopping) this.logger.warn({ err }, 'could not subscribe to commands');
    });
  }

  private status(online: boolean, withBacklog = true): StatusPayload {
    const s: StatusPayload = { online, ts: this.now(), agent: this.options.agent, version: this.options.version };
    if (online && this.detail) s.detail = this.detail;
    if (withBacklog && this.outbox.isOpen) {
      const q = this.outbox.stats();
      s.backlog = { queued: q.queued, oldestTs: q.oldestTs, dropped: q.dropped };
    }
    return s;
  }

  private will(): NonNullable<IClientOptions['will']> {
    // No backlog in the will: it is read long after it was written, when the numbers are stale.
    return { topic: this.statusTopic, payload: encodePayload('status', this.status(false, false)), qos: 1, retain: true };
  }
}

const DEFAULT_PORTS: Record<string, number> = { mqtt: 1883, tcp: 1883, mqtts: 8883, ws: 80, wss: 443 };

/** MQTT.js's `servers`: host, port and protocol of each URL (path and credentials are shared). */
function brokerList(urls: readonly string[]): Array<{ host: string; port: number; protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss' | 'tcp' }> {
  return urls.map((u) => {
    const url = new URL(u);
    const protocol = url.protocol.replace(/:$/, '') as 'mqtt' | 'mqtts' | 'ws' | 'wss' | 'tcp';
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? (DEFAULT_PORTS[protocol] ?? 1883) : Number(url.port), protocol };
  });
}

/** The URL without user and password, for logs and error messages (protocol's one implementation). */
export { redactUrl } from '@mieruka/protocol';

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
