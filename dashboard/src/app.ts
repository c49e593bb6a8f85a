/**
 * The dashboard as an express app factory. The hub owns the node:http server: it mounts
 * `app` and hands upgrade requests to `handleUpgrade`; this module never listens itself.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { systemNow, type Now } from '@mieruka/protocol';
import express from 'express';
import type pino from 'pino';
import { requestUser, requireSession, requireWrite, type DashboardUsers } from './auth.js';
import type { DashboardContext, KioskSettings } from './context.js';
import type { DashboardDataSource, SessionRecords } from './data-source.js';
import { errorHandler, sendError } from './http-errors.js';
import { LiveFeed } from './live-feed.js';
import { createLoginRateLimit, type LoginRateLimitOptions } from './login-rate-limit.js';
import { alarmRoutes } from './routes/alarms.js';
import { loginRoutes, meRoutes } from './routes/auth.js';
import { benchRoutes } from './routes/benches.js';
import { healthRoutes } from './routes/health.js';
import { kioskRoutes } from './routes/kiosk.js';
import { machineRoutes } from './routes/machines.js';
import { authorizeMqttUpgrade, type MqttUpgradeUser } from './mqtt-upgrade.js';
import { nodeRoutes } from './routes/nodes.js';
import { productionRoutes } from './routes/production.js';
import { settingsRoutes } from './routes/settings.js';
import { systemRoutes } from './routes/system.js';
import { securityHeaders } from './security-headers.js';
import { SessionStore, type Session } from './session-store.js';
import { countSiteRefusals } from './site-scope.js';
import { staticFiles } from './static-files.js';

export type DashboardOptions = {
  dataSource: DashboardDataSource;
  /** Checks passwords; with `credentialStamp` (the hub's SQLite users) sessions end when their user changes. */
  users: DashboardUsers;
  /** Where login sessions are kept: the hub's database, so they survive restarts (hashed ids only). */
  sessionRecords: SessionRecords;
  logger: pino.Logger;
  /** Absolute session lifetime after login. Default 12. */
  sessionHours?: number;
  /** Default UI language when the browser has no saved choice. Default 'ja'. */
  language?: 'ja' | 'en';
  /** Built web app. Default: dashboard/dist-web next to this package. */
  staticDir?: string;
  /** Set when served over HTTPS: Secure cookies, HSTS, upgrade-insecure-requests. */
  secureCookies?: boolean;
  /**
   * Express "trust proxy" (default false): behind an HTTPS reverse proxy, req.secure and
   * req.ip come from X-Forwarded-Proto/-For, so cookies get Secure and the login brake
   * counts the real client.
   */
  trustProxy?: TrustProxy;
  /** Read-only wall-display sessions via POST /api/kiosk/session. Default off. */
  kiosk?: KioskOptions;
  /** Failed-login brake per IP. Default 10 per 15 minutes. */
  loginRateLimit?: LoginRateLimitOptions;
  /** Live feed ping interval. Default 20 s. */
  heartbeatMs?: number;
  /** The hub's clock ("today", ranges, session expiry, heartbeats). Default: the system clock. */
  now?: Now;
};

export type TrustProxy = boolean | number | readonly string[];

export type KioskOptions = {
  enabled: boolean;
  /** The display's secret (in its URL /kiosk/<token>); at least 24 characters. */
  token?: string | undefined;
  /** Kiosk session lifetime. Default 24 × 30. */
  sessionHours?: number;
};

export type DashboardApp = {
  app: express.Express;
  /** True when the path was the live feed (/api/live) and it took the socket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** For the hub's MQTT over WebSocket: the session's user from a same-origin page, or null. */
  authorizeUpgrade(req: IncomingMessage): Promise<MqttUpgradeUser | null>;
  /** For the hub's own routes (GET /metrics): the request's logged-in user, or null. */
  requestUser(req: IncomingMessage): Promise<{ username: string; role: 'admin' | 'viewer' } | null>;
  /** Requests of site-scoped viewers for another site's node (answered 404), by what was asked: machine, bench, image, alarm, live. */
  siteRefusals(): Record<string, number>;
  close(): Promise<void>;
};

function kioskSettings(options: KioskOptions | undefined): KioskSettings {
  if (!options?.enabled) return { enabled: false };
  const token = options.token;
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{24,256}$/.test(token)) {
    throw new RangeError('kiosk mode needs a token of 24–256 URL-safe characters (A–Z a–z 0–9 _ -)');
  }
  const hours = options.sessionHours ?? 24 * 30;
  if (!(hours > 0)) throw new RangeError('kiosk sessionHours must be positive');
  return { enabled: true, token, sessionMs: hours * 3_600_000 };
}

/**
 * A session stays valid while its user's credential stamp is what it was at login. A lookup
 * that fails (database trouble) counts as "changed": the user logs in again, nobody keeps
 * access the hub could not confirm.
 */
async function userUnchanged(users: DashboardUsers, session: Session, logger: pino.Logger): Promise<boolean> {
  if (session.kiosk || session.stamp === undefined || !users.credentialStamp) return true;
  try {
    return (await users.credentialStamp(session.user.username)) === session.stamp;
  } catch (err) {
    logger.error({ err }, 'cannot check the session user; session ended');
    return false;
  }
}

export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../dist-web', import.meta.url));

export function createDashboardApp(options: DashboardOptions): DashboardApp {
  const logger = options.logger.child({ component: 'dashboard' });
  const secureCookies = options.secureCookies ?? false;
  const sessionHours = options.sessionHours ?? 12;
  if (!(sessionHours > 0)) throw new RangeError('sessionHours must be positive');
  const kiosk = kioskSettings(options.kiosk);
  const users = options.users;
  const now = options.now ?? systemNow;
  const sessions = new SessionStore({
    records: options.sessionRecords,
    ttlMs: sessionHours * 3_600_000,
    now,
    isCurrent: (s) => userUnchanged(users, s, logger),
    onError: (err) => logger.error({ err }, 'cannot read the session store; request treated as logged out'),
  });
  const live = new LiveFeed({
    dataSource: options.dataSource,
    sessions,
    now,
    logger: logger.child({ component: 'live-feed' }),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });
  const loginLimit = createLoginRateLimit(logger, options.loginRateLimit);
  const siteRefusals = new Map<string, number>();
  const siteRefused = (what: string, username: string) => {
    siteRefusals.set(what, (siteRefusals.get(what) ?? 0) + 1);
    logger.info({ username, what }, 'site-scoped viewer asked for another site: answered as unknown');
  };
  const ctx: DashboardContext = {
    dataSource: options.dataSource,
    users,
    sessions,
    logger,
    secureCookies,
    kiosk,
    now,
    onSessionEnded: (id) => live.closeSession(id),
    siteRefused,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'weak');
  const trustProxy = options.trustProxy ?? false;
  app.set('trust proxy', Array.isArray(trustProxy) ? [...trustProxy] : trustProxy);
  if (trustProxy === true) {
    logger.warn('dashboard.trustProxy is true: any client can pick its IP (X-Forwarded-For) and dodge the login brake; prefer the proxy address or a hop count');
  }
  app.use(securityHeaders(secureCookies));
  app.use('/api', express.json({ limit: '16kb' }));

  app.use(healthRoutes(ctx));
  app.use(countSiteRefusals(ctx));
  app.use(loginRoutes(ctx, loginLimit.middleware));
  app.use(kioskRoutes(ctx, loginLimit.middleware));
  // Public acknowledge-link pages (the signed token is their credential) plus session routes
  // that check the session, CSRF token and kiosk themselves.
  app.use(alarmRoutes(ctx));
  // Production: the kiosk may give a stop's reason and enter counts, so these check for themselves too.
  app.use(productionRoutes(ctx));
  // Everything below under /api needs a session; changes also the CSRF token and no kiosk.
  app.use('/api', requireSession(sessions), requireWrite);
  app.use(meRoutes(ctx));
  app.use(nodeRoutes(ctx));
  app.use(machineRoutes(ctx));
  app.use(benchRoutes(ctx));
  app.use(settingsRoutes(ctx));
  app.use(systemRoutes(ctx));
  app.use('/api', (_req, res) => sendError(res, 'NOT_FOUND', { en: 'no such API route', ja: 'その API はありません' }));

  app.use(staticFiles({ dir: options.staticDir ?? DEFAULT_STATIC_DIR, language: options.language ?? 'ja', logger }));
  app.use((_req, res) => sendError(res, 'NOT_FOUND'));
  app.use(errorHandler(logger));

  let closing: Promise<void> | null = null;
  return {
    app,
    handleUpgrade: (req, socket, head) => live.handleUpgrade(req, socket, head),
    authorizeUpgrade: (req) => authorizeMqttUpgrade(sessions, req),
    requestUser: (req) => requestUser(sessions, req),
    siteRefusals: () => Object.fromEntries(siteRefusals),
    close: () => {
      closing ??= (async () => {
        loginLimit.close();
        // Sessions stay in their store: a restarted hub keeps everyone logged in.
        await live.close();
      })();
      return closing;
    },
  };
}
