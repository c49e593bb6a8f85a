/**
 * Sends saved machine thresholds and station photo times to the edge agents as retained
 * `cmd/thresholds` and `cmd/schedule` messages: an agent that is offline or restarts later
 * still gets the newest ones when it (re)subscribes. Nothing is sent until an admin saves
 * settings, so agents keep their own config files until then.
 */
import type { Logger } from 'pino';
import { commandTopic, type Config, type RuntimeSettings, type ScheduleCommand, type ThresholdsCommand } from '@mieruka/protocol';
import type { HubPublish } from '../mqtt/mqtt-broker.js';
import type { SettingsTarget } from './runtime-settings.js';

export type EdgeSettingsPublisherOptions = {
  publish: (message: HubPublish) => Promise<void>;
  logger: Logger;
  now?: () => number;
};

export class EdgeSettingsPublisher implements SettingsTarget {
  readonly name = 'edge-commands';
  private readonly options: EdgeSettingsPublisherOptions;
  /** What was last sent per topic, so a save that changes one machine sends one message. */
  private readonly sent = new Map<string, string>();

  constructor(options: EdgeSettingsPublisherOptions) {
    this.options = options;
  }

  async reconfigure(config: Readonly<Config>, settings: RuntimeSettings): Promise<void> {
    const ts = Math.floor((this.options.now ?? Date.now)());
    const messages: Array<{ topic: string; body: Omit<ThresholdsCommand, 'ts'> | Omit<ScheduleCommand, 'ts'> }> = [];
    for (const [node, m] of Object.entries(settings.machines)) {
      messages.push({ topic: commandTopic(config.site, node, 'thresholds'), body: { offBelowA: m.offBelowA, runningAboveA: m.runningAboveA, hysteresisA: m.hysteresisA, minDwellS: m.minDwellS } });
    }
    for (const [node, s] of Object.entries(settings.stations)) {
      messages.push({ topic: commandTopic(config.site, node, 'schedule'), body: { slots: [...new Set(s.slots)].sort() } });
    }
    let published = 0;
    for (const { topic, body } of messages) {
      const key = JSON.stringify(body);
      if (this.sent.get(topic) === key) continue;
      await this.options.publish({ topic, payload: JSON.stringify({ ts, ...body }), qos: 1, retain: true });
      this.sent.set(topic, key);
      published++;
    }
    if (published > 0) this.options.logger.info({ published }, 'settings sent to edge agents');
  }
}
