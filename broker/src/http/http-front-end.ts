/**
 * What the hub serves on its HTTP port besides MQTT over WebSocket. The hub never imports the
 * dashboard: the composition root (cli) passes a `mountHttp` that builds the dashboard app
 * from what the hub hands it. Without one the port serves MQTT over WebSocket and 404s.
 */
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { Config, DashboardDataSource, Now, SessionRecords, UserStamps, UserVerifier } from '@mieruka/protocol';
import type { UpgradeHandler } from './http-server.js';

export type HttpFrontEnd = {
  /** Handles every HTTP request. */
  app: RequestListener;
  /** Tried after MQTT over WebSocket; true when it took the socket. */
  handleUpgrade: UpgradeHandler;
  /**
   * Decides who may open MQTT over WebSocket (`hub.mqtt.wsPath`): the logged-in user of a
   * same-origin request (its role sets the MQTT rules, see mqtt/acl.ts), or null to refuse.
   * `isCurrent` is asked again at each publish and subscribe (logout, new password, removal).
   * A front end without it leaves the path to the anonymous rule and MQTT accounts.
   */
  authorizeUpgrade?: (req: IncomingMessage) => Promise<{ username: string; role: 'admin' | 'viewer'; isCurrent?: () => boolean } | null>;
  /**
   * The logged-in user of a request (its session cookie; a kiosk display counts as a viewer),
   * or null: the hub's own routes (GET /metrics) ask it. Without it only their tokens work.
   */
  requestUser?: (req: IncomingMessage) => Promise<{ username: string; role: 'admin' | 'viewer' } | null>;
  /** Requests of site-scoped viewers for another site's node, by what was asked (machine, bench, image, alarm): a metric. */
  siteRefusals?: () => Record<string, number>;
  close(): Promise<void> | void;
};

/** What the hub gives the front end: its data, its users, login sessions, a logger and the frozen config. */
export type HttpFrontEndDeps = {
  dataSource: DashboardDataSource;
  users: UserVerifier & UserStamps;
  /** Login sessions in the hub's database (hashed ids), so they survive restarts. */
  sessions: SessionRecords;
  logger: Logger;
  config: Readonly<Config>;
  /** The hub's clock: the front end's "now" and "today". */
  now: Now;
};

export type MountHttp = (deps: HttpFrontEndDeps) => HttpFrontEnd;

/** The front end of a hub started without one: every request gets a 404. */
export const NO_FRONT_END: HttpFrontEnd = {
  app: (_req, res) => {
    res.statusCode = 404;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end('Not found\n');
  },
  handleUpgrade: () => false,
  close: () => undefined,
};
