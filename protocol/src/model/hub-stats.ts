/** The hub's counters since it started. */
export type HubStats = {
  startedAt: number;
  messagesReceived: number;
  messagesInvalid: number;
  rowsWritten: number;
  clientsConnected: number;
};
