/**
 * A tower with contact inputs, wired to relays on an edge node's GPIO: the hub publishes the
 * whole tower state on `cmd/patlite` (QoS 1) and the edge agent (edge/src/patlite) switches
 * the relays, blinks in software and enforces `holdS` itself, so the tower goes dark even if
 * the hub dies while it is lit.
 */
import { commandTopic, MierukaError, PatliteCommand } from '@mieruka/protocol';
import type { TowerDriver } from './tower-driver.js';
import { DARK, type TowerSignal } from './tower-signal.js';

/** Compatible with MqttBroker.publish (the hub publishes as itself). */
export type CommandPublisher = (message: { topic: string; payload: Buffer; qos: 1; retain: false }) => Promise<void>;

export type RelayTowerDriverOptions = {
  site: string;
  node: string;
  publish: CommandPublisher;
  /** The node's last known `status.online`; undefined when unknown. Offline = a channel fault. */
  isOnline?: () => boolean | undefined;
  now?: () => number;
};

export class RelayTowerDriver implements TowerDriver {
  readonly description: string;
  private readonly options: RelayTowerDriverOptions;
  private readonly topic: string;

  constructor(options: RelayTowerDriverOptions) {
    this.options = options;
    this.topic = commandTopic(options.site, options.node, 'patlite'); // validates the ids
    this.description = `relay tower on edge node ${options.site}/${options.node}`;
  }

  show(signal: TowerSignal, holdS: number): Promise<void> {
    return this.send(signal, holdS);
  }

  clear(): Promise<void> {
    return this.send(DARK, undefined);
  }

  async probe(): Promise<void> {
    this.assertOnline();
  }

  close(): void {}

  private assertOnline(): void {
    if (this.options.isOnline?.() === false) {
      throw new MierukaError('PATLITE_CONNECTION_FAILED', `edge node ${this.options.site}/${this.options.node} is offline: its relay tower cannot be switched`);
    }
  }

  private async send(signal: TowerSignal, holdS: number | undefined): Promise<void> {
    // Not queued while offline: the retry sends the then-current state once the node is back.
    this.assertOnline();
    const command: PatliteCommand = {
      ts: (this.options.now ?? Date.now)(),
      red: signal.red,
      amber: signal.amber,
      green: signal.green,
      buzzer: signal.buzzer,
      ...(signal.blue ? { blue: signal.blue } : {}),
      ...(signal.white ? { white: signal.white } : {}),
      ...(holdS !== undefined ? { holdS: Math.min(86_400, Math.max(0.001, holdS)) } : {}),
    };
    const checked = PatliteCommand.safeParse(command);
    if (!checked.success) throw new MierukaError('PAYLOAD_INVALID', `cmd/patlite: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    await this.options.publish({ topic: this.topic, payload: Buffer.from(JSON.stringify(checked.data)), qos: 1, retain: false });
  }
}
