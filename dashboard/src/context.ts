/** What route modules share; built once per app in app.ts. */
import type { Logger } from 'pino';
import type { DashboardDataSource, UserVerifier } from './data-source.js';
import type { SessionStore } from './session-store.js';

export type DashboardContext = {
  dataSource: DashboardDataSource;
  users: UserVerifier;
  sessions: SessionStore;
  logger: Logger;
  secureCookies: boolean;
  /** Called after a logout so live connections of that session end too. */
  onSessionEnded(sessionId: string): void;
};
