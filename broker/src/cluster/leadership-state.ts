/**
 * What every kind of leadership keeps: whether this hub leads, since when, how many terms,
 * the last problem, and the listeners told of each change. One place, so the single-hub and
 * the PostgreSQL leaderships tell their listeners the same way.
 */
import type { Logger } from 'pino';
import type { LeadershipStatus } from './leadership.js';

export class LeadershipState {
  private leadingNow = false;
  private since: number | null = null;
  private terms = 0;
  lastError: string | null = null;
  private readonly listeners = new Set<(leading: boolean) => void>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  get leading(): boolean {
    return this.leadingNow;
  }

  onChange(listener: (leading: boolean) => void): () => void {
    // A wrapper per subscription: the same function subscribed twice is told twice and
    // unsubscribed once per call.
    const entry = (leading: boolean) => listener(leading);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  /** Changes the state and tells the listeners; nothing when it is already so. */
  set(leading: boolean): void {
    if (leading === this.leadingNow) return;
    this.leadingNow = leading;
    this.since = leading ? this.now() : null;
    if (leading) this.terms += 1;
    for (const listener of [...this.listeners]) {
      // A listener's failure is its own: the lock goes on (it must still step down or lead).
      try {
        const result = listener(leading) as unknown;
        if (result instanceof Promise) result.catch((err: unknown) => this.listenerFailed(err));
      } catch (err) {
        this.listenerFailed(err);
      }
    }
  }

  status(): LeadershipStatus {
    return { leading: this.leadingNow, since: this.since, terms: this.terms, lastError: this.lastError };
  }

  private listenerFailed(err: unknown): void {
    this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'a leadership listener failed');
  }
}
