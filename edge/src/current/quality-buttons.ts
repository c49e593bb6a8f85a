/**
 * Good / scrap push buttons at the machine (docs/machine-monitor.md#quality-buttons): each
 * press publishes `quality{good: 1, scrap: 0}` (or the scrap one) on the node's `event` topic.
 *
 * Inputs come through the edge's one GPIO port (OnoffGpioPort on a Pi, FakeGpioPort in
 * tests). Debouncing is done here, on the injected clock and timers, rather than by the
 * driver: a level counts once it has held `debounceMs` without an edge, so contact bounce on
 * press and release, and a short spike on the wire, never count. A button already held down
 * at start is not a press. Hardware trouble (no GPIO here, a line that cannot be opened) is
 * logged and leaves that button off; the bridge keeps reading current.
 */
import type { Logger } from 'pino';
import type { MachineConfig } from '@mieruka/protocol';
import type { GpioInput, GpioPort } from '../patlite/gpio-port.js';
import type { NodeLink } from '../node-link.js';
import type { AgentTimers } from './current-agent.js';

export type QualityKind = 'good' | 'scrap';

export interface QualityButtonsOptions {
  link: NodeLink;
  /** The GPIO port; null = none on this host (every configured button is reported off). */
  gpio: GpioPort | null;
  buttons: MachineConfig['buttons'];
  logger: Logger;
  /** A level must hold this long to count (default 50 ms). */
  debounceMs?: number;
  now?: () => number;
  timers?: AgentTimers;
}

export interface QualityButtonsStats {
  good: number;
  scrap: number;
  /** Edges that did not hold for debounceMs (bounce, spikes). */
  bounces: number;
  publishErrors: number;
  /** Per configured button: open, or why not. */
  lines: Partial<Record<QualityKind, 'open' | string>>;
}

const realTimers: AgentTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

type Line = { kind: QualityKind; input: GpioInput; unwatch: () => void; level: boolean; pressed: boolean; edgeTs: number; settle: unknown };

export class QualityButtons {
  private readonly options: QualityButtonsOptions;
  private readonly debounceMs: number;
  private readonly now: () => number;
  private readonly timers: AgentTimers;
  private lines: Line[] = [];
  private running = false;
  private readonly counters = { good: 0, scrap: 0, bounces: 0, publishErrors: 0 };
  private readonly lineStatus: QualityButtonsStats['lines'] = {};

  constructor(options: QualityButtonsOptions) {
    this.options = options;
    this.debounceMs = options.debounceMs ?? 50;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
  }

  /** True when the machine config wires at least one button. */
  static configured(buttons: MachineConfig['buttons']): boolean {
    return buttons.good !== undefined || buttons.scrap !== undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { gpio, buttons, logger } = this.options;
    const wanted = (['good', 'scrap'] as const).filter((k) => buttons[k] !== undefined);
    if (wanted.length === 0) return;
    const avail = gpio ? await gpio.availability() : { ok: false as const, reason: 'no GPIO port on this host' };
    for (const kind of wanted) {
      const wiring = buttons[kind];
      if (!wiring) continue;
      if (!gpio || !avail.ok || !gpio.openInput) {
        this.lineStatus[kind] = `off: ${avail.ok ? 'the GPIO port has no inputs' : avail.reason}`;
        continue;
      }
      try {
        const input = await gpio.openInput(wiring.gpio, { activeLow: wiring.activeLow });
        const level = await input.read().catch(() => false);
        const line: Line = { kind, input, unwatch: () => undefined, level, pressed: level, edgeTs: this.now(), settle: null };
        line.unwatch = input.watch((active) => this.onEdge(line, active));
        this.lines.push(line);
        this.lineStatus[kind] = 'open';
      } catch (err) {
        this.lineStatus[kind] = `off: GPIO ${wiring.gpio} cannot be opened (${err instanceof Error ? err.message : String(err)})`;
      }
    }
    const off = Object.entries(this.lineStatus).filter(([, s]) => s !== 'open');
    if (off.length > 0) logger.warn({ buttons: this.lineStatus }, 'quality buttons: some are off');
    else logger.info({ buttons: wanted }, 'quality buttons ready');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const lines = this.lines;
    this.lines = [];
    for (const line of lines) {
      if (line.settle !== null) this.timers.clearTimeout(line.settle);
      line.settle = null;
      line.unwatch();
      await line.input.release().catch((err: unknown) => this.options.logger.warn({ err, gpio: line.input.line }, 'quality button line not released'));
    }
  }

  stats(): QualityButtonsStats {
    return { ...this.counters, lines: { ...this.lineStatus } };
  }

  /** Every edge restarts the settle time; the level that outlasts it is the button's. */
  private onEdge(line: Line, active: boolean): void {
    if (!this.running || active === line.level) return;
    line.level = active;
    if (line.settle !== null) {
      this.timers.clearTimeout(line.settle);
      this.counters.bounces++;
    }
    line.edgeTs = this.now();
    line.settle = this.timers.setTimeout(() => {
      line.settle = null;
      this.onSettled(line);
    }, this.debounceMs);
  }

  private onSettled(line: Line): void {
    if (!this.running || line.level === line.pressed) return;
    line.pressed = line.level;
    if (!line.pressed) return;
    this.counters[line.kind]++;
    const { link } = this.options;
    // The press happened at the edge the level settled from.
    const payload = { ts: line.edgeTs, seq: link.nextSeq(), type: 'quality', good: line.kind === 'good' ? 1 : 0, scrap: line.kind === 'scrap' ? 1 : 0 };
    let sent: Promise<void>;
    try {
      sent = link.publish('event', payload);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.catch((err: unknown) => {
      this.counters.publishErrors++;
      this.options.logger.error({ err, kind: line.kind }, 'quality count not published');
    });
  }
}
