/** The hub's counters since it started. */
export type HubStats = {
  startedAt: number;
  messagesReceived: number;
  messagesInvalid: number;
  rowsWritten: number;
  clientsConnected: number;
  /** MQTT CONNECTs, publishes and subscribes refused by the hub's accounts and ACL, per reason. */
  mqttRefused: MqttRefusals;
};

/** Refusal counters; a reason is a short stable word (e.g. `bad-credentials`, `acl`). */
export type MqttRefusals = {
  connect: Record<string, number>;
  publish: Record<string, number>;
  subscribe: Record<string, number>;
};
