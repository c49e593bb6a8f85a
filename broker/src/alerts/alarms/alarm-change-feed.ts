/**
 * Fleet mode: alarm changes other hubs made, read from the shared history (`alarm_events`, in
 * id order) every `intervalMs`. A follower's dashboards see the leader's raises and clears
 * live, and the leader learns of acknowledgements given on a follower's dashboard (its tower
 * and mail channels are told). Rows this process wrote are skipped: their changes are known here.
 */
import type { Logger } from 'pino';
import type { AlarmRecord, AlarmStore } from './alarm-store.js';

/** History kinds that change what an alarm looks like (`notified` does not). */
const SHOWN = new Set(['raised', 'reoccurred', 'updated', 'acknowledged', 'cleared']);

export type ForeignAlarmChange = { kind: 'raised' | 'reoccurred' | 'updated' | 'acknowledged' | 'cleared'; alarm: AlarmRecord; actor: string | null };

export type AlarmChangeFeedOptions = {
  store: AlarmStore;
  intervalMs: number;
  onChange: (change: ForeignAlarmChange) => void;
  logger: Logger;
};

export class AlarmChangeFeed {
  private readonly options: AlarmChangeFeedOptions;
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(options: AlarmChangeFeedOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    if (this.timer) return;
    // What happened before this hub started is in the store already (lists read it from there).
    this.last = await this.options.store.lastEventId();
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Reads the history written since the last poll (one poll at a time). */
  poll(): Promise<void> {
    this.polling ??= this.readNew()
      .catch((err: unknown) => this.options.logger.warn({ err }, 'reading alarm changes from the other hubs failed; retrying'))
      .finally(() => (this.polling = null));
    return this.polling;
  }

  private async readNew(): Promise<void> {
    const { store } = this.options;
    for (;;) {
      const rows = await store.eventsAfter(this.last, 500);
      for (const row of rows) {
        this.last = row.id;
        if (store.isOwnEvent(row.id) || !SHOWN.has(row.kind)) continue;
        const alarm = await store.get(row.alarmId);
        if (alarm) this.options.onChange({ kind: row.kind as ForeignAlarmChange['kind'], alarm, actor: row.actor });
      }
      if (rows.length < 500) return;
    }
  }
}
