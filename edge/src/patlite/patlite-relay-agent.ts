/**
 * The edge side of `cmd/patlite`: validates each command against the contract and applies it
 * to the relay tower. A disabled tower (no GPIO) or a broken relay output shows in the node's
 * retained status detail, so the hub and the dashboard see it.
 */
import type { Logger } from 'pino';
import { formatZodError, PatliteCommand, type CommandPayload } from '@mieruka/protocol';
import type { NodeLink } from '../node-link.js';
import type { GpioRelayTower } from './gpio-relay-tower.js';

export type PatliteRelayAgentOptions = {
  /** MqttNodeLink has setStatusDetail; other links just skip the status detail. */
  link: NodeLink & { setStatusDetail?(detail: string | undefined): void };
  tower: GpioRelayTower;
  logger: Logger;
  /** The agent's clock (command age, log pacing). Default: the system clock. */
  now?: () => number;
};

export type PatliteRelayAgentStats = { received: number; applied: number; expired: number; stale: number; ignored: number; invalid: number };

export class PatliteRelayAgent {
  private readonly options: PatliteRelayAgentOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private unsubscribe: (() => void) | null = null;
  private detail: string | undefined;
  private lastInvalidLogAt = 0;
  private readonly counters: PatliteRelayAgentStats = { received: 0, applied: 0, expired: 0, stale: 0, ignored: 0, invalid: 0 };

  constructor(options: PatliteRelayAgentOptions) {
    this.options = options;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    await this.options.tower.start();
    this.updateDetail();
    this.unsubscribe = this.options.link.onCommand((action, payload) => {
      if (action === 'patlite') void this.onCommand(payload);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.options.tower.stop();
  }

  stats(): PatliteRelayAgentStats {
    return { ...this.counters };
  }

  private async onCommand(payload: CommandPayload): Promise<void> {
    this.counters.received++;
    const parsed = PatliteCommand.safeParse(payload);
    if (!parsed.success) {
      this.counters.invalid++;
      const now = this.now();
      if (now - this.lastInvalidLogAt >= 60_000) {
        this.lastInvalidLogAt = now;
        this.logger.warn({ reason: formatZodError(parsed.error), invalidSoFar: this.counters.invalid }, 'invalid cmd/patlite dropped');
      }
      return;
    }
    try {
      const result = await this.options.tower.apply(parsed.data, this.now());
      if (result === 'applied') this.counters.applied++;
      else if (result === 'expired') this.counters.expired++;
      else if (result === 'stale') this.counters.stale++;
      else this.counters.ignored++;
    } catch (err) {
      this.counters.ignored++;
      this.logger.error({ err }, 'cmd/patlite failed');
    }
    this.updateDetail();
  }

  private updateDetail(): void {
    const tower = this.options.tower;
    const problem = tower.disabled ? `signal tower disabled: ${tower.disabled}` : tower.lastFault ? `signal tower relay fault: ${tower.lastFault}` : undefined;
    if (problem === this.detail) return;
    this.detail = problem;
    this.options.link.setStatusDetail?.(problem);
  }
}
