/**
 * A signal tower with contact inputs (e.g. PATLITE LR series) switched through a relay board
 * on GPIO: one line per tier and one for the buzzer. Blinking and buzzer patterns are done
 * in software with one timer; every lit state has a hold timer, so the tower goes dark on its
 * own if the hub stops talking; stop() switches everything off and releases the lines.
 * Without GPIO (a PC) the tower reports itself disabled and ignores commands.
 */
import type { Logger } from 'pino';
import { MAX_PATLITE_HOLD_S, type PatliteCommand, type PatliteLamp } from '@mieruka/protocol';
import type { GpioOutput, GpioPort } from './gpio-port.js';

export const RELAY_TIERS = ['red', 'amber', 'green', 'blue', 'white'] as const;
export type RelayTier = (typeof RELAY_TIERS)[number];

/** BCM GPIO numbers per tier; tiers without a pin are not wired. */
export type RelayPins = { red: number; amber: number; green: number; blue?: number; white?: number; buzzer?: number };

export type GpioRelayTowerOptions = {
  gpio: GpioPort;
  pins: RelayPins;
  /** Relay boards that switch on a low input (most cheap opto-isolated boards). */
  activeLow?: boolean;
  /** Half period of blinking (default 500 ms). */
  blinkMs?: number;
  /** Hold for a lit command that carries none (default 3600 s): never lit forever. */
  defaultHoldS?: number;
  logger: Logger;
};

export type RelayTowerState = { [T in RelayTier]: PatliteLamp } & { buzzer: number };
export type ApplyResult = 'applied' | 'expired' | 'stale' | 'disabled';

const DARK: RelayTowerState = { red: 'off', amber: 'off', green: 'off', blue: 'off', white: 'off', buzzer: 0 };

export class GpioRelayTower {
  private readonly options: GpioRelayTowerOptions;
  private readonly logger: Logger;
  private readonly blinkMs: number;
  private readonly outputs = new Map<RelayTier | 'buzzer', GpioOutput>();
  private current: RelayTowerState = { ...DARK };
  private lastTs = 0;
  private phase = true;
  private blinkTimer: NodeJS.Timeout | null = null;
  private holdTimer: NodeJS.Timeout | null = null;
  private writes: Promise<void> = Promise.resolve();
  private disabledReason: string | null = null;
  private fault: string | null = null;
  private started = false;

  constructor(options: GpioRelayTowerOptions) {
    this.options = options;
    this.logger = options.logger;
    this.blinkMs = Math.max(50, options.blinkMs ?? 500);
    const lines = Object.values(options.pins).filter((p): p is number => p !== undefined);
    if (new Set(lines).size !== lines.length) throw new TypeError(`patlite relay pins must differ: ${JSON.stringify(options.pins)}`);
    for (const p of lines) if (!Number.isInteger(p) || p < 0 || p > 63) throw new TypeError(`patlite relay pin ${p} is not a BCM GPIO number 0–63`);
  }

  /** Why the tower cannot be driven (no GPIO here), or null. */
  get disabled(): string | null {
    return this.disabledReason;
  }

  /** The last write error while running, or null. */
  get lastFault(): string | null {
    return this.fault;
  }

  state(): RelayTowerState {
    return { ...this.current };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const available = await this.options.gpio.availability();
    if (!available.ok) {
      this.disabledReason = available.reason;
      this.logger.warn({ reason: available.reason }, 'relay signal tower disabled');
      return;
    }
    const activeLow = this.options.activeLow ?? false;
    try {
      for (const [name, line] of Object.entries(this.options.pins) as [RelayTier | 'buzzer', number | undefined][]) {
        if (line === undefined) continue;
        const out = await this.options.gpio.openOutput(line, { activeLow });
        this.outputs.set(name, out);
      }
    } catch (err) {
      this.disabledReason = `GPIO cannot be opened: ${(err as Error).message}`;
      this.logger.warn({ err }, 'relay signal tower disabled');
      await this.releaseAll();
      return;
    }
    this.disabledReason = null;
    await this.render();
  }

  /** Applies a whole-tower command from the hub (see PatliteCommand in the contract). */
  async apply(command: PatliteCommand, now = Date.now()): Promise<ApplyResult> {
    if (!this.started || this.disabledReason) return 'disabled';
    if (command.ts < this.lastTs) return 'stale';
    this.lastTs = command.ts;
    const next: RelayTowerState = {
      red: command.red,
      amber: command.amber,
      green: command.green,
      blue: command.blue ?? 'off',
      white: command.white ?? 'off',
      buzzer: command.buzzer === true ? 1 : command.buzzer === false ? 0 : command.buzzer,
    };
    this.clearHold();
    const lit = next.buzzer > 0 || RELAY_TIERS.some((t) => next[t] !== 'off');
    let result: ApplyResult = 'applied';
    if (lit) {
      const holdS = Math.min(MAX_PATLITE_HOLD_S, command.holdS ?? this.options.defaultHoldS ?? 3600);
      // Counted from the hub's timestamp (clamped: a clock behind the hub's must not extend it).
      const remainingMs = holdS * 1000 - Math.max(0, now - command.ts);
      if (remainingMs <= 0) {
        result = 'expired';
        this.current = { ...DARK };
      } else {
        this.current = next;
        this.holdTimer = setTimeout(() => {
          this.holdTimer = null;
          this.logger.info('hold time over: signal tower off');
          this.current = { ...DARK };
          void this.render();
        }, remainingMs);
      }
    } else {
      this.current = next;
    }
    await this.render();
    return result;
  }

  /** Everything off, lines released, timers gone. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.clearHold();
    this.stopBlink();
    this.current = { ...DARK };
    if (this.outputs.size > 0) {
      await this.render();
      await this.releaseAll();
    }
  }

  private clearHold(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  private stopBlink(): void {
    if (this.blinkTimer) clearInterval(this.blinkTimer);
    this.blinkTimer = null;
  }

  private needsTimer(): boolean {
    return this.current.buzzer > 1 || RELAY_TIERS.some((t) => this.current[t] === 'blink');
  }

  /** Writes the current state; starts or stops the blink timer as needed. */
  private render(): Promise<void> {
    if (this.needsTimer()) {
      if (!this.blinkTimer) {
        this.phase = true;
        this.blinkTimer = setInterval(() => {
          this.phase = !this.phase;
          void this.writeAll();
        }, this.blinkMs);
      }
    } else {
      this.stopBlink();
      this.phase = true;
    }
    return this.writeAll();
  }

  /** Serialised, so a blink tick never interleaves with a command. */
  private writeAll(): Promise<void> {
    const levels: [RelayTier | 'buzzer', boolean][] = RELAY_TIERS.map((t) => [t, this.current[t] === 'on' || (this.current[t] === 'blink' && this.phase)]);
    // Buzzer 1 sounds steadily; 2–4 beep in the blink rhythm (a relay buzzer has one sound).
    levels.push(['buzzer', this.current.buzzer === 1 || (this.current.buzzer > 1 && this.phase)]);
    this.writes = this.writes.then(async () => {
      const failures: string[] = [];
      for (const [name, active] of levels) {
        const out = this.outputs.get(name);
        if (!out) continue;
        try {
          await out.write(active);
        } catch (err) {
          failures.push(`GPIO ${out.line} (${name}): ${(err as Error).message}`);
        }
      }
      const fault = failures.length ? `${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more lines)` : ''}` : null;
      if (fault && fault !== this.fault) this.logger.warn({ err: fault }, 'relay output write failed');
      if (!fault && this.fault) this.logger.info('relay outputs work again');
      this.fault = fault;
    });
    return this.writes;
  }

  private async releaseAll(): Promise<void> {
    await this.writes;
    for (const out of this.outputs.values()) {
      try {
        await out.release();
      } catch (err) {
        this.logger.warn({ err, line: out.line }, 'could not release GPIO line');
      }
    }
    this.outputs.clear();
  }
}
