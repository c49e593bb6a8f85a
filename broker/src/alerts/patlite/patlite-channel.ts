/**
 * One PATLITE signal tower as an alert channel. The tower shows the pattern of the highest
 * severity among the active, unacknowledged alarms it is responsible for; an alarm stops
 * counting when it is acknowledged, cleared, or its hold time runs out (a reminder or an
 * escalation lights it again). So every lit pattern has either an explicit clear or a timer.
 *
 * `deliver` only updates that picture and returns; a single worker brings the tower to it,
 * one bounded attempt at a time, retrying with capped back-off while the tower does not
 * answer (then `status()` is not ok and says why). Start clears the tower (its state is
 * unknown after a hub restart); stop clears it too (nobody would later).
 */
import type { Logger } from 'pino';
import type { AlarmNotice, AlarmSeverity, AlertChannel, ChannelStatus } from '../channel.js';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { DEFAULT_HOLD_S, resolvePatterns, severityRank, type SeverityPattern, type SeverityPatterns } from './severity-patterns.js';
import type { TowerDriver } from './tower-driver.js';
import { DARK, describeSignal, signalKey, type TowerSignal } from './tower-signal.js';

export type PatliteChannelOptions = {
  /** Channel name, e.g. `patlite:line-1`. */
  name: string;
  driver: TowerDriver;
  patterns?: SeverityPatterns;
  /** Longest a pattern stays lit without a reminder (seconds, default 900). */
  holdS?: number;
  /** Node ids (machines, stations, `hub`) whose alarms this tower shows; default all. */
  sources?: readonly string[];
  retry?: BackoffOptions;
  /** Health check while idle (seconds, default 300; 0 = off). */
  probeIntervalS?: number;
  logger: Logger;
  /** Called when the channel turns faulty or healthy again (e.g. to raise a channel_broken alarm). */
  onStatusChange?: (status: ChannelStatus) => void;
  /** The hub's clock (hold times). Default: the system clock. */
  now?: () => number;
};

export type PatliteChannelStats = { commandsSent: number; failures: number; noticesIgnored: number };

type Entry = { severity: AlarmSeverity; until: number };
type Desired = { key: string; signal: TowerSignal; holdS: number };

const DARK_KEY = 'dark';

export class PatliteChannel implements AlertChannel {
  readonly name: string;
  private readonly options: PatliteChannelOptions;
  private readonly logger: Logger;
  private readonly driver: TowerDriver;
  private readonly patterns: Record<AlarmSeverity, SeverityPattern | null>;
  private readonly holdS: number;
  private readonly sources: ReadonlySet<string> | null;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  /** Key of what the tower last accepted; null = unknown (before start, after a failure). */
  private applied: string | null = null;
  private showing: TowerSignal = DARK;
  private busy: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private holdTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private fault: string | null = null;
  private started = false;
  private stopping = false;
  private readonly counters: PatliteChannelStats = { commandsSent: 0, failures: 0, noticesIgnored: 0 };

  constructor(options: PatliteChannelOptions) {
    this.options = options;
    this.name = options.name;
    this.driver = options.driver;
    this.logger = options.logger.child({ component: 'patlite', channel: options.name });
    this.patterns = resolvePatterns(options.patterns);
    this.holdS = positive(options.holdS, DEFAULT_HOLD_S);
    this.sources = options.sources ? new Set(options.sources) : null;
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.applied = null;
    const probeS = this.options.probeIntervalS ?? 300;
    if (probeS > 0) {
      this.probeTimer = setInterval(() => this.probe(), probeS * 1000);
      this.probeTimer.unref();
    }
    this.kick();
  }

  async deliver(notice: AlarmNotice): Promise<void> {
    if (!this.started || this.stopping) return;
    const { alarm } = notice;
    if (this.sources && !this.sources.has(alarm.node)) {
      this.counters.noticesIgnored++;
      return;
    }
    const lights = (notice.kind === 'raised' || notice.kind === 'reminder' || notice.kind === 'escalated') && alarm.active && !alarm.acknowledged;
    if (lights) {
      const holdS = positive(this.patterns[alarm.severity]?.holdS, this.holdS);
      this.entries.set(alarm.id, { severity: alarm.severity, until: this.now() + holdS * 1000 });
    } else {
      this.entries.delete(alarm.id);
    }
    this.kick();
  }

  status(): ChannelStatus {
    const pending = this.started && this.desired().key !== this.applied ? 1 : 0;
    if (this.fault) return { ok: false, detail: this.fault, pending };
    return { ok: true, detail: `${this.driver.description}: ${describeSignal(this.showing)}`, pending };
  }

  stats(): PatliteChannelStats {
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    for (const t of [this.retryTimer, this.holdTimer]) if (t) clearTimeout(t);
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.retryTimer = this.holdTimer = this.probeTimer = null;
    await this.busy;
    if (this.applied !== DARK_KEY) {
      try {
        await this.driver.clear();
        this.counters.commandsSent++;
        this.applied = DARK_KEY;
        this.showing = DARK;
      } catch (err) {
        this.logger.warn({ tower: this.driver.description, err: (err as Error).message }, 'could not clear the tower while stopping');
      }
    }
    this.driver.close();
    this.entries.clear();
    this.started = false;
  }

  /** The signal of the highest-severity live entry, or dark. Drops expired entries. */
  private desired(): Desired {
    const now = this.now();
    let best: Entry | null = null;
    for (const [id, e] of this.entries) {
      if (e.until <= now) {
        this.entries.delete(id);
        continue;
      }
      if (!this.patterns[e.severity]) continue;
      if (!best || severityRank(e.severity) > severityRank(best.severity) || (e.severity === best.severity && e.until > best.until)) best = e;
    }
    const pattern = best ? this.patterns[best.severity] : null;
    if (!best || !pattern) return { key: DARK_KEY, signal: DARK, holdS: 0 };
    const { holdS: _h, ...signal } = pattern;
    // The deadline is part of the key: a reminder re-sends the pattern with a fresh hold.
    return { key: `${signalKey(signal)}@${best.until}`, signal, holdS: (best.until - now) / 1000 };
  }

  /** Starts the worker unless it runs or a retry is waiting (the retry picks up the latest). */
  private kick(): void {
    if (!this.started || this.stopping || this.busy || this.retryTimer) return;
    this.busy = this.work().finally(() => this.idle());
  }

  /** After a task: pick up a change that arrived while it ran, re-arm the hold timer. */
  private idle(): void {
    this.busy = null;
    if (this.started && !this.stopping && !this.retryTimer && this.desired().key !== this.applied) this.kick();
    else this.scheduleHold();
  }

  private async work(): Promise<void> {
    while (!this.stopping) {
      const want = this.desired();
      if (want.key === this.applied) return;
      try {
        if (want.key === DARK_KEY) await this.driver.clear();
        else await this.driver.show(want.signal, want.holdS);
        this.counters.commandsSent++;
        this.applied = want.key;
        this.showing = want.signal;
        this.attempt = 0;
        this.logger.info({ tower: this.driver.description, showing: describeSignal(want.signal) }, 'tower updated');
        this.setFault(null);
      } catch (err) {
        this.failed(err);
        return;
      }
    }
  }

  private probe(): void {
    if (!this.started || this.stopping || this.busy || this.retryTimer) return;
    this.busy = this.driver
      .probe()
      .catch((err: unknown) => this.failed(err))
      .finally(() => this.idle());
  }

  private failed(err: unknown): void {
    this.counters.failures++;
    this.applied = null; // the tower may have rebooted or missed the command: re-send on recovery
    this.attempt++;
    const delay = backoffDelayMs(this.attempt, this.options.retry);
    const message = err instanceof Error ? err.message : String(err);
    this.setFault(`${message} (attempt ${this.attempt}, next try in ${Math.round(delay / 100) / 10} s)`, message);
    if (this.stopping) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delay);
  }

  /** Wakes the worker when the earliest hold runs out. */
  private scheduleHold(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (this.stopping || this.entries.size === 0) return;
    const next = Math.min(...Array.from(this.entries.values(), (e) => e.until));
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.kick();
    }, Math.max(0, next - this.now()) + 5);
  }

  private setFault(detail: string | null, logKey?: string): void {
    const wasOk = this.fault === null;
    const previous = this.fault;
    this.fault = detail;
    if (detail !== null && (wasOk || !previous?.startsWith(logKey ?? detail))) {
      this.logger.warn({ tower: this.driver.description, err: logKey ?? detail }, 'signal tower not reachable; retrying with back-off');
    } else if (detail === null && !wasOk) {
      this.logger.info({ tower: this.driver.description }, 'signal tower answers again');
    }
    if (wasOk !== (detail === null)) this.options.onStatusChange?.(this.status());
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
