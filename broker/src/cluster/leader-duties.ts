/**
 * What only the leading hub does (alert rules and channels, roll-ups and the run record,
 * nightly retention, the daily utilization post), started when the hub's Leadership makes it
 * lead and stopped when it no longer does. Changes run one after another, in order: duties
 * start in list order and stop in reverse, and a duty that fails is logged, not fatal.
 */
import type { Logger } from 'pino';
import type { Leadership } from './leadership.js';

export type LeaderDuty = { name: string; lead(): Promise<void> | void; follow(): Promise<void> | void };

export type LeaderDutiesOptions = { leadership: Leadership; duties: readonly LeaderDuty[]; logger: Logger };

export class LeaderDuties {
  private readonly options: LeaderDutiesOptions;
  private readonly logger: Logger;
  private unsubscribe: (() => void) | null = null;
  /** The change under way; the next one runs after it. */
  private changes: Promise<void> = Promise.resolve();
  private leading = false;

  constructor(options: LeaderDutiesOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'leader-duties' });
  }

  get isLeading(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.options.leadership.onChange((leading) => this.change(leading));
    await this.options.leadership.start();
    if (this.options.leadership.leading) this.change(true);
    await this.changes;
  }

  /** Steps down (the duties stop, then the leadership is released); resolves when nothing runs. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.change(false);
    await this.changes;
    await this.options.leadership.stop();
  }

  /** Resolves once the changes asked for so far are done. */
  settled(): Promise<void> {
    return this.changes;
  }

  private change(leading: boolean): void {
    this.changes = this.changes.then(() => (leading ? this.leadAll() : this.followAll()));
  }

  private async leadAll(): Promise<void> {
    if (this.leading) return;
    this.leading = true;
    for (const duty of this.options.duties) await this.run(duty, 'lead');
  }

  private async followAll(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    for (const duty of [...this.options.duties].reverse()) await this.run(duty, 'follow');
  }

  private async run(duty: LeaderDuty, what: 'lead' | 'follow'): Promise<void> {
    try {
      await duty[what]();
    } catch (err) {
      this.logger.error({ err, duty: duty.name }, what === 'lead' ? 'a leader duty failed to start' : 'a leader duty failed to stop');
    }
  }
}
