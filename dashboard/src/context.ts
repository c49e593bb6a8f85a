/** What route modules share; built once per app in app.ts. */
import type { Now } from '@mieruka/protocol';
import type { Logger } from 'pino';
import type { DashboardUsers } from './auth.js';
import type { DashboardDataSource } from './data-source.js';
import type { SessionStore } from './session-store.js';

/** Kiosk mode as the routes see it: enabled only with a token. */
export type KioskSettings = { enabled: false } | { enabled: true; token: string; sessionMs: number };

export type DashboardContext = {
  dataSource: DashboardDataSource;
  users: DashboardUsers;
  sessions: SessionStore;
  logger: Logger;
  /** Forces the Secure cookie attribute (HTTPS); otherwise it follows req.secure. */
  secureCookies: boolean;
  kiosk: KioskSettings;
  /** The hub's clock: every "now" and "today" of a request comes from it. */
  now: Now;
  /** Called after a logout so live connections of that session end too. */
  onSessionEnded(sessionId: string): void;
  /** Counts (and logs) a site-scoped viewer's request for a node of another site (site-scope.ts). */
  siteRefused(what: string, username: string): void;
};
