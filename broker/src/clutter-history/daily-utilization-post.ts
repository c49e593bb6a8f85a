/**
 * hub.clutterWebhook.dailyUtilization: once a local day has ended, each machine's utilization
 * of that day goes to the clutter webhook (a spreadsheet's "Utilization" tab, docs/sheets/).
 * Checked at start and every minute against the hub's clock. A restarted hub posts the last
 * day again; the receiver knows it by its id (`<date>/<site>/<node>`) and adds no row.
 */
import type { Logger } from 'pino';
import { addDays } from '@mieruka/protocol';
import type { ReportsService } from '../reports/reports-service.js';
import type { ClutterWebhook } from './clutter-webhook.js';

export type DailyUtilizationBody = {
  type: 'utilization';
  /** `<date>/<site>/<node>`. */
  id: string;
  /** Local date (config.timezone) the figures are of. */
  date: string;
  site: string;
  node: string;
  name: string | null;
  /** Running time over the time the state was known, in percent (one decimal). */
  utilizationPct: number;
  runningS: number;
  idleS: number;
  offS: number;
  /** The hub had no data (down, or the machine's agent was offline). */
  unknownS: number;
};

export type DailyUtilizationPostOptions = {
  reports: Pick<ReportsService, 'listMachines' | 'usage' | 'clock'>;
  webhook: Pick<ClutterWebhook, 'offerRecord'>;
  now: () => number;
  logger: Logger;
  /** Default 60 s. */
  checkIntervalMs?: number;
};

export class DailyUtilizationPost {
  private readonly options: DailyUtilizationPostOptions;
  private readonly logger: Logger;
  private lastDate: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The check going on (a tick while it runs is skipped; stop() waits for it). */
  private running: Promise<unknown> | null = null;

  constructor(options: DailyUtilizationPostOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'daily-utilization' });
  }

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.checkIntervalMs ?? 60_000);
  }

  private tick(): void {
    if (this.running) return;
    // check() logs its own failures; this catch only keeps a rejection from going unhandled.
    this.running = this.check()
      .catch((err: unknown) => this.logger.warn({ err }, 'daily utilization check failed'))
      .finally(() => (this.running = null));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Posts yesterday (local) unless this process did already; returns the date posted, or null. */
  async check(): Promise<string | null> {
    const { reports, webhook } = this.options;
    const clock = reports.clock;
    const date = addDays(clock.dateOf(this.options.now()), -1);
    if (date === this.lastDate) return null;
    this.lastDate = date;
    const range = { from: clock.startOfDay(date), to: clock.startOfDay(addDays(date, 1)) };
    try {
      for (const machine of await reports.listMachines([])) {
        const row = (await reports.usage(machine.site, machine.node, range, 'day'))?.rows[0];
        // A day the hub knows nothing about is no row (not a 0 %).
        if (!row || row.utilization === null) continue;
        const body: DailyUtilizationBody = {
          type: 'utilization',
          id: `${date}/${machine.site}/${machine.node}`,
          date,
          site: machine.site,
          node: machine.node,
          name: machine.name,
          utilizationPct: Math.round(row.utilization * 1000) / 10,
          runningS: Math.round(row.seconds.running),
          idleS: Math.round(row.seconds.idle),
          offS: Math.round(row.seconds.off),
          unknownS: Math.round(row.seconds.unknown),
        };
        webhook.offerRecord(body);
      }
    } catch (err) {
      this.logger.warn({ err, date }, 'daily utilization not posted');
    }
    return date;
  }
}
