/** The hub's counters since it started. */
export type HubStats = {
  startedAt: number;
  messagesReceived: number;
  messagesInvalid: number;
  /** Refused messages per reason (schema, too-large, future-ts, …). */
  invalidByReason?: Record<string, number>;
  /** MQTT clients refused or cut per reason (too-large, connection-rate, topic-levels, malformed, …). */
  mqttRefused?: Record<string, number>;
  rowsWritten: number;
  clientsConnected: number;
};
