/**
 * The dashboard as an express app factory. The hub owns the node:http server: it mounts
 * `app` and hands upgrade requests to `handleUpgrade`; this module never listens itself.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type pino from 'pino';
import { requireSession } from './auth.js';
import type { DashboardContext } from './context.js';
import type { DashboardDataSource, UserVerifier } from './data-source.js';
import { errorHandler, sendError } from './http-errors.js';
import { LiveFeed } from './live-feed.js';
import { createLoginRateLimit, type LoginRateLimitOptions } from './login-rate-limit.js';
import { alarmRoutes } from './routes/alarms.js';
import { loginRoutes, meRoutes } from './routes/auth.js';
import { benchRoutes } from './routes/benches.js';
import { healthRoutes } from './routes/health.js';
import { machineRoutes } from './routes/machines.js';
import { nodeRoutes } from './routes/nodes.js';
import { securityHeaders } from './security-headers.js';
import { SessionStore } from './session-store.js';
import { staticFiles } from './static-files.js';

export type DashboardOptions = {
  dataSource: DashboardDataSource;
  users: UserVerifier;
  logger: pino.Logger;
  /** Absolute session lifetime after login. Default 12. */
  sessionHours?: number;
  /** Default UI language when the browser has no saved choice. Default 'ja'. */
  language?: 'ja' | 'en';
  /** Built web app. Default: dashboard/dist-web next to this package. */
  staticDir?: string;
  /** Set when served over HTTPS: Secure cookies, HSTS, upgrade-insecure-requests. */
  secureCookies?: boolean;
  /** Failed-login brake per IP. Default 10 per 15 minutes. */
  loginRateLimit?: LoginRateLimitOptions;
  /** Live feed ping interval. Default 20 s. */
  heartbeatMs?: number;
};

export type DashboardApp = {
  app: express.Express;
  /** True when the path was the live feed (/api/live) and it took the socket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): Promise<void>;
};

export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../dist-web', import.meta.url));

export function createDashboardApp(options: DashboardOptions): DashboardApp {
  const logger = options.logger.child({ component: 'dashboard' });
  const secureCookies = options.secureCookies ?? false;
  const sessionHours = options.sessionHours ?? 12;
  if (!(sessionHours > 0)) throw new RangeError('sessionHours must be positive');
  const sessions = new SessionStore({ ttlMs: sessionHours * 3_600_000 });
  const live = new LiveFeed({
    dataSource: options.dataSource,
    sessions,
    logger: logger.child({ component: 'live-feed' }),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });
  const loginLimit = createLoginRateLimit(logger, options.loginRateLimit);
  const ctx: DashboardContext = {
    dataSource: options.dataSource,
    users: options.users,
    sessions,
    logger,
    secureCookies,
    onSessionEnded: (id) => live.closeSession(id),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'weak');
  app.use(securityHeaders(secureCookies));
  app.use('/api', express.json({ limit: '16kb' }));

  app.use(healthRoutes(ctx));
  app.use(loginRoutes(ctx, loginLimit.middleware));
  // Public acknowledge-link pages plus session routes that check the session themselves.
  app.use(alarmRoutes(ctx));
  // Everything below under /api needs a session.
  app.use('/api', requireSession(sessions));
  app.use(meRoutes());
  app.use(nodeRoutes(ctx));
  app.use(machineRoutes(ctx));
  app.use(benchRoutes(ctx));
  app.use('/api', (_req, res) => sendError(res, 'NOT_FOUND', 'no such API route'));

  app.use(staticFiles({ dir: options.staticDir ?? DEFAULT_STATIC_DIR, language: options.language ?? 'ja', logger }));
  app.use((_req, res) => sendError(res, 'NOT_FOUND'));
  app.use(errorHandler(logger));

  let closing: Promise<void> | null = null;
  return {
    app,
    handleUpgrade: (req, socket, head) => live.handleUpgrade(req, socket, head),
    close: () => {
      closing ??= (async () => {
        loginLimit.close();
        await live.close();
        sessions.clear();
      })();
      return closing;
    },
  };
}
