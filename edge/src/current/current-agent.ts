/**
 * The current agent of one machine: serial `rms` readings → `current` messages (unchanged
 * values), machine state (`state`, retained) and run events (`run_started`,
 * `run_finished{durationS}`). After every `hello` (a device boot, or a reply to `info`) it
 * sends the configured calibration, so a replaced or reflashed ESP32 is calibrated again.
 *
 * Sensor offline: no reading for `offlineAfterS` → retained state `unknown` (since = the last
 * reading), event `sensor_offline{lastReadingTs}`, and a run under way is closed with
 * `run_finished{interrupted: true}` (its end is the last reading: we cannot know more). When
 * readings return: event `sensor_online{offlineS}` and the state is set afresh from the new
 * readings (a machine still running starts a new run, `run_started{afterOffline: true}`).
 *
 * Production (docs/machine-monitor.md#cycles): with `machine.cycles` a CycleDetector turns load
 * peaks into `cycle` events. With `machine.sensor.offLevelA` a SensorFloorWatch holds floor
 * readings back and, after `floorAfterS`, publishes `sensor_fault` and then the retained state
 * `unknown` (since = the first floor reading); a run under way is closed as interrupted, as
 * for sensor_offline, and the first reading above the floor publishes `sensor_ok{faultS}` and
 * sets the state afresh (`run_started{afterFault: true}` if running). A cycle cut by silence or
 * a fault is dropped. See docs/machine-monitor.md.
 *
 * The agent owns its source's lifecycle: start() starts it, stop() stops it.
 */
import type { Logger } from 'pino';
import type { SerialMessageSource, SerialStatus } from '@mieruka/protocol';
import {
  MAX_CHANNELS,
  type CommandPayload,
  type HostCommand,
  type JsonKind,
  type MachineConfig,
  type MachineState,
  type PayloadOf,
  type SerialMessage,
  ThresholdsCommand,
} from '@mieruka/protocol';
import type { NodeLink } from '../node-link.js';
import { MachineStateTracker, type MachineStateUpdate } from './machine-state.js';
import { CycleDetector, type DetectedCycle } from './cycle-detector.js';
import { SensorFloorWatch, type FloorVerdict } from './sensor-floor-watch.js';

export type ChannelCalibration = { channel: number; ampsPerVolt?: number; noiseA?: number };

/** Timers the agent uses for offline detection; injectable so tests need not wait. */
export interface AgentTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: AgentTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CurrentAgentOptions {
  link: NodeLink;
  source: SerialMessageSource;
  machine: MachineConfig;
  logger: Logger;
  calibration?: ChannelCalibration[];
  /** Host clock (epoch ms); readings are stamped with their receive time. */
  now?: () => number;
  /** Timers for offline detection (default: the real ones); use with `now`. */
  timers?: AgentTimers;
}

export interface CurrentAgentStats {
  readings: number;
  /** Readings that lacked the machine's channel. */
  readingsWithoutChannel: number;
  hellos: number;
  acksFailed: number;
  calibrationCommandsSent: number;
  /** cmd/thresholds from the hub: applied, and refused (invalid). */
  thresholdUpdates: number;
  thresholdUpdatesRefused: number;
  stateChanges: number;
  /** Times the sensor went silent for offlineAfterS. */
  offlineEvents: number;
  /** Cycles published; peaks too short to be one; cycles dropped (cut by silence or a sensor fault). */
  cycles: number;
  shortPeaks: number;
  cyclesDropped: number;
  /** Times the sensor read its floor for floorAfterS (sensor_fault), and floor readings held back. */
  sensorFaults: number;
  floorReadings: number;
  /** True during a sensor fault (readings at the floor). */
  sensorFault: boolean;
  published: number;
  publishErrors: number;
  /** True while no reading has arrived for offlineAfterS. */
  offline: boolean;
  lastReadingTs: number | null;
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
  private readonly timers: AgentTimers;
  private readonly offlineAfterMs: number;
  private readonly tracker: MachineStateTracker;
  private running = false;
  private lastIrms: number[] | null = null;
  private lastReadingTs: number | null = null;
  /** When start() last ran: the reference for "no reading yet". */
  private startedAt = 0;
  private offline = false;
  /** Set from the end of an outage until a reading has set the state afresh. */
  private returningFrom: 'offline' | 'fault' | null = null;
  private readonly cycles: CycleDetector | null;
  private readonly floorWatch: SensorFloorWatch;
  private offlineTimer: unknown = null;
  /** When the current run began, if we saw it begin (a run already under way at start has none). */
  private runStartedAt: number | null = null;
  private unsubscribeCommands: (() => void) | null = null;
  private warnedMissingChannel = false;
  private readonly counters = {
    readings: 0,
    readingsWithoutChannel: 0,
    hellos: 0,
    acksFailed: 0,
    calibrationCommandsSent: 0,
    thresholdUpdates: 0,
    thresholdUpdatesRefused: 0,
    stateChanges: 0,
    offlineEvents: 0,
    cycles: 0,
    sensorFaults: 0,
    floorReadings: 0,
    published: 0,
    publishErrors: 0,
  };

  constructor(options: CurrentAgentOptions) {
    this.link = options.link;
    this.source = options.source;
    this.machine = options.machine;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.offlineAfterMs = options.machine.offlineAfterS * 1000;
    this.calibration = (options.calibration ?? []).filter((c) => {
      const ok = Number.isInteger(c.channel) && c.channel >= 0 && c.channel < MAX_CHANNELS;
      if (!ok) this.logger.warn({ calibration: c }, 'calibration entry ignored: bad channel');
      return ok;
    });
    this.tracker = new MachineStateTracker(options.machine);
    this.cycles = options.machine.cycles ? new CycleDetector(options.machine.cycles) : null;
    this.floorWatch = new SensorFloorWatch(options.machine.sensor);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.source.on('message', this.onMessage);
    this.source.on('open', this.onOpen);
    this.source.on('status', this.onStatus);
    this.unsubscribeCommands = this.link.onCommand((action, payload) => this.onCommand(action, payload));
    const { offLevelA, floorA } = this.machine.sensor;
    if (offLevelA !== undefined && !this.floorWatch.enabled) this.logger.warn({ offLevelA, floorA }, 'sensor.offLevelA is not above sensor.floorA: an unplugged clamp cannot be told from a machine that is off');
    // After a restart of the agent the state is known already: say it again.
    this.publishState(this.now());
    this.startedAt = this.now();
    this.armOfflineTimer();
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
    this.clearOfflineTimer();
    await this.source.stop();
  }

  stats(): CurrentAgentStats {
    const cycles = this.cycles?.stats();
    return {
      ...this.counters,
      shortPeaks: cycles?.shortPeaks ?? 0,
      cyclesDropped: cycles?.dropped ?? 0,
      sensorFault: this.floorWatch.inFault,
      offline: this.offline,
      lastReadingTs: this.lastReadingTs,
      ...this.tracker.current,
    };
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
    const previousReadingTs = this.lastReadingTs;
    this.lastReadingTs = ts;
    this.armOfflineTimer();
    if (this.offline) this.onSensorBack(ts, previousReadingTs);
    const amps = irms[this.machine.channel];
    if (amps === undefined) {
      this.counters.readingsWithoutChannel++;
      if (!this.warnedMissingChannel) this.logger.warn({ channel: this.machine.channel, channels: irms.length }, 'reading has no value for the machine channel');
      this.warnedMissingChannel = true;
      return;
    }
    if (!this.passesFloorWatch(ts, amps)) return;
    const cycle = this.cycles?.update(ts, amps);
    if (cycle) this.publishCycle(cycle);
    const update = this.tracker.update(ts, amps);
    if (update.changed) this.onStateChange(ts, update);
    this.returningFrom = null;
  }

  /** False: a floor reading, held back from state and cycles (see SensorFloorWatch). */
  private passesFloorWatch(ts: number, amps: number): boolean {
    const verdict = this.floorWatch.update(ts, amps);
    switch (verdict.type) {
      case 'reading':
        return true;
      case 'floor':
      case 'faulted':
        this.counters.floorReadings++;
        return false;
      case 'fault':
        this.counters.floorReadings++;
        this.onSensorFault(ts, verdict);
        return false;
      case 'ok':
        this.logger.info({ faultS: verdict.faultS }, 'sensor reads above its floor again');
        this.returningFrom = 'fault';
        this.publish('event', { ts, seq: this.link.nextSeq(), type: 'sensor_ok', faultS: verdict.faultS });
        return true;
    }
  }

  /**
   * The clamp reads its floor although the machine draws offLevelA when off: the event goes
   * out first so the hub knows why the state turns unknown (and books no downtime for it).
   */
  private onSensorFault(ts: number, fault: Extract<FloorVerdict, { type: 'fault' }>): void {
    this.counters.sensorFaults++;
    this.logger.warn({ sinceTs: fault.sinceTs, readingA: fault.readingA, offLevelA: fault.offLevelA }, 'the sensor reads its floor: clamp unplugged or lead broken? state unknown');
    this.cycles?.drop();
    this.publish('event', { ts, seq: this.link.nextSeq(), type: 'sensor_fault', cause: 'at_floor', sinceTs: fault.sinceTs, readingA: fault.readingA, offLevelA: fault.offLevelA });
    const { state, since } = this.tracker.current;
    // The run ends, as far as we can know, where the floor began.
    if (state === 'running') this.finishRun(fault.sinceTs, since ?? fault.sinceTs, { interrupted: true });
    if (state !== 'unknown') this.counters.stateChanges++;
    this.tracker.setUnknown(fault.sinceTs);
    this.publishState(ts);
  }

  private publishCycle(cycle: DetectedCycle): void {
    this.counters.cycles++;
    this.publish('event', { ts: cycle.ts, seq: this.link.nextSeq(), type: 'cycle', startTs: cycle.startTs, durationS: cycle.durationS, peakA: cycle.peakA, meanA: cycle.meanA });
  }

  private onSensorBack(ts: number, previousReadingTs: number | null): void {
    this.offline = false;
    this.returningFrom ??= 'offline';
    const offlineS = Math.max(0, Math.round((ts - (previousReadingTs ?? this.startedAt)) / 1000));
    this.logger.info({ offlineS }, 'sensor readings are back');
    this.publish('event', { ts, seq: this.link.nextSeq(), type: 'sensor_online', offlineS, lastReadingTs: previousReadingTs });
  }

  /** Re-armed by every reading: fires once when readings stop for offlineAfterS. */
  private armOfflineTimer(): void {
    this.clearOfflineTimer();
    if (!this.running || this.offline) return;
    this.offlineTimer = this.timers.setTimeout(() => {
      this.offlineTimer = null;
      this.onSensorSilent();
    }, this.offlineAfterMs);
  }

  private clearOfflineTimer(): void {
    if (this.offlineTimer !== null) this.timers.clearTimeout(this.offlineTimer);
    this.offlineTimer = null;
  }

  private onSensorSilent(): void {
    if (!this.running || this.offline) return;
    const ts = this.now();
    const last = this.lastReadingTs;
    this.offline = true;
    this.counters.offlineEvents++;
    this.cycles?.drop();
    this.floorWatch.onSilent();
    this.logger.warn({ lastReadingTs: last, offlineAfterS: this.offlineAfterMs / 1000 }, 'no reading from the sensor: state unknown');
    const { state, since } = this.tracker.current;
    if (state === 'running' && last !== null) {
      // The run ends, as far as we can know, with the last reading that showed it.
      this.finishRun(last, since ?? last, { interrupted: true });
    }
    // Already unknown (a sensor fault): it stays unknown since the fault began.
    if (state !== 'unknown') {
      this.counters.stateChanges++;
      this.tracker.setUnknown(last);
    }
    this.publishState(ts);
    this.publish('event', { ts, seq: this.link.nextSeq(), type: 'sensor_offline', lastReadingTs: last });
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
    } else if (update.state === 'running' && this.returningFrom !== null) {
      // The outage closed the previous run (interrupted); this is a new one, seen from its
      // first reading after the outage.
      this.runStartedAt = since;
      const after = this.returningFrom === 'fault' ? { afterFault: true } : { afterOffline: true };
      this.publish('event', { ts: since, seq: this.link.nextSeq(), type: 'run_started', ...after });
    } else if (update.previous === 'running') {
      this.finishRun(since, update.previousSince ?? since);
    }
  }

  private finishRun(endedAt: number, stateSince: number, extra: { interrupted?: true } = {}): void {
    const startedAt = this.runStartedAt ?? stateSince;
    const event: PayloadOf<'event'> = {
      ts: endedAt,
      seq: this.link.nextSeq(),
      type: 'run_finished',
      durationS: Math.max(0, Math.round((endedAt - startedAt) / 1000)),
      startedAt,
      ...extra,
    };
    // The run was already under way when we started: its real start is unknown.
    if (this.runStartedAt === null) event.partial = true;
    this.runStartedAt = null;
    this.publish('event', event);
  }

  /** Publishes the retained state; `unknown` only after an outage (it needs a last reading). */
  private publishState(ts: number): void {
    const { state, since } = this.tracker.current;
    if (since === null || !this.lastIrms) return;
    this.publish('state', { ts, state, since, irms: this.lastIrms });
  }

  private sendCalibration(): void {
    for (const c of this.calibration) {
      if (c.ampsPerVolt !== undefined) this.write({ cmd: 'cal', channel: c.channel, ampsPerVolt: c.ampsPerVolt }, true);
      if (c.noiseA !== undefined) this.write({ cmd: 'noise', channel: c.channel, amps: c.noiseA }, true);
    }
  }

  /** Commands from the hub: `info` asks the sensor for a hello; `cal` sets a factor; `thresholds` replaces the state thresholds. */
  private onCommand(action: string, payload: CommandPayload): void {
    if (action === 'thresholds') {
      this.applyThresholds(payload);
    } else if (action === 'info') {
      this.write({ cmd: 'info' });
    } else if (action === 'cal') {
      const { channel, ampsPerVolt } = payload as { channel?: unknown; ampsPerVolt?: unknown };
      if (typeof channel === 'number' && typeof ampsPerVolt === 'number') this.write({ cmd: 'cal', channel, ampsPerVolt });
      else this.logger.warn({ payload }, 'cal command needs numeric channel and ampsPerVolt');
    }
  }

  /** Thresholds an admin saved on the hub (retained, so they also arrive after a restart). */
  private applyThresholds(payload: CommandPayload): void {
    const parsed = ThresholdsCommand.safeParse(payload);
    if (!parsed.success) {
      this.counters.thresholdUpdatesRefused++;
      this.logger.warn({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'thresholds command refused: not a valid cmd/thresholds payload');
      return;
    }
    const { offBelowA, runningAboveA, hysteresisA, minDwellS } = parsed.data;
    try {
      this.tracker.setThresholds({ offBelowA, runningAboveA, hysteresisA, minDwellS });
    } catch (err) {
      this.counters.thresholdUpdatesRefused++;
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'thresholds command refused');
      return;
    }
    this.counters.thresholdUpdates++;
    this.logger.info({ offBelowA, runningAboveA, hysteresisA, minDwellS }, 'thresholds from the hub applied');
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

  /** Never awaited in the reading path; the link queues on disk (its outbox) while the broker is away. */
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
