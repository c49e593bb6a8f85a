/**
 * One in-process stream: listeners subscribe, the owner emits. A listener that throws is
 * logged and skipped; it never stops the owner (ingest, the alert engine) or the others.
 */
import type { Logger } from 'pino';

export class Fanout<T> {
  private readonly listeners = new Set<(value: T) => void>();
  private readonly logger: Logger;
  private readonly what: string;

  constructor(options: { logger: Logger; what: string }) {
    this.logger = options.logger;
    this.what = options.what;
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        this.logger.warn({ err }, `${this.what} listener threw`);
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  clear(): void {
    this.listeners.clear();
  }
}
