/**
 * Which hub runs the work only one may run at a time: the alert engine, the mail and tower
 * channels, the periodic roll-ups (issue 17). A single hub on SQLite always leads
 * (SoleLeadership); hubs sharing a PostgreSQL store elect one with an advisory lock
 * (PostgresLeadership, postgres-leadership.ts, loaded only in fleet mode).
 */
import type { Logger } from 'pino';
import { LeadershipState } from './leadership-state.js';

export type LeadershipStatus = {
  leading: boolean;
  /** When this hub became leader (the injected clock); null while not leading. */
  since: number | null;
  /** Times this hub became leader. */
  terms: number;
  /** The last problem, e.g. 'connection lost' (credentials masked); null before any. */
  lastError: string | null;
};

export interface Leadership {
  readonly leading: boolean;
  /** listener(true) when this hub becomes leader, listener(false) when it stops; returns unsubscribe. Listener errors are logged, never thrown into the lock. */
  onChange(listener: (leading: boolean) => void): () => void;
  /** Resolves once it has tried once (leading or not); never rejects because the database is away (keeps retrying). */
  start(): Promise<void>;
  /** Steps down (listeners told false) and releases. */
  stop(): Promise<void>;
  status(): LeadershipStatus;
}

/** The only hub there is: leads from start() until stop(). */
export class SoleLeadership implements Leadership {
  private readonly state: LeadershipState;

  constructor(options: { logger: Logger; now?: () => number }) {
    this.state = new LeadershipState(options.logger, options.now ?? Date.now);
  }

  get leading(): boolean {
    return this.state.leading;
  }

  onChange(listener: (leading: boolean) => void): () => void {
    return this.state.onChange(listener);
  }

  async start(): Promise<void> {
    this.state.set(true);
  }

  async stop(): Promise<void> {
    this.state.set(false);
  }

  status() {
    return this.state.status();
  }
}
