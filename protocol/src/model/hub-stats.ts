/** The hub's counters since it started. */
export type HubStats = {
  startedAt: number;
  messagesReceived: number;
  messagesInvalid: number;
  /** Messages the hub had already taken (store-and-forward resends): counted, not errors, no effect. */
  messagesDuplicate?: number;
  /** Refused messages per reason (schema, too-large, future-ts, …). */
  invalidByReason?: Record<string, number>;
  /** New nodes refused past the caps (hub.ingest.maxNodesPerSite / maxSites), waiting for an admin. */
  nodesAskingToJoin?: number;
  rowsWritten: number;
  clientsConnected: number;
  /** MQTT clients refused per reason: by the accounts and ACL (connect, publish, subscribe) and by the limits. */
  mqttRefused: MqttRefusals;
  /** Requests for GET /metrics refused per reason (no-credentials, bad-token, not-admin). */
  metricsRefused?: Record<string, number>;
  /** Fleet mode only (hub.cluster): this hub's name and its link to the shared Redis. */
  cluster?: ClusterStatus;
};

/** A hub of a fleet and its Redis link (counters since the hub started; the errors themselves are in the log, not here: /api/health is public). */
export type ClusterStatus = {
  hubId: string;
  /** Absent without hub.cluster (one hub on a shared PostgreSQL store). */
  redis?: { connected: boolean; disconnects: number; errors: number };
  /** Fleet mode with hub.store.url: whether this hub leads (alert rules and channels, roll-ups), since when, how often it took over. */
  leader?: { leading: boolean; since: number | null; terms: number };
};

/** Refusal counters; a reason is a short stable word (e.g. `bad-credentials`, `acl`). */
export type MqttRefusals = {
  connect: Record<string, number>;
  publish: Record<string, number>;
  subscribe: Record<string, number>;
  /** Clients cut or refused by hub.mqtt.limits (too-large, connection-rate, topic-levels, malformed, tls-handshake, …). */
  limits: Record<string, number>;
};

/** A new node the hub refused past its caps: shown to admins as "asking to join". */
export type JoinRequest = { site: string; node: string; firstAt: number; lastAt: number; count: number };
