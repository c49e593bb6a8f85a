/** What an MqttNodeLink is built with, started with, and reports (mqtt-node-link.ts). */
import type { Logger } from 'pino';

export interface MqttNodeLinkOptions {
  /** mqtt://, mqtts://, ws:// or wss:// (credentials in the URL are never logged). */
  url: string;
  /**
   * Other brokers (hubs of one cluster) tried in turn after `url` when the one in use is
   * unreachable or drops; same credentials and TLS settings (mqtt-link-config.ts checks them).
   */
  failoverUrls?: readonly string[];
  site: string;
  node: string;
  /** Which agent this is, e.g. 'bridge' or 'clutter-station' (goes into `status`). */
  agent: string;
  version: string;
  /** Where the seq counter and the outbox are kept; without it seq starts from the clock and the queue lives in memory. */
  dataDir?: string;
  /** Bounds of the outbox (config `bridge.queue`), and the messages in flight while it drains. */
  queue?: { maxMessages?: number; maxBytes?: number; window?: number };
  /** How often the status (with the backlog) is republished while messages wait (default 30 s). */
  statusEveryMs?: number;
  logger: Logger;
  /** Override the user name and password of the URL (e.g. a password read from a file). */
  username?: string;
  password?: string;
  /** PEM CA certificate(s) the broker's certificate must be signed by (mqtts://, wss://); default: the system's CAs. */
  ca?: string | Buffer;
  /** PEM client certificate and key, for a broker that requires one (mutual TLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Stable by default (mieruka-<agent>-<site>-<node>) so the broker keeps the session. */
  clientId?: string;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  reconnect?: { initialMs?: number; maxMs?: number };
  keepaliveS?: number;
  /** The agent's clock (status stamps, seq blocks). Default: the system clock. */
  now?: () => number;
}

export interface MqttNodeLinkStartOptions {
  /** Wait for the first connection (default true); otherwise return at once and keep trying. */
  waitForConnect?: boolean;
  /** How long start() waits before failing (default 30 s). */
  connectTimeoutMs?: number;
  /**
   * 'fail' (default): start() rejects when the broker is not reached in time. 'continue': it
   * logs and returns, and the agent queues until the broker is back (refused credentials and
   * an untrusted certificate still fail: retrying will not help).
   */
  whenUnreachable?: 'fail' | 'continue';
}

export interface MqttNodeLinkStats {
  connected: boolean;
  connects: number;
  /** Accepted: in the outbox (or sent, for status). */
  published: number;
  /** Acknowledged by the broker (PUBACK) and gone from the outbox. */
  delivered: number;
  /** Waiting in the outbox, the enqueue time of the oldest, and dropped (oldest first) because it was full. */
  queued: number;
  queuedBytes: number;
  oldestTs: number | null;
  dropped: number;
  /** Outbox files found unreadable at start and set aside; false: the outbox is in memory only. */
  outboxCorrupt: number;
  outboxPersistent: boolean;
  publishErrors: number;
  commandsReceived: number;
  commandsInvalid: number;
}
