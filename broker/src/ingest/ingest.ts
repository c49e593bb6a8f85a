/**
 * Ingest: every message clients publish under `mieruka/v1/` is decoded against the contract,
 * once. Invalid ones are counted and dropped; valid ones are queued to the store, applied to
 * the live snapshots (the readings stream the rules and the dashboard follow), then handed to
 * `onMessage` listeners (the clutter webhook). Images are paired with their
 * clutter result and saved to disk. Nothing here may throw into the broker.
 */
import type { AedesPublishPacket, Client } from 'aedes';
import type { Logger } from 'pino';
import { decodeMessage, isValidId, TOPIC_ROOT, type DecodedMessage } from '@mieruka/protocol';
import { Fanout } from '../events/fanout.js';
import type { MqttBroker } from '../mqtt/mqtt-broker.js';
import type { Store } from '../store/store.js';
import { DEFAULT_MAX_FUTURE_SKEW_MS, futureTimestamp } from './future-ts.js';
import { ImagePairer } from './image-pairer.js';
import { NodeAdmission } from './node-admission.js';
import { isValidImageId, type ImageStore } from './image-store.js';
import { InvalidMessageCounter, type InvalidMessage, type InvalidStats } from './invalid-counter.js';
import type { LiveState } from './live-state.js';
import { DuplicateGuard } from './duplicate-guard.js';
import { backlogOf, clutterChange, currentChange, heard, motionChange, stateChange, statusChange } from './snapshot-changes.js';
import { productionEventProblem } from '../production/production-event-ingest.js';

export type IngestOptions = {
  broker: MqttBroker;
  store: Store;
  live: LiveState;
  images: ImageStore;
  logger: Logger;
  /** How long an image and its clutter result wait for each other. Default 60 s. */
  pairWindowMs?: number;
  /** Readings further ahead of `now` than this are refused (reason future-ts). Default 5 min. */
  maxFutureSkewMs?: number;
  /** Caps on new nodes (default: no cap). */
  maxNodesPerSite?: number;
  maxSites?: number;
  /** Whether new nodes join by themselves (asked at each new node). Default: on. */
  autoJoin?: () => boolean;
  /** Nodes an admin admitted that may not have reported yet. */
  admitted?: () => Iterable<{ site: string; node: string }>;
  now?: () => number;
  /** Rows the store's write queue may hold (its batch size): recent keys cover at least twice that. */
  writeQueueItems?: number;
};

export type IngestStats = {
  /** Messages under `mieruka/v1/` from clients (valid and invalid; commands excluded). */
  received: number;
  /** Valid new messages taken (stored and applied), by kind. */
  accepted: { total: number; byKind: Record<string, number> };
  invalid: InvalidStats;
  /**
   * Messages already taken (a store-and-forward resend, also from before a hub restart):
   * not errors, and without any effect but "the node was heard". By kind.
   */
  duplicates: { total: number; byKind: Record<string, number> };
  imagesSaved: number;
  imageErrors: number;
};

const PREFIX = `${TOPIC_ROOT}/`;

/** For a bad topic that still names a valid site and node (wrong kind, extra level), count it for that node. */
function attribute(topic: string): { site?: string; node?: string } {
  const levels = topic.split('/', 6);
  const [, , site, node] = levels;
  return levels.length >= 5 && site !== undefined && node !== undefined && isValidId(site) && isValidId(node) ? { site, node } : {};
}

export class Ingest {
  private readonly options: IngestOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly invalid: InvalidMessageCounter;
  private readonly pairer: ImagePairer;
  private readonly admission: NodeAdmission;
  private readonly duplicates: DuplicateGuard;
  private readonly duplicateCounts = { total: 0, byKind: {} as Record<string, number> };
  private readonly acceptedCounts = { total: 0, byKind: {} as Record<string, number> };
  /** Per node: the image id the latest clutter snapshot waits for, so it can show it once saved. */
  /** Packets ingested before their acknowledgement (takeBeforeAck). */
  private readonly taken = new WeakSet<object>();
  private readonly awaitingImage = new Map<string, { imageId: string; ts: number }>();
  private readonly writes = new Set<Promise<void>>();
  /**
   * Per node: its messages waiting for a duplicate check that asked the database (a node's
   * first message, a replay), as one chain, so the node's later messages take effect after them.
   */
  private readonly ordered = new Map<string, Promise<void>>();
  private readonly messages: Fanout<DecodedMessage>;
  private unsubscribe: (() => void) | null = null;
  private received = 0;
  private imagesSaved = 0;
  private imageErrors = 0;

  constructor(options: IngestOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'ingest' });
    this.now = options.now ?? Date.now;
    this.invalid = new InvalidMessageCounter({ logger: this.logger, now: this.now });
    this.pairer = new ImagePairer({ windowMs: options.pairWindowMs ?? 60_000, now: this.now });
    this.messages = new Fanout({ logger: this.logger, what: 'ingest message' });
    this.duplicates = new DuplicateGuard({ sql: () => options.store.sql, perNode: Math.max(8192, 2 * (options.writeQueueItems ?? 0)) });
    this.admission = new NodeAdmission({
      live: options.live,
      maxNodesPerSite: options.maxNodesPerSite ?? Infinity,
      maxSites: options.maxSites ?? Infinity,
      ...(options.autoJoin ? { autoJoin: options.autoJoin } : {}),
      ...(options.admitted ? { admitted: options.admitted } : {}),
    });
  }

  /** Every valid message, decoded, after the store and the live snapshots took it. Returns the unsubscribe function. */
  onMessage(listener: (message: DecodedMessage) => void): () => void {
    return this.messages.subscribe(listener);
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.options.broker.onPublish((packet, client) => {
      if (!this.taken.has(packet)) this.onPublish(packet, client);
    });
  }

  /**
   * Ingests a client's QoS 1/2 message before the broker acknowledges it and resolves once it
   * is stored (MqttBroker's `beforeAck`); the 'publish' event then skips it.
   */
  takeBeforeAck(packet: AedesPublishPacket, client: Client): Promise<void> {
    this.taken.add(packet);
    this.onPublish(packet, client);
    return this.persisted();
  }

  /**
   * A message from an agent inside the hub's own process (the demo replaying its history):
   * decoded, checked and applied exactly like a client's publish, just without the network.
   */
  ingestLocal(topic: string, payload: Buffer): Promise<void> {
    this.onPublish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false } as AedesPublishPacket, null);
    // Taken once its duplicate check answered (at once for most; a node's first message asks the store).
    return this.ordered.size === 0 ? Promise.resolve() : Promise.all([...this.ordered.values()]).then(() => undefined);
  }

  stats(): IngestStats {
    const duplicates = { total: this.duplicateCounts.total, byKind: { ...this.duplicateCounts.byKind } };
    const accepted = { total: this.acceptedCounts.total, byKind: { ...this.acceptedCounts.byKind } };
    return { received: this.received, accepted, invalid: this.invalid.stats(), duplicates, imagesSaved: this.imagesSaved, imageErrors: this.imageErrors };
  }

  /** An admin admitted the node: its next message is accepted whatever the caps and auto-join say. */
  admitNode(site: string, node: string): void {
    this.admission.allow(site, node);
  }

  get invalidCount(): number {
    return this.invalid.count;
  }

  /** Resolves when every image write started so far has finished. */
  /**
   * Resolves once what was ingested so far is durable (rows committed, images on disk): the
   * hub acknowledges a QoS 1 PUBLISH only then (store-and-forward at the edge relies on it).
   */
  persisted(): Promise<void> {
    // Messages still waiting for their duplicate check are enqueued once it answers.
    if (this.ordered.size > 0) return Promise.all([...this.ordered.values()]).then(() => this.durable());
    return this.durable();
  }

  private durable(): Promise<void> {
    // Once per QoS 1 message: no async wrapper, and Promise.all only while images are being written.
    const rows = this.options.store.written();
    return this.writes.size === 0 ? rows : Promise.all([rows, ...this.writes]).then(() => undefined);
  }

  async settled(): Promise<void> {
    while (this.ordered.size > 0 || this.writes.size > 0) await Promise.allSettled([...this.ordered.values(), ...this.writes]);
  }

  async stop(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    unsubscribe?.();
    await this.settled();
    this.pairer.clear();
    this.awaitingImage.clear();
    this.duplicates.clear();
  }

  private onPublish(packet: AedesPublishPacket, _client: Client | null): void {
    const topic = packet.topic;
    // $SYS, other applications' topics and the hub's own commands are not ingested.
    if (typeof topic !== 'string' || !topic.startsWith(PREFIX) || this.options.broker.isOwn(packet)) return;
    let counted = false;
    try {
      const raw: unknown = packet.payload;
      const payload = Buffer.isBuffer(raw) ? raw : typeof raw === 'string' ? Buffer.from(raw) : Buffer.alloc(0);
      // An empty retained message only clears the retained copy (an operator tidying up).
      if (payload.length === 0 && packet.retain) return;
      const result = decodeMessage(topic, payload);
      if (!result.ok && result.kind === 'cmd') return; // hub → edge commands, whoever sent them
      this.received += 1;
      counted = true;
      if (!result.ok) {
        this.reject({ reason: result.reason, message: result.message, topic, kind: result.kind, ...(result.site ? { site: result.site, node: result.node } : attribute(topic)) });
        return;
      }
      const now = this.now();
      const { site, node, kind } = result.message;
      // Production events (cycle, quality, sensor faults) have a stricter shape than other events.
      const problem = result.message.kind === 'event' ? productionEventProblem(result.message.payload) : null;
      if (problem !== null) {
        this.reject({ reason: 'schema', message: problem, topic, kind, site, node });
        return;
      }
      const future = futureTimestamp(result.message, now, this.options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS);
      if (future !== null) {
        this.reject({ reason: 'future-ts', message: future, topic, kind, site, node });
        return;
      }
      const refusal = this.admission.admit(site, node);
      if (refusal !== null) {
        // Counted, and listed for admins as asking to join; no ingest_errors row per made-up id.
        const why = refusal === 'not-admitted' ? 'auto-join is off, waiting for an admin' : refusal.replace(/-/g, ' ');
        this.invalid.record({ reason: refusal, message: `new node refused: ${why}`, topic, kind, site, node });
        this.options.store.enqueue({ kind: 'join-request', site, node, receivedAt: now });
        return;
      }
      this.inNodeOrder(result.message, now, topic);
    } catch (err) {
      if (!counted) this.received += 1;
      this.failed(err, topic);
    }
  }

  private failed(err: unknown, topic: string): void {
    this.logger.error({ err, topic: topic.slice(0, 200) }, 'ingest failed on a message');
    try {
      this.reject({ reason: 'internal', message: err instanceof Error ? err.message : String(err), topic });
    } catch {
      // Counting must not be what breaks the broker.
    }
  }

  /**
   * Takes the message once the duplicate check answers: at once when memory knows (a live
   * stream), else after the database did — and after the node's earlier messages still waiting.
   */
  private inNodeOrder(msg: DecodedMessage, now: number, topic: string): void {
    // Most of the time no node waits: then no key is built (a string per message is garbage).
    const key = this.ordered.size === 0 ? null : `${msg.site}/${msg.node}`;
    const before = key === null ? undefined : this.ordered.get(key);
    if (!before) {
      const verdict = this.duplicates.seen(msg);
      if (typeof verdict === 'boolean') return this.take(msg, verdict, now);
      return this.chain(key ?? `${msg.site}/${msg.node}`, verdict.then((dup) => this.take(msg, dup, now)), topic);
    }
    this.chain(
      key as string,
      before.then(() => {
        const verdict = this.duplicates.seen(msg);
        return typeof verdict === 'boolean' ? this.take(msg, verdict, now) : verdict.then((dup) => this.take(msg, dup, now));
      }),
      topic,
    );
  }

  private chain(key: string, work: Promise<void>, topic: string): void {
    const link: Promise<void> = work
      .catch((err: unknown) => this.failed(err, topic))
      .finally(() => {
        if (this.ordered.get(key) === link) this.ordered.delete(key);
      });
    this.ordered.set(key, link);
  }

  private take(msg: DecodedMessage, duplicate: boolean, now: number): void {
    if (duplicate) {
      this.duplicate(msg, now);
      return;
    }
    this.apply(msg, now);
    this.acceptedCounts.total += 1;
    this.acceptedCounts.byKind[msg.kind] = (this.acceptedCounts.byKind[msg.kind] ?? 0) + 1;
    this.messages.emit(msg);
  }

  private reject(m: InvalidMessage): void {
    this.invalid.record(m);
    this.options.store.enqueue({ kind: 'ingest-error', site: m.site ?? '', node: m.node ?? '', reason: m.reason, message: m.message, receivedAt: this.now() });
  }

  /**
   * A message the hub already took: counted, the node was heard, nothing else — no row, no
   * live change or event, no webhook, so no rule sees it twice. A clutter result still offers
   * its image id: the image may be what did not arrive the first time.
   */
  private duplicate(msg: DecodedMessage, now: number): void {
    const { site, node } = msg;
    this.duplicateCounts.total += 1;
    this.duplicateCounts.byKind[msg.kind] = (this.duplicateCounts.byKind[msg.kind] ?? 0) + 1;
    this.options.store.enqueue({ kind: 'seen', site, node, receivedAt: now });
    this.options.live.update(site, node, (s) => ({ ...s, lastSeen: Math.max(s.lastSeen ?? 0, now) }));
    if (msg.kind === 'clutter' && msg.payload.imageId !== null && isValidImageId(msg.payload.imageId) && !this.options.images.has(site, node, msg.payload.imageId)) {
      const pair = this.pairer.offerClutter(`${site}/${node}`, msg.payload.imageId);
      if (pair) this.saveImage(site, node, pair.imageId, pair.jpeg);
    }
  }

  private apply(msg: DecodedMessage, now: number): void {
    const { site, node } = msg;
    const key = `${site}/${node}`;
    const store = this.options.store;
    const live = this.options.live;
    const seen = heard(now);

    switch (msg.kind) {
      case 'status': {
        const p = msg.payload;
        const backlog = backlogOf(p, now);
        store.enqueue({ kind: 'status', site, node, receivedAt: now, ts: p.ts, online: p.online, agent: p.agent, version: p.version, detail: p.detail ?? null, backlog: backlog && JSON.stringify(backlog) });
        live.update(site, node, statusChange(p, now, backlog));
        break;
      }
      case 'current': {
        const p = msg.payload;
        store.enqueue({ kind: 'reading', site, node, receivedAt: now, ts: p.ts, seq: p.seq, irms: p.irms });
        live.update(site, node, currentChange(p, now));
        break;
      }
      case 'state': {
        const p = msg.payload;
        store.enqueue({ kind: 'state', site, node, receivedAt: now, ts: p.ts, state: p.state, since: p.since, irms: p.irms });
        live.update(site, node, stateChange(p, now));
        break;
      }
      case 'event': {
        const { ts, seq, type, ...data } = msg.payload;
        store.enqueue({ kind: 'event', site, node, receivedAt: now, ts, seq, type, data });
        live.update(site, node, seen);
        live.emit({ type: 'event', site, node, event: { ...data, ts, seq, type } });
        break;
      }
      case 'clutter': {
        const p = msg.payload;
        store.enqueue({ kind: 'clutter', site, node, receivedAt: now, ts: p.ts, seq: p.seq, score: p.score, coveredRatio: p.coveredRatio, slot: p.slot, imageId: p.imageId });
        const imageId = p.imageId !== null && isValidImageId(p.imageId) ? p.imageId : null;
        // The snapshot names the image only once it is on disk, so the dashboard never links a 404.
        const onDisk = imageId !== null && this.options.images.has(site, node, imageId);
        const updated = live.update(site, node, clutterChange(p, now, onDisk ? imageId : null));
        if (imageId !== null && !onDisk) {
          if (updated.clutter?.ts === p.ts) this.awaitingImage.set(key, { imageId, ts: p.ts });
          const pair = this.pairer.offerClutter(key, imageId);
          if (pair) this.saveImage(site, node, pair.imageId, pair.jpeg);
        }
        break;
      }
      case 'motion': {
        const p = msg.payload;
        store.enqueue({ kind: 'motion', site, node, receivedAt: now, ts: p.ts, active: p.active });
        live.update(site, node, motionChange(p, now));
        break;
      }
      case 'image': {
        store.enqueue({ kind: 'seen', site, node, receivedAt: now });
        live.update(site, node, seen);
        const pair = this.pairer.offerImage(key, msg.payload);
        if (pair) this.saveImage(site, node, pair.imageId, pair.jpeg);
        break;
      }
    }
  }

  private saveImage(site: string, node: string, imageId: string, jpeg: Buffer): void {
    const key = `${site}/${node}`;
    const write = this.options.images
      .save(site, node, imageId, jpeg)
      .then(() => {
        this.imagesSaved += 1;
        const waiting = this.awaitingImage.get(key);
        if (waiting?.imageId !== imageId) return;
        this.awaitingImage.delete(key);
        this.options.live.update(site, node, (s) =>
          s.clutter && s.clutter.ts === waiting.ts && s.clutter.imageId === null ? { ...s, clutter: { ...s.clutter, imageId } } : s,
        );
      })
      .catch((err: unknown) => {
        this.imageErrors += 1;
        this.logger.error({ err, site, node, imageId }, 'cannot save clutter image');
      })
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }
}
