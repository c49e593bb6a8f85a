/**
 * The hub's Prometheus metrics (served at GET /metrics, see metrics-endpoint.ts). Almost all
 * are read at scrape time from the counters the hub already keeps (HubStats, ingest, alert
 * channels, live snapshots, retention), so there is one count per concept, not a second copy
 * that could drift. Only the ingest latency histogram is recorded as it happens.
 *
 * Labels take bounded values only: kinds, reasons and severities are fixed words, queue
 * names come from the config, site/node from the live snapshots (capped by
 * hub.ingest.maxNodesPerSite / maxSites). Nothing a client sends becomes a label.
 */
import { ALARM_SEVERITIES, type AlarmSeverity, type HubStats, type NodeSnapshot, type RetentionRun } from '@mieruka/protocol';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestStats } from '../ingest/ingest.js';
import type { StoreRow } from '../store/rows.js';
import { processRegistry } from './process-metrics.js';

/** What the metrics read at each scrape; all of it cheap, synchronous but for the store's count. */
export type HubMetricsSource = {
  stats(): HubStats;
  /** Nodes asking to join: a count in the store (SQLite or PostgreSQL), so asked asynchronously. */
  joinRequestCount(): Promise<number>;
  ingestStats(): IngestStats;
  alarmsActive(): Partial<Record<AlarmSeverity, number>>;
  /** Items waiting per queue: alert channels by name, the clutter webhook, the store's write queue. */
  queues(): Record<string, number>;
  nodes(): readonly NodeSnapshot[];
  /** The nightly pruning's last pass (hub.retention); null before the first. */
  retentionLastRun(): RetentionRun | null;
};

/** Store rows that carry a message (others are bookkeeping), by the message kind they carry. */
const ROW_KIND: Partial<Record<StoreRow['kind'], string>> = {
  status: 'status',
  reading: 'current',
  state: 'state',
  event: 'event',
  clutter: 'clutter',
  motion: 'motion',
};

/** Seconds: a QoS 1 group commit takes a few ms, a QoS 0 batch waits up to hub.ingest.flushIntervalMs, a busy disk longer. */
export const INGEST_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A counter whose value is read from an existing count at each scrape. */
function countFrom(labels: Record<string, string>, value: number, counter: Counter<string>): void {
  if (Number.isFinite(value) && value >= 0) counter.inc(labels, value);
}

export class HubMetrics {
  private readonly registry = new Registry();
  private readonly latency: Histogram<'kind'>;
  private readonly refusals = new Map<string, number>();
  /** The front end's count of site-scope refusals, once it is mounted (none without a dashboard). */
  siteRefusals: (() => Record<string, number>) | null = null;

  constructor(source: HubMetricsSource) {
    const registers = [this.registry];
    const metricsRefused = () => this.refusalCounts();
    const siteRefused = () => this.siteRefusals?.() ?? {};

    new Gauge({
      name: 'mieruka_hub_start_time_seconds',
      help: 'When the hub last started (Unix seconds).',
      registers,
      collect() {
        this.set(source.stats().startedAt / 1000);
      },
    });
    new Counter({
      name: 'mieruka_messages_received_total',
      help: 'Messages under mieruka/v1/ from clients, valid and invalid (commands excluded).',
      registers,
      collect() {
        this.reset();
        countFrom({}, source.stats().messagesReceived, this);
      },
    });
    new Counter({
      name: 'mieruka_readings_ingested_total',
      help: 'Valid new messages stored and applied, by kind.',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(source.ingestStats().accepted.byKind)) countFrom({ kind }, n, this);
      },
    });
    new Counter({
      name: 'mieruka_messages_duplicate_total',
      help: 'Messages the hub had already taken (store-and-forward resends), by kind: counted, not errors.',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(source.ingestStats().duplicates.byKind)) countFrom({ kind }, n, this);
      },
    });
    new Counter({
      name: 'mieruka_messages_invalid_total',
      help: 'Messages refused and dropped, by reason (schema, not-json, too-large, future-ts, too-many-nodes, ...).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(source.stats().invalidByReason ?? {})) countFrom({ reason }, n, this);
      },
    });
    new Counter({
      name: 'mieruka_rows_written_total',
      help: 'Rows inserted into the database since the hub started.',
      registers,
      collect() {
        this.reset();
        countFrom({}, source.stats().rowsWritten, this);
      },
    });
    new Gauge({
      name: 'mieruka_mqtt_clients_connected',
      help: 'MQTT clients connected now (TCP, TLS and WebSocket).',
      registers,
      collect() {
        this.set(source.stats().clientsConnected);
      },
    });
    // Fleet mode only (hub.cluster): no series at all on a single hub.
    new Gauge({
      name: 'mieruka_cluster_redis_up',
      help: 'Fleet mode: 1 while every connection of this hub to the shared Redis is ready, else 0.',
      labelNames: ['hub'],
      registers,
      collect() {
        this.reset();
        const cluster = source.stats().cluster;
        if (cluster?.redis) this.set({ hub: cluster.hubId }, cluster.redis.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mieruka_cluster_leader',
      help: 'Fleet mode with a shared PostgreSQL store: 1 while this hub leads (alert rules and channels, roll-ups), else 0.',
      labelNames: ['hub'],
      registers,
      collect() {
        this.reset();
        const cluster = source.stats().cluster;
        if (cluster?.leader) this.set({ hub: cluster.hubId }, cluster.leader.leading ? 1 : 0);
      },
    });
    new Counter({
      name: 'mieruka_cluster_redis_disconnects_total',
      help: 'Fleet mode: connections to the shared Redis lost since the hub started.',
      labelNames: ['hub'],
      registers,
      collect() {
        this.reset();
        const cluster = source.stats().cluster;
        if (cluster?.redis) countFrom({ hub: cluster.hubId }, cluster.redis.disconnects, this);
      },
    });
    new Counter({
      name: 'mieruka_mqtt_refusals_total',
      help: 'MQTT clients and packets refused, by stage (connect, publish, subscribe, limits) and reason.',
      labelNames: ['stage', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [stage, reasons] of Object.entries(source.stats().mqttRefused)) {
          for (const [reason, n] of Object.entries(reasons)) countFrom({ stage, reason }, n, this);
        }
      },
    });
    new Counter({
      name: 'mieruka_metrics_refusals_total',
      help: 'Requests for /metrics refused, by reason (no-credentials, bad-token: 401; not-admin: 403).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(metricsRefused())) countFrom({ reason }, n, this);
      },
    });
    new Counter({
      name: 'mieruka_dashboard_site_refusals_total',
      help: 'Dashboard requests of site-scoped viewers for a node of another site (answered 404), by what was asked (machine, bench, image, alarm).',
      labelNames: ['what'],
      registers,
      collect() {
        this.reset();
        for (const [what, n] of Object.entries(siteRefused())) countFrom({ what }, n, this);
      },
    });
    new Gauge({
      name: 'mieruka_nodes_asking_to_join',
      help: 'New nodes refused past the caps or with auto-join off, waiting for an admin.',
      registers,
      async collect() {
        this.set(await source.joinRequestCount());
      },
    });
    new Gauge({
      name: 'mieruka_queue_depth',
      help: 'Items waiting to be sent or written, by queue (mail, webhook, patlite:<tower>, clutter-webhook, store-writes, mqtt-deliveries).',
      labelNames: ['queue'],
      registers,
      collect() {
        this.reset();
        for (const [queue, n] of Object.entries(source.queues())) this.set({ queue }, n);
      },
    });
    new Gauge({
      name: 'mieruka_alarms_active',
      help: 'Alarms active now (acknowledged or not), by severity.',
      labelNames: ['severity'],
      registers,
      collect() {
        const active = source.alarmsActive();
        for (const severity of ALARM_SEVERITIES) this.set({ severity }, active[severity] ?? 0);
      },
    });
    new Gauge({
      name: 'mieruka_node_online',
      help: 'Whether a node says it is online (1) or its last will said offline (0).',
      labelNames: ['site', 'node'],
      registers,
      collect() {
        this.reset();
        for (const n of source.nodes()) if (n.online !== null && n.online !== undefined) this.set({ site: n.site, node: n.node }, n.online ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mieruka_node_backlog_messages',
      help: "Messages in an edge agent's store-and-forward queue, as its last status said.",
      labelNames: ['site', 'node'],
      registers,
      collect() {
        this.reset();
        for (const n of source.nodes()) if (n.backlog) this.set({ site: n.site, node: n.node }, n.backlog.queued);
      },
    });
    new Gauge({
      name: 'mieruka_node_backlog_dropped',
      help: "Messages an edge agent dropped (oldest first) because its store-and-forward queue was full, since the queue was created.",
      labelNames: ['site', 'node'],
      registers,
      collect() {
        this.reset();
        for (const n of source.nodes()) if (n.backlog) this.set({ site: n.site, node: n.node }, n.backlog.dropped);
      },
    });
    this.latency = new Histogram({
      name: 'mieruka_ingest_latency_seconds',
      help: 'From a message reaching ingest to its row committed in the database, by kind.',
      labelNames: ['kind'],
      buckets: INGEST_LATENCY_BUCKETS,
      registers,
    });
    this.retentionGauges(source, registers);
  }

  /** The nightly pruning's last pass, once there was one. */
  private retentionGauges(source: HubMetricsSource, registers: Registry[]): void {
    const lastRun = () => source.retentionLastRun();
    new Gauge({
      name: 'mieruka_retention_last_run_timestamp_seconds',
      help: 'When the last nightly pruning pass finished (Unix seconds); absent before the first.',
      registers,
      collect() {
        this.reset();
        const run = lastRun();
        if (run) this.set(run.finishedAt / 1000);
      },
    });
    new Gauge({
      name: 'mieruka_retention_last_run_deleted_rows',
      help: 'Rows the last nightly pruning pass deleted.',
      registers,
      collect() {
        this.reset();
        const run = lastRun();
        if (run) this.set(run.total);
      },
    });
    new Gauge({
      name: 'mieruka_retention_last_run_ok',
      help: 'Whether the last nightly pruning pass finished (1) or stopped early on an error (0).',
      registers,
      collect() {
        this.reset();
        const run = lastRun();
        if (run) this.set(run.error === undefined ? 1 : 0);
      },
    });
  }

  /** A row committed `waitedMs` after ingest queued it (Store's onStored). */
  stored(row: StoreRow, waitedMs: number): void {
    const kind = ROW_KIND[row.kind];
    if (kind) this.latency.observe({ kind }, waitedMs / 1000);
  }

  /** Counts a refused request for /metrics. */
  refused(reason: string): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }

  refusalCounts(): Record<string, number> {
    return Object.fromEntries(this.refusals);
  }

  /** The Prometheus text exposition: the process's metrics, then the hub's. */
  async render(): Promise<{ contentType: string; text: string }> {
    const process = processRegistry();
    const [own, hub] = await Promise.all([process.metrics(), this.registry.metrics()]);
    return { contentType: this.registry.contentType, text: `${own}\n${hub}` };
  }
}
