/**
 * The hub: starts small services in order and stops them in reverse (like zigbee2mqtt's
 * controller). Store → reports → production figures → MQTT persistence → broker → ingest → alerts → MQTT/TCP → HTTP (dashboard and
 * MQTT over WebSocket). Stopping closes the listeners first, so every message the broker
 * accepted has reached ingest before the store's final flush.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { systemNow, topicFor, type ClusterStatus, type Config, type HubStats, type JoinRequest, type JoinRequestOutcome, type NodeRemovalOutcome, type Now, type SystemInfo } from '@mieruka/protocol';
import { Alerts } from './alerts/alerts.js';
import { createAlertChannels } from './alerts/channels.js';
import { SqlSessionRecords } from './auth/sql-session-records.js';
import { SqlUserVerifier } from './auth/sql-user-verifier.js';
import { ClutterHistory } from './clutter-history/clutter-history.js';
import { clutterWebhookFromConfig, type ClutterWebhook } from './clutter-history/clutter-webhook.js';
import { DailyUtilizationPost } from './clutter-history/daily-utilization-post.js';
import { ImagePruner } from './clutter-history/image-pruner.js';
import { Thumbnails } from './clutter-history/thumbnails.js';
import { NO_FRONT_END, type MountHttp } from './http/http-front-end.js';
import { isMetricsRequest, MetricsEndpoint } from './http/metrics-endpoint.js';
import { HttpServer } from './http/http-server.js';
import { HubDataSource } from './hub-data-source.js';
import { HomeAssistantDiscovery } from './integrations/home-assistant/home-assistant-discovery.js';
import { ImageStore } from './ingest/image-store.js';
import { Ingest, type IngestStats } from './ingest/ingest.js';
import { LiveState } from './ingest/live-state.js';
import { PeerLiveMirror } from './ingest/peer-live-mirror.js';
import { HubMetrics } from './metrics/hub-metrics.js';
import { BrokerPersistence, type BrokerState } from './mqtt/broker-persistence.js';
import { mqttAccessFromConfig } from './mqtt/mqtt-access-config.js';
import type { MqttAccessControl } from './mqtt/mqtt-auth.js';
import { MqttBroker } from './mqtt/mqtt-broker.js';
import { MqttLimits } from './mqtt/mqtt-limits.js';
import type { RedisHealth } from './mqtt/redis-link.js';
import { MqttServer } from './mqtt/mqtt-server.js';
import { loadMqttTlsFiles, type MqttTlsFiles } from './mqtt/mqtt-tls-files.js';
import { MqttTlsServer } from './mqtt/mqtt-tls-server.js';
import { MqttWebSocketGateway } from './mqtt/mqtt-websocket.js';
import { productionRowObservers } from './production/production-ingest.js';
import { ProductionService } from './production/production-service.js';
import type { Timers } from './production/stop-watch.js';
import { ReportsService } from './reports/reports-service.js';
import { EdgeSettingsPublisher } from './settings/edge-settings-publisher.js';
import { RuntimeSettingsService } from './settings/runtime-settings.js';
import { admitJoinRequest, countJoinRequests, dismissJoinRequest, listAdmitted, listJoinRequests } from './store/join-requests.js';
import { deleteNodeRow } from './store/node-removal.js';
import { RetentionPruner } from './store/retention-pruner.js';
import { Store } from './store/store.js';
import { LeaderDuties } from './cluster/leader-duties.js';
import { SoleLeadership, type Leadership } from './cluster/leadership.js';
import { PostgresLeadership } from './cluster/postgres-leadership.js';
import { LiveUnion } from './ingest/live-union.js';
import { disablePacketNumberCache } from './packet-number-cache.js';

export type HubOptions = {
  config: Readonly<Config>;
  logger: Logger;
  /**
   * Builds what the HTTP port serves besides MQTT over WebSocket (the dashboard, wired by the
   * composition root). Default: nothing, every request gets a 404.
   */
  mountHttp?: MountHttp;
  /** The one clock of every hub service and the front end (tests pass their own). Default: the system clock. */
  now?: Now;
  /** Timers that go with `now` (the production stop watch); tests with a held clock drive their own. Default: setTimeout. */
  timers?: Timers;
};

type Service = { name: string; stop(): Promise<void> | void };

/** The address a local client uses to reach a listener bound to `host`. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '' || host === 'localhost') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export class Hub {
  private readonly config: Readonly<Config>;
  private readonly options: HubOptions;
  private readonly logger: Logger;
  /** The hub's clock. */
  readonly now: Now;
  readonly dataDir: string;
  readonly live: LiveState;
  /** Fleet mode: the other hubs' nodes, live only (no store, no rules); null on a single hub. */
  readonly peerLive: LiveState | null;
  /** Whether this hub leads (always on a single hub once started; fleet mode: the PostgreSQL lock). */
  private leadership: Leadership | null = null;
  private leaderDuties: LeaderDuties | null = null;
  readonly images: ImageStore;
  /** What the dashboard reads (also handy for tests and other front ends). */
  readonly dataSource: HubDataSource;
  /** Machine timeline, jobs and utilization over the store. */
  readonly reports: ReportsService;
  /** OEE, downtime stops and reasons, quality entries, energy (docs/oee.md). */
  readonly production: ProductionService;
  /** Alarm rules, lifecycle and alert channels (mail, towers, webhooks). */
  readonly alerts: Alerts;
  /** Clutter scores over time, image thumbnails and image retention. */
  readonly clutter: ClutterHistory;
  readonly thumbnails: Thumbnails;
  readonly imagePruner: ImagePruner;
  /** Deletes old rows every night (hub.retention). */
  readonly retention: RetentionPruner;
  /** What admins change in the dashboard (thresholds, schedules, recipients), applied while running. */
  readonly settings: RuntimeSettingsService;
  /** Posts each clutter score (null when hub.clutterWebhook is not configured). */
  readonly clutterWebhook: ClutterWebhook | null;
  /** Home Assistant MQTT discovery (hub.homeAssistant); clears what it published when switched off. */
  readonly homeAssistant: HomeAssistantDiscovery;
  /** What one MQTT client may cost, and the count of refusals (kept across restarts of the hub object). */
  readonly mqttLimits: MqttLimits;
  /** Prometheus metrics, served at GET /metrics (kept across restarts of the hub object, like the refusals). */
  readonly metrics: HubMetrics;
  private storeInstance: Store | null = null;
  private brokerInstance: MqttBroker | null = null;
  private ingest: Ingest | null = null;
  private mqttServer: MqttServer | null = null;
  private mqttTlsServer: MqttTlsServer | null = null;
  private httpServer: HttpServer | null = null;
  private usersInstance: SqlUserVerifier | null = null;
  private mqttAccess: MqttAccessControl | null = null;
  /** Fleet mode: the Redis-backed broker state (its link's health goes into stats). */
  private redisState: { health(): RedisHealth | null; stop(): Promise<void> } | null = null;
  /** Started services, stopped in reverse. */
  private started: Service[] = [];
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private startedAt = 0;
  /** Last counters, kept after stop. */
  private lastIngest: IngestStats | null = null;

  constructor(options: HubOptions) {
    this.options = options;
    this.config = options.config;
    this.logger = options.logger.child({ component: 'hub' });
    const now = options.now ?? systemNow;
    this.now = now;
    this.dataDir = resolve(options.config.hub.dataDir);
    this.live = new LiveState({ logger: this.logger });
    this.peerLive = options.config.hub.cluster ? new LiveState({ logger: this.logger.child({ view: 'peers' }) }) : null;
    this.images = new ImageStore({ root: join(this.dataDir, 'images') });
    const fleet = options.config.hub.store !== undefined;
    this.reports = new ReportsService({
      sql: () => this.store.sql,
      fleet,
      timeZone: options.config.timezone,
      shifts: options.config.shifts,
      site: options.config.site,
      machines: options.config.machines,
      logger: options.logger,
      now,
    });
    this.production = new ProductionService({
      sql: () => this.store.sql,
      reports: this.reports,
      live: this.live,
      config: options.config,
      logger: options.logger,
      now,
      ...(options.timers ? { timers: options.timers } : {}),
    });
    this.alerts = new Alerts({
      config: options.config,
      sql: () => this.store.sql,
      // The leading hub's rules watch every hub's nodes.
      live: new LiveUnion(this.live, this.peerLive),
      ...(fleet ? { fleet: { changeFeedMs: 1_000 } } : {}),
      dataDir: this.dataDir,
      now,
      channels: createAlertChannels(options.config, {
        sql: () => this.store.sql,
        logger: options.logger,
        now,
        // Relay towers publish cmd/patlite through the hub's broker once it runs.
        publish: (message) => this.broker.publish(message),
        isOnline: (site, node) => this.live.get(site, node)?.online ?? undefined,
      }),
      logger: options.logger,
    });
    const { images: imageLimits } = options.config.hub;
    this.clutter = new ClutterHistory({ sql: () => this.store.sql, images: this.images, site: options.config.site, stations: options.config.stations });
    this.thumbnails = new Thumbnails({ images: this.images, logger: options.logger });
    this.imagePruner = new ImagePruner({
      images: this.images,
      retentionDays: imageLimits.retentionDays,
      maxTotalBytes: imageLimits.maxTotalMB * 1024 * 1024,
      intervalMs: imageLimits.pruneIntervalMin * 60_000,
      logger: options.logger,
      now,
    });
    this.retention = new RetentionPruner({
      sql: () => this.store.sql,
      retention: options.config.hub.retention,
      timeZone: options.config.timezone,
      now,
      logger: options.logger,
    });
    this.clutterWebhook = clutterWebhookFromConfig(options.config, options.logger);
    this.homeAssistant = new HomeAssistantDiscovery({
      config: options.config,
      live: this.live,
      reports: this.reports,
      publish: (message) => this.broker.publish(message),
      stored: () => this.flush(),
      recordFile: join(this.dataDir, 'home-assistant.json'),
      now,
      logger: options.logger,
    });
    this.mqttLimits = new MqttLimits({ limits: options.config.hub.mqtt.limits, logger: options.logger, now });
    this.settings = new RuntimeSettingsService({
      fileConfig: options.config,
      sql: () => this.store.sql,
      targets: [
        { name: 'alerts', reconfigure: (config) => this.alerts.reconfigure(config) },
        { name: 'reports', reconfigure: (config) => this.reports.reconfigure({ shifts: config.shifts, machines: config.machines }) },
        { name: 'production', reconfigure: (config) => this.production.reconfigure(config) },
        { name: 'clutter-history', reconfigure: (config) => this.clutter.reconfigure(config.stations) },
        new EdgeSettingsPublisher({ publish: (message) => this.broker.publish(message), logger: this.logger, now }),
      ],
      knownNodes: () => {
        const nodes = this.live.list().filter((n) => n.site === options.config.site);
        return { machines: nodes.filter((n) => n.state || n.current).map((n) => n.node), stations: nodes.filter((n) => n.clutter).map((n) => n.node) };
      },
      logger: options.logger,
      now,
    });
    this.metrics = new HubMetrics({
      stats: () => this.stats(),
      joinRequestCount: () => this.joinRequestCount(),
      ingestStats: () => this.ingestStats(),
      alarmsActive: () => this.alerts.activeBySeverity(),
      queues: () => this.queueDepths(),
      nodes: () => this.live.list(),
      retentionLastRun: () => this.retention.lastRun,
    });
    this.dataSource = new HubDataSource({
      live: this.live,
      ...(this.peerLive ? { peers: this.peerLive } : {}),
      images: this.images,
      stats: () => this.stats(),
      reports: this.reports,
      production: this.production,
      alerts: this.alerts,
      clutter: this.clutter,
      thumbnails: this.thumbnails,
      settings: this.settings,
      system: this,
    });
  }

  get running(): boolean {
    return this.httpServer !== null;
  }

  get mqttPort(): number {
    if (!this.mqttServer) throw new Error('hub is not started');
    return this.mqttServer.port;
  }

  /** The bound MQTT over TLS port; null when hub.mqtt.tls is not configured. */
  get mqttTlsPort(): number | null {
    if (!this.mqttServer) throw new Error('hub is not started');
    return this.mqttTlsServer?.port ?? null;
  }

  get httpPort(): number {
    if (!this.httpServer) throw new Error('hub is not started');
    return this.httpServer.port;
  }

  get mqttUrl(): string {
    return `mqtt://${connectHost(this.config.hub.mqtt.host)}:${this.mqttPort}`;
  }

  /** mqtts:// URL of the TLS listener; null without hub.mqtt.tls. */
  get mqttsUrl(): string | null {
    const port = this.mqttTlsPort;
    const tls = this.config.hub.mqtt.tls;
    if (port === null || !tls) return null;
    return `mqtts://${connectHost(tls.host ?? this.config.hub.mqtt.host)}:${port}`;
  }

  get httpUrl(): string {
    return `http://${connectHost(this.config.hub.http.host)}:${this.httpPort}`;
  }

  /** MQTT over WebSocket on the HTTP port. */
  get mqttWsUrl(): string {
    return `ws://${connectHost(this.config.hub.http.host)}:${this.httpPort}${this.config.hub.mqtt.wsPath}`;
  }

  get store(): Store {
    if (!this.storeInstance) throw new Error('hub is not started');
    return this.storeInstance;
  }

  get broker(): MqttBroker {
    if (!this.brokerInstance) throw new Error('hub is not started');
    return this.brokerInstance;
  }

  get users(): SqlUserVerifier {
    if (!this.usersInstance) throw new Error('hub is not started');
    return this.usersInstance;
  }

  stats(): HubStats {
    const ingest = this.ingest?.stats() ?? this.lastIngest;
    return {
      startedAt: this.startedAt,
      messagesReceived: ingest?.received ?? 0,
      messagesInvalid: ingest?.invalid.total ?? 0,
      messagesDuplicate: ingest?.duplicates.total ?? 0,
      invalidByReason: { ...ingest?.invalid.byReason },
      rowsWritten: this.storeInstance?.rowsWritten ?? 0,
      clientsConnected: this.brokerInstance?.clientsConnected ?? 0,
      mqttRefused: { ...(this.mqttAccess?.stats() ?? { connect: {}, publish: {}, subscribe: {} }), limits: this.mqttLimits.stats() },
      metricsRefused: this.metrics.refusalCounts(),
      ...this.clusterStats(),
    };
  }

  /** Fleet mode: this hub's id and its Redis link; nothing for a single hub. */
  private clusterStats(): { cluster?: ClusterStatus } {
    const { cluster, store } = this.config.hub;
    if (!cluster && !store) return {};
    const status: ClusterStatus = { hubId: this.hubId };
    if (cluster) {
      const redis = this.redisState?.health() ?? { connected: false, disconnects: 0, errors: 0 };
      status.redis = { connected: redis.connected, disconnects: redis.disconnects, errors: redis.errors };
    }
    if (store) {
      const leader = this.leadership?.status();
      status.leader = { leading: leader?.leading ?? false, since: leader?.since ?? null, terms: leader?.terms ?? 0 };
    }
    return { cluster: status };
  }

  /** Whether this hub runs the leader's duties now (a single hub: once started). */
  get leading(): boolean {
    return this.leaderDuties?.isLeading ?? false;
  }

  /** hub.cluster.hubId, else the host name (two hubs on one host must set it). */
  get hubId(): string {
    return this.config.hub.cluster?.hubId ?? hostname();
  }

  /** Items waiting per queue: each alert channel (mail, webhook, towers), the clutter webhook, the store's writes. */
  queueDepths(): Record<string, number> {
    const queues: Record<string, number> = {};
    for (const channel of this.alerts.channels) {
      const pending = channel.status().pending;
      if (pending !== undefined) queues[channel.name] = pending;
    }
    if (this.clutterWebhook) queues['clutter-webhook'] = this.clutterWebhook.stats().queued;
    queues['store-writes'] = this.storeInstance?.writerStats().queued ?? 0;
    queues['mqtt-deliveries'] = this.brokerInstance?.deliveries().waiting ?? 0;
    return queues;
  }

  /** New nodes refused past the caps, for admins to see (empty before the first start). */
  async joinRequests(): Promise<JoinRequest[]> {
    return this.storeInstance?.started ? listJoinRequests(this.storeInstance.sql) : [];
  }

  /** How many nodes are asking to join (the System page, GET /metrics); 0 before the first start. */
  async joinRequestCount(): Promise<number> {
    return this.storeInstance?.started ? countJoinRequests(this.storeInstance.sql) : 0;
  }

  /** Counters, listeners and nodes asking to join, for the dashboard's System page. */
  async systemInfo(): Promise<SystemInfo> {
    const { mqtt, http } = this.config.hub;
    const { maxNodesPerSite, maxSites, autoJoin } = this.settings.config.hub.ingest;
    const { readingsDays, historyDays, at } = this.config.hub.retention;
    return {
      stats: { ...this.stats(), nodesAskingToJoin: await this.joinRequestCount() },
      listeners: {
        mqtt: { host: mqtt.host, port: this.mqttServer?.port ?? mqtt.port, anonymous: mqtt.anonymous },
        mqttWs: { path: mqtt.wsPath },
        http: { host: http.host, port: this.httpServer?.port ?? http.port },
      },
      admission: { autoJoin, maxNodesPerSite, maxSites },
      joinRequests: await this.joinRequests(),
      retention: { readingsDays, historyDays, at, nextRunAt: this.retention.nextRunAt, lastRun: this.retention.lastRun },
    };
  }

  /** An admin lets a node asking to join in: its next message is accepted (also after a restart). */
  async admitJoinRequest(site: string, node: string, by: string): Promise<JoinRequestOutcome> {
    const store = this.storeInstance;
    if (!store?.started || !(await admitJoinRequest(store.sql, site, node, by, this.now()))) return { outcome: 'not-found' };
    this.ingest?.admitNode(site, node);
    this.logger.info({ site, node, by }, 'node admitted');
    return { outcome: 'admitted' };
  }

  /** An admin forgets a node's request; it is listed again if it reports again. */
  async dismissJoinRequest(site: string, node: string, by: string): Promise<JoinRequestOutcome> {
    const store = this.storeInstance;
    if (!store?.started || !(await dismissJoinRequest(store.sql, site, node))) return { outcome: 'not-found' };
    this.logger.info({ site, node, by }, 'join request dismissed');
    return { outcome: 'dismissed' };
  }

  /**
   * An admin removes a node that is gone for good: it leaves the node list and the live state,
   * and what the hub published about it (Home Assistant discovery) is cleared. Its history
   * stays. If its agent reports again, it is a new node (admission rules apply).
   */
  async removeNode(site: string, node: string, by: string): Promise<NodeRemovalOutcome> {
    const store = this.storeInstance;
    if (!store?.started) return { outcome: 'not-found' };
    // Queued rows first, so none of them brings the node back.
    await this.flush();
    const deleted = await deleteNodeRow(store.sql, site, node);
    const forgotten = this.live.remove(site, node);
    this.peerLive?.remove(site, node); // fleet mode: also from the other hubs' live view until it reports again
    if (!deleted && !forgotten) return { outcome: 'not-found' };
    // Its retained status and state would still tell MQTT subscribers it exists (ingest ignores empty retained messages).
    for (const kind of ['status', 'state'] as const) await this.broker.publish({ topic: topicFor(site, node, kind), payload: '', retain: true });
    await this.homeAssistant.forget(site, node);
    this.logger.info({ site, node, by }, 'node removed');
    return { outcome: 'removed' };
  }

  ingestStats(): IngestStats {
    return this.ingest?.stats() ?? this.lastIngest ?? { received: 0, accepted: { total: 0, byKind: {} }, invalid: { total: 0, byReason: {}, byNode: {} }, duplicates: { total: 0, byKind: {} }, imagesSaved: 0, imageErrors: 0 };
  }

  /**
   * Takes a message an agent inside this process published (the demo's history): the same
   * ingest as from an MQTT client — validated, stored, applied to the live state the rules
   * and roll-ups follow. Throws when the hub is not started. Resolves once the message took
   * effect (live state, rules); it is stored with the next batch.
   */
  ingestLocal(topic: string, payload: Buffer): Promise<void> {
    if (!this.ingest) throw new Error('hub is not started');
    return this.ingest.ingestLocal(topic, payload);
  }

  /** Writes queued rows now and waits for image writes (tests, backups). */
  async flush(): Promise<void> {
    await this.ingest?.settled();
    await this.storeInstance?.flush();
  }

  start(): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('hub is stopping'));
    this.starting ??= this.doStart().catch(async (err: unknown) => {
      this.logger.error({ err }, 'hub failed to start');
      await this.stopServices();
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.startedAt = this.now();
    this.lastIngest = null;
    // First: a bad certificate path stops the start before anything opens.
    const tlsConfig = this.config.hub.mqtt.tls;
    const tlsFiles = tlsConfig ? await loadMqttTlsFiles(tlsConfig) : null;

    const store = await this.startStore();

    // Before ingest: it records this run, so the time the hub was down counts as unknown.
    await this.reports.start();
    this.started.push({ name: 'reports', stop: () => this.reports.stop() });
    this.production.start();
    this.started.push({ name: 'production', stop: () => this.production.stop() });

    const users = await this.startUsers(store);
    const broker = await this.startBroker(store);

    // Before ingest and alerts: they start with the settings an admin saved, and edge agents get theirs.
    await this.settings.start();
    this.started.push({ name: 'settings', stop: () => this.settings.stop() });

    const ingest = await this.startIngest(broker, store);

    this.imagePruner.start();
    this.started.push({ name: 'image-pruner', stop: () => this.imagePruner.stop() });
    const daily = this.startClutterWebhook(ingest);

    // After ingest, before any client can connect: every message ingest applies is seen by the rules.
    await this.alerts.start();
    this.started.push({ name: 'alerts', stop: () => this.alerts.stop() });
    await this.startLeaderDuties(daily);

    // Retained configs are in place (or cleared) before Home Assistant can connect.
    await this.homeAssistant.start();
    this.started.push({ name: 'home-assistant', stop: () => this.homeAssistant.stop() });

    await this.startListeners(broker, users, tlsFiles);

    const mqtts = this.mqttsUrl;
    this.logger.info({ mqtt: this.mqttUrl, ...(mqtts ? { mqtts } : {}), http: this.httpUrl, ws: this.mqttWsUrl, dataDir: this.dataDir, nodes: this.live.size }, 'hub started');
  }

  /** The store, and the live snapshots loaded from it. */
  private async startStore(): Promise<Store> {
    const { batchSize, flushIntervalMs } = this.config.hub.ingest;
    const postgresUrl = this.config.hub.store?.url;
    const store = new Store({
      dataDir: this.dataDir,
      ...(postgresUrl ? { postgresUrl } : {}),
      batchSize,
      flushIntervalMs,
      logger: this.options.logger,
      now: this.now,
      onStored: (row, waitedMs) => this.metrics.stored(row, waitedMs),
      // Cycles, button quality entries and energy per quarter hour, written with their batch.
      observers: () => productionRowObservers({ config: () => this.settings.config, now: this.now }),
    });
    await store.start();
    this.storeInstance = store;
    this.started.push({ name: 'store', stop: () => store.stop() });

    // A restarted hub shows the last known state at once; an image shows only if its file exists.
    this.live.load(
      (await store.loadSnapshots()).map((s) =>
        s.clutter?.imageId && !this.images.has(s.site, s.node, s.clutter.imageId) ? { ...s, clutter: { ...s.clutter, imageId: null } } : s,
      ),
    );
    return store;
  }

  private async startUsers(store: Store): Promise<SqlUserVerifier> {
    const { config } = this;
    const users = new SqlUserVerifier({ sql: store.sql, logger: this.options.logger, now: this.now });
    this.usersInstance = users;
    if (config.dashboard.adminPassword) await users.ensureAdmin(config.dashboard.adminUser, config.dashboard.adminPassword);
    else if ((await users.list()).length === 0) this.logger.warn('no dashboard users: set dashboard.adminPassword to be able to log in');
    return users;
  }

  /** MQTT persistence, then the broker (no listener yet) with its accounts and ACL. */
  private async startBroker(store: Store): Promise<MqttBroker> {
    const hubLogger = this.options.logger;
    disablePacketNumberCache();
    const { access, accounts } = await mqttAccessFromConfig(this.config, store.sql, hubLogger, this.now);
    this.mqttAccess = access;
    await accounts.watch();
    this.started.push({ name: 'mqtt-accounts', stop: () => accounts.unwatch() });
    const persistence = await this.brokerState();
    await persistence.start();
    this.started.push({ name: 'mqtt-persistence', stop: () => persistence.stop() });

    // QoS 1 is acknowledged once ingest has stored the message (issue 15: zero loss).
    const broker = new MqttBroker({ persistence, logger: hubLogger, access, limits: this.mqttLimits, beforeAck: (packet, client) => this.ingest?.takeBeforeAck(packet as Parameters<Ingest['takeBeforeAck']>[0], client) ?? Promise.resolve() });
    await broker.start();
    this.brokerInstance = broker;
    this.started.push({ name: 'mqtt-broker', stop: () => broker.stop() });
    if (this.peerLive) {
      const mirror = new PeerLiveMirror({ broker, live: this.peerLive, now: this.now });
      mirror.start();
      this.started.push({ name: 'peer-live', stop: async () => mirror.stop() });
    }
    return broker;
  }

  /**
   * LevelDB in the data dir, or, in fleet mode, Redis shared with the other hubs. The Redis
   * modules are imported only then, so a single hub never loads them (lazy-modules.test.ts).
   */
  private async brokerState(): Promise<BrokerState> {
    const cluster = this.config.hub.cluster;
    if (!cluster) return new BrokerPersistence({ dir: join(this.dataDir, 'mqtt'), logger: this.options.logger });
    const { RedisBrokerState } = await import('./mqtt/redis-broker-state.js');
    const state = new RedisBrokerState({ redisUrl: cluster.redisUrl, hubId: this.hubId, logger: this.options.logger });
    this.redisState = state;
    return state;
  }

  private async startIngest(broker: MqttBroker, store: Store): Promise<Ingest> {
    const { maxFutureSkewS, maxNodesPerSite, maxSites, batchSize } = this.config.hub.ingest;
    // Read once here (node admission reads it once anyway); later admissions reach ingest through admitNode.
    const admitted = await listAdmitted(store.sql);
    const limits = {
      writeQueueItems: batchSize,
      maxFutureSkewMs: maxFutureSkewS * 1000,
      maxNodesPerSite,
      maxSites,
      // The runtime settings' value: an admin switches it on the settings page, no restart.
      autoJoin: () => this.settings.config.hub.ingest.autoJoin,
      admitted: () => admitted,
    };
    const ingest = new Ingest({ broker, store, live: this.live, images: this.images, logger: this.options.logger, now: this.now, ...limits });
    await ingest.start();
    this.ingest = ingest;
    this.started.push({
      name: 'ingest',
      stop: async () => {
        await ingest.stop();
        this.lastIngest = ingest.stats();
      },
    });
    return ingest;
  }

  /** Returns the daily utilization post when configured (started by the leader duties). */
  private startClutterWebhook(ingest: Ingest): DailyUtilizationPost | null {
    const webhook = this.clutterWebhook;
    if (!webhook) return null;
    webhook.start();
    // Every clutter score ingest accepted (decoded once, there); invalid ones ingest counts.
    const off = ingest.onMessage((message) => {
      if (message.kind === 'clutter') webhook.offer(message.site, message.node, message.payload);
    });
    const daily = this.config.hub.clutterWebhook?.dailyUtilization
      ? new DailyUtilizationPost({ reports: this.reports, webhook, now: this.now, logger: this.options.logger })
      : null;
    this.started.push({
      name: 'clutter-webhook',
      stop: async () => {
        await daily?.stop();
        off();
        await webhook.stop();
      },
    });
    return daily;
  }

  /**
   * What only one hub of a fleet does, on the one that leads: the alert rules and channels,
   * roll-ups and the run record, nightly retention, the daily utilization post. A single hub
   * (SQLite) always leads; in fleet mode (hub.store.url) a PostgreSQL advisory lock decides.
   */
  private async startLeaderDuties(daily: DailyUtilizationPost | null): Promise<void> {
    const store = this.config.hub.store;
    const leadership: Leadership = store
      ? new PostgresLeadership({ url: store.url, hubId: this.hubId, logger: this.options.logger, now: this.now, retryMs: store.failoverS * 1000, keepAliveMs: store.failoverS * 1000 })
      : new SoleLeadership({ logger: this.options.logger, now: this.now });
    if (store && !this.config.alerts.ackSecret) {
      this.logger.warn('hub.store.url without alerts.ackSecret: this hub signs mail links with its own secret, so another hub refuses them (set the same alerts.ackSecret on every hub)');
    }
    if (store && !this.config.hub.cluster) {
      this.logger.warn('hub.store.url without hub.cluster: a second hub on this database would not see this hub\'s nodes, nor the leader its nodes (set hub.cluster.redisUrl on every hub)');
    }
    const duties = new LeaderDuties({
      leadership,
      logger: this.options.logger,
      duties: [
        { name: 'reports', lead: () => this.reports.lead(), follow: () => this.reports.follow() },
        { name: 'alerts', lead: () => this.alerts.lead(), follow: () => this.alerts.follow() },
        { name: 'retention', lead: () => this.retention.start(), follow: () => this.retention.stop() },
        ...(daily ? [{ name: 'daily-utilization', lead: () => daily.start(), follow: () => daily.stop() }] : []),
      ],
    });
    this.leadership = leadership;
    this.leaderDuties = duties;
    // Stopped before the services it drives (the started list stops in reverse).
    this.started.push({ name: 'leadership', stop: () => duties.stop() });
    await duties.start();
  }

  /** MQTT over TCP, TLS (when configured) and WebSocket, the HTTP front end (the dashboard, when mounted), the HTTP port. */
  private async startListeners(broker: MqttBroker, users: SqlUserVerifier, tlsFiles: MqttTlsFiles | null): Promise<void> {
    const { config } = this;
    const hubLogger = this.options.logger;
    const mqttServer = new MqttServer({ broker, host: config.hub.mqtt.host, port: config.hub.mqtt.port, logger: hubLogger });
    await mqttServer.start();
    this.mqttServer = mqttServer;
    this.started.push({ name: 'mqtt-tcp', stop: () => mqttServer.stop() });

    const tls = config.hub.mqtt.tls;
    if (tls && tlsFiles) {
      const host = tls.host ?? config.hub.mqtt.host;
      const tlsServer = new MqttTlsServer({ broker, files: tlsFiles, host, port: tls.port, logger: hubLogger, limits: this.mqttLimits });
      await tlsServer.start();
      this.mqttTlsServer = tlsServer;
      this.started.push({ name: 'mqtt-tls', stop: () => tlsServer.stop() });
    }

    const sessions = new SqlSessionRecords(this.store.sql);
    const frontEnd = this.options.mountHttp?.({ dataSource: this.dataSource, users, sessions, logger: hubLogger, config, now: this.now }) ?? NO_FRONT_END;
    this.started.push({ name: 'dashboard', stop: () => frontEnd.close() });
    this.metrics.siteRefusals = frontEnd.siteRefusals?.bind(frontEnd) ?? null;

    const authorizeUpgrade = frontEnd.authorizeUpgrade?.bind(frontEnd);
    // A little above the packet limit, so the packet guard (which counts) decides, not ws.
    const maxPayloadBytes = config.hub.mqtt.limits.maxPayloadBytes + 5;
    const mqttWs = new MqttWebSocketGateway({
      broker,
      path: config.hub.mqtt.wsPath,
      logger: hubLogger,
      maxPayloadBytes,
      ...(authorizeUpgrade ? { authorize: authorizeUpgrade } : {}),
    });
    mqttWs.start();
    this.started.push({ name: 'mqtt-websocket', stop: () => mqttWs.stop() });

    // GET /metrics is the hub's own; the front end only says who a request's session belongs to.
    const requestUser = frontEnd.requestUser?.bind(frontEnd);
    const metrics = new MetricsEndpoint({
      render: () => this.metrics.render(),
      token: config.hub.metrics?.token,
      ...(requestUser ? { requestUser } : {}),
      refused: (reason) => this.metrics.refused(reason),
      logger: hubLogger,
      now: this.now,
    });
    const http = new HttpServer({
      host: config.hub.http.host,
      port: config.hub.http.port,
      handler: (req, res) => (isMetricsRequest(req) ? metrics.handle(req, res) : frontEnd.app(req, res)),
      upgradeHandlers: [(req, socket, head) => mqttWs.handleUpgrade(req, socket, head), (req, socket, head) => frontEnd.handleUpgrade(req, socket, head)],
      logger: hubLogger,
    });
    await http.start();
    this.httpServer = http;
    this.started.push({ name: 'http', stop: () => http.stop() });
  }

  /** Stops every service in reverse start order. Idempotent; safe after a failed start. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        // A start still waiting for Redis (fleet mode, Redis away) gives up now instead of holding the stop.
        if (this.starting && !this.brokerInstance) await this.redisState?.stop();
        await this.starting?.catch(() => undefined);
        // Before any connection closes: what the broker acknowledged is routed first (MqttBroker.quiesce).
        if (this.brokerInstance?.started) await this.brokerInstance.quiesce();
      } finally {
        await this.stopServices();
        this.starting = null;
        this.stopping = null;
      }
    })();
    return this.stopping;
  }

  private async stopServices(): Promise<void> {
    const services = this.started.reverse();
    this.started = [];
    for (const service of services) {
      try {
        await service.stop();
      } catch (err) {
        this.logger.error({ err, service: service.name }, 'error while stopping');
      }
    }
    if (services.length > 0) this.logger.info('hub stopped');
    this.httpServer = null;
    this.mqttServer = null;
    this.mqttTlsServer = null;
    this.ingest = null;
    this.brokerInstance = null;
    this.usersInstance = null;
    // The store object stays: stats() still reports what it wrote. Live subscribers stay too:
    // they belong to whoever subscribed.
  }
}
