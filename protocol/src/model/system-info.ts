/** What the dashboard's System page shows admins: the hub's counters, its listeners, nodes asking to join. */
import type { HubStats, JoinRequest } from './hub-stats.js';

export type SystemInfo = {
  stats: HubStats;
  /** Where the hub listens (the bound ports, so port 0 in tests shows the real one). */
  listeners: {
    mqtt: { host: string; port: number; anonymous: 'loopback' | 'off' | 'on' };
    /** MQTT over WebSocket, on the HTTP port. */
    mqttWs: { path: string };
    http: { host: string; port: number };
  };
  /** Whether new nodes join by themselves (within the caps) or wait for an admin. */
  admission: { autoJoin: boolean; maxNodesPerSite: number; maxSites: number };
  joinRequests: JoinRequest[];
  /** Nightly pruning of old rows (hub.retention); absent from front ends without a store. */
  retention?: RetentionStatus;
};

/** One pass of the nightly pruning: rows deleted per table. */
export type RetentionRun = {
  startedAt: number;
  finishedAt: number;
  deleted: Record<string, number>;
  total: number;
  /** Set when the pass stopped early (it is tried again the next night). */
  error?: string;
};

export type RetentionStatus = {
  readingsDays: number;
  historyDays: number;
  /** Local time of the nightly run ("HH:MM" in the site's zone). */
  at: string;
  nextRunAt: number | null;
  lastRun: RetentionRun | null;
};

/** What admitting or dismissing a join request gave: `not-found` when no such node is asking. */
export type JoinRequestOutcome = { outcome: 'admitted' | 'dismissed' | 'not-found' };

/** An admin removed a node that is gone for good (its history stays). */
export type NodeRemovalOutcome = { outcome: 'removed' | 'not-found' };
