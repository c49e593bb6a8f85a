/** The hub's counters since it started. */
export type HubStats = {
  startedAt: number;
  messagesReceived: number;
  messagesInvalid: number;
  /** Refused messages per reason (schema, too-large, future-ts, …). */
  invalidByReason?: Record<string, number>;
  /** MQTT clients refused or cut per reason (too-large, connection-rate, topic-levels, malformed, …). */
  mqttRefused?: Record<string, number>;
  /** New nodes refused past the caps (hub.ingest.maxNodesPerSite / maxSites), waiting for an admin. */
  nodesAskingToJoin?: number;
  rowsWritten: number;
  clientsConnected: number;
};

/** A new node the hub refused past its caps: shown to admins as "asking to join". */
export type JoinRequest = { site: string; node: string; firstAt: number; lastAt: number; count: number };
