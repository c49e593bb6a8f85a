/**
 * The current agent of one machine: serial `rms` readings → `current` messages (unchanged
 * values), machine state (`state`, retained) and run events (`run_started`,
 * `run_finished{durationS}`). After every `hello` (a device boot, or a reply to `info`) it
 * sends the configured calibration, so a replaced or reflashed ESP32 is calibrated again.
 *
 * The agent owns its source's lifecycle: start() starts it, stop() stops it.
 */
import type { Logger } from 'pino';
import type { SerialMessageSource, SerialStatus } from '@mieruka/firmware-bridge';
import {
  MAX_CHANNELS,
  type CommandPayload,
  type HostCommand,
  type JsonKind,
  type MachineConfig,
  type MachineState,
  type PayloadOf,
  type SerialMessage,
} from '@mieruka/protocol';
import type { NodeLink } from '../node-link.js';
import { MachineStateTracker, type MachineStateUpdate } from './machine-state.js';

export type ChannelCalibration = { channel: number; ampsPerVolt?: number; noiseA?: number };

export interface CurrentAgentOptions {
  link: NodeLink;
  source: SerialMessageSource;
  machine: MachineConfig;
  logger: Logger;
  calibration?: ChannelCalibration[];
  /** Host clock (epoch ms); readings are stamped with their receive time. */
  now?: () => number;
}

export interface CurrentAgentStats {
  readings: number;
  /** Readings that lacked the machine's channel. */
  readingsWithoutChannel: number;
  hellos: number;
  acksFailed: number;
  calibrationCommandsSent: number;
  stateChanges: number;
  published: number;
  publishErrors: number;
  state: MachineState;
  since: number | null;
}

/** Optional capability of a link (MqttNodeLink has it): a detail line in `status`. */
type StatusDetailSink = { setStatusDetail(detail: string | undefined): void };

export class CurrentAgent {
  private readonly link: NodeLink;
  private readonly source: SerialMessageSource;
  private readonly machine: MachineConfig;
  private readonly logger: Logger;
  private readonly calibration: ChannelCalibration[];
  private readonly now: () => number;
  private readonly tracker: MachineStateTracker;
  private running = false;
  private lastIrms: number[] | null = null;
  /** When the current run began, if we saw it begin (a run already under way at start has none). */
  private runStartedAt: number | null = null;
  private unsubscribeCommands: (() => void) | null = null;
  private warnedMissingChannel = false;
  private readonly counters = { readings: 0, readingsWithoutChannel: 0, hellos: 0, acksFailed: 0, calibrationCommandsSent: 0, stateChanges: 0, published: 0, publishErrors: 0 };

  constructor(options: CurrentAgentOptions) {
    this.link = options.link;
    this.source = options.source;
    this.machine = options.machine;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.calibration = (options.calibration ?? []).filter((c) => {
      const ok = Number.isInteger(c.channel) && c.channel >= 0 && c.channel < MAX_CHANNELS;
      if (!ok) this.logger.warn({ calibration: c }, 'calibration entry ignored: bad channel');
      return ok;
    });
    this.tracker = new MachineStateTracker(options.machine);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.source.on('message', this.onMessage);
    this.source.on('open', this.onOpen);
    this.source.on('status', this.onStatus);
    this.unsubscribeCommands = this.link.onCommand((action, payload) => this.onCommand(action, payload));
    // After a restart of the agent the state is known already: say it again.
    if (this.tracker.current.state !== 'unknown') this.publishState(this.now());
    await this.source.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.source.off('message', this.onMessage);
    this.source.off('open', this.onOpen);
    this.source.off('status', this.onStatus);
    this.unsubscribeCommands?.();
    this.unsubscribeCommands = null;
    await this.source.stop();
  }

  stats(): CurrentAgentStats {
    return { ...this.counters, ...this.tracker.current };
  }

  private readonly onMessage = (message: SerialMessage): void => {
    switch (message.type) {
      case 'rms':
        this.onReading(message.irms);
        return;
      case 'hello':
        this.counters.hellos++;
        this.logger.info({ id: message.id, fw: message.fw, channels: message.channels, intervalMs: message.intervalMs }, 'sensor says hello');
        if (this.machine.channel >= message.channels) {
          this.logger.warn({ channel: this.machine.channel, channels: message.channels }, 'the machine channel does not exist on this sensor');
        }
        this.sendCalibration();
        return;
      case 'ack':
        if (!message.ok) {
          this.counters.acksFailed++;
          this.logger.warn({ cmd: message.cmd, error: message.error }, 'sensor refused a command');
        }
        return;
    }
  };

  /** Opening a port discards what the device sent before; ask it to introduce itself. */
  private readonly onOpen = (): void => {
    this.write({ cmd: 'info' });
  };

  private readonly onStatus = (status: SerialStatus): void => {
    const sink = this.link as Partial<StatusDetailSink>;
    if (typeof sink.setStatusDetail === 'function') sink.setStatusDetail(status.open ? undefined : `serial: ${status.error}`);
  };

  private onReading(irms: number[]): void {
    const ts = this.now();
    this.counters.readings++;
    this.lastIrms = irms;
    this.publish('current', { ts, seq: this.link.nextSeq(), irms });
    const amps = irms[this.machine.channel];
    if (amps === undefined) {
      this.counters.readingsWithoutChannel++;
      if (!this.warnedMissingChannel) this.logger.warn({ channel: this.machine.channel, channels: irms.length }, 'reading has no value for the machine channel');
      this.warnedMissingChannel = true;
      return;
    }
    const update = this.tracker.update(ts, amps);
    if (update.changed) this.onStateChange(ts, update);
  }

  private onStateChange(ts: number, update: MachineStateUpdate): void {
    this.counters.stateChanges++;
    const since = update.since ?? ts;
    this.logger.info({ state: update.state, previous: update.previous, since }, 'machine state changed');
    this.publishState(ts);
    // Event times are when the change happened (the first reading of the new state).
    if (update.state === 'running' && update.previous !== 'unknown') {
      this.runStartedAt = since;
      this.publish('event', { ts: since, seq: this.link.nextSeq(), type: 'run_started' });
    } else if (update.previous === 'running') {
      const startedAt = this.runStartedAt ?? update.previousSince ?? since;
      const event: PayloadOf<'event'> = { ts: since, seq: this.link.nextSeq(), type: 'run_finished', durationS: Math.max(0, Math.round((since - startedAt) / 1000)), startedAt };
      // The run was already under way when we started: its real start is unknown.
      if (this.runStartedAt === null) event.partial = true;
      this.runStartedAt = null;
      this.publish('event', event);
    }
  }

  private publishState(ts: number): void {
    const { state, since } = this.tracker.current;
    if (state === 'unknown' || since === null || !this.lastIrms) return;
    this.publish('state', { ts, state, since, irms: this.lastIrms });
  }

  private sendCalibration(): void {
    for (const c of this.calibration) {
      if (c.ampsPerVolt !== undefined) this.write({ cmd: 'cal', channel: c.channel, ampsPerVolt: c.ampsPerVolt }, true);
      if (c.noiseA !== undefined) this.write({ cmd: 'noise', channel: c.channel, amps: c.noiseA }, true);
    }
  }

  /** Commands from the hub: `info` asks the sensor for a hello; `cal` sets a factor. */
  private onCommand(action: string, payload: CommandPayload): void {
    if (action === 'info') {
      this.write({ cmd: 'info' });
    } else if (action === 'cal') {
      const { channel, ampsPerVolt } = payload as { channel?: unknown; ampsPerVolt?: unknown };
      if (typeof channel === 'number' && typeof ampsPerVolt === 'number') this.write({ cmd: 'cal', channel, ampsPerVolt });
      else this.logger.warn({ payload }, 'cal command needs numeric channel and ampsPerVolt');
    }
  }

  private write(command: HostCommand, calibration = false): void {
    if (!this.running) return;
    let sent: Promise<void>;
    try {
      sent = this.source.write(command);
    } catch (err) {
      // encodeHostCommand rejects out-of-range values synchronously in some sources.
      this.logger.warn({ err, cmd: command.cmd }, 'serial command not sent');
      return;
    }
    sent.then(
      () => {
        if (calibration) this.counters.calibrationCommandsSent++;
      },
      (err: unknown) => this.logger.warn({ err, cmd: command.cmd }, 'serial command not sent'),
    );
  }

  /** Never awaited in the reading path: while the broker is away, MQTT.js queues them. */
  private publish<K extends JsonKind>(kind: K, payload: PayloadOf<K>): void {
    let sent: Promise<void>;
    try {
      sent = this.link.publish(kind, payload);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      () => {
        this.counters.published++;
      },
      (err: unknown) => {
        this.counters.publishErrors++;
        this.logger.error({ err, kind }, 'publish failed');
      },
    );
  }
}
