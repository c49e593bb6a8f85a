/**
 * `mieruka demo`: the hub plus simulated sensors on one machine. Simulated ESP32s talk over
 * real pty pairs (socat) when it is installed, so the demo exercises the same serial code as
 * a factory; otherwise over an in-process link that goes through the same line parser.
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Esp32Simulator, InProcessSerialLink, PtyPair, SerialLineReader, socatAvailable } from '@mieruka/firmware-bridge';
import { CurrentAgent, DemoClutterStation, listSamplePhotos, MqttNodeLink } from '@mieruka/edge';
import { MachineConfig, MIERUKA_VERSION, StationConfig, systemNow, type Config, type Now, type SerialMessageSource } from '@mieruka/protocol';
import { Store, type Hub } from '@mieruka/broker';
import { createHub } from '../compose-hub.js';
import { makeDirs } from '@mieruka/protocol/node';
import { generateHistory } from './history.js';
import { backfillHistory, type BackfillResult } from './history-backfill.js';
import { ReplayClock } from './replay-clock.js';
import { demoMachineProfile, withDemoMachines } from './demo-machines.js';

export type DemoOptions = {
  config: Readonly<Config>;
  logger: Logger;
  /** Number of simulated machines (default 2). */
  machines?: number;
  /** 'auto': pty pairs when socat is installed, else in-process. */
  serial?: 'auto' | 'pty' | 'in-process';
  /** Seconds between clutter shots (default 15). */
  clutterIntervalS?: number;
  /** Simulated machine time runs this many times faster than real time (default 20). */
  timeScale?: number;
  /** Backfill this many days of history into a new data dir (default 30); 0 = start empty. */
  historyDays?: number;
  /** The clock (default: the system's); the history ends at its now. */
  now?: Now;
};

/** What start() did about history: backfilled (with counts and the wall time it took), or why not. */
export type DemoHistory = ({ backfilled: true; ms: number } & BackfillResult) | { backfilled: false; reason: 'off' | 'data-dir-in-use' | 'alert-channels' };

type Stoppable = { stop(): Promise<void> | void };

const MACHINE_NAMES = ['mill-1', 'lathe-1', 'press-1', 'drill-1', 'saw-1', 'mill-2', 'lathe-2', 'press-2'];

export class Demo {
  readonly hub: Hub;
  readonly machineIds: string[];
  readonly stationId = 'bench-1';
  serialMode: 'pty' | 'in-process' = 'in-process';
  history: DemoHistory = { backfilled: false, reason: 'off' };
  /** The hub's clock: the replayed past during the backfill, then the real one. */
  private readonly clock: ReplayClock;
  private readonly options: DemoOptions;
  private readonly logger: Logger;
  /** Simulated time per real time (options.timeScale, default 20). */
  private readonly timeScale: number;
  /** Simulators by machine id: tests unplug their clamps. */
  private readonly simulators = new Map<string, Esp32Simulator>();
  /** Started parts, stopped in reverse order. */
  private started: Stoppable[] = [];

  constructor(options: DemoOptions) {
    const n = Math.max(1, Math.min(options.machines ?? 2, 32));
    this.machineIds = Array.from({ length: n }, (_, i) => MACHINE_NAMES[i] ?? `machine-${i + 1}`);
    this.timeScale = options.timeScale ?? 20;
    // The simulated machines are in the config the hub reads (cycles, ideal cycle time).
    this.options = { ...options, config: withDemoMachines(options.config, this.machineIds) };
    this.logger = options.logger.child({ component: 'demo' });
    this.clock = new ReplayClock(options.now ?? systemNow);
    this.hub = createHub({ config: this.options.config, logger: options.logger, now: this.clock.now });
  }

  /**
   * Takes the clamp of a simulated machine off its cable (readings at the floor: after
   * sensor.floorAfterS the bridge reports a sensor fault), or puts it back.
   */
  setClampUnplugged(node: string, unplugged: boolean): void {
    const simulator = this.simulators.get(node);
    if (!simulator) throw new Error(`no simulated machine ${node}`);
    simulator.setClampUnplugged(unplugged);
  }

  async start(): Promise<void> {
    try {
      await this.startHubWithHistory();
      const wanted = this.options.serial ?? 'auto';
      this.serialMode = wanted === 'in-process' ? 'in-process' : (await socatAvailable()) ? 'pty' : 'in-process';
      if (wanted === 'pty' && this.serialMode !== 'pty') throw new Error('socat is not installed: cannot create pty pairs');
      for (const [i, node] of this.machineIds.entries()) await this.startMachine(node, i);
      await this.startStation();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * A new data dir gets the history first: the hub starts with its clock at the history's
   * start, takes the past through its ingest, then its clock joins the real one — before any
   * simulated agent connects. A data dir in use keeps what it has (no second history). With
   * alert channels configured (MIERUKA_ALERTS__… in the environment) there is no history
   * either: the month's alarms would go out as mails, tower signals and chat posts.
   */
  private async startHubWithHistory(): Promise<void> {
    const days = this.options.historyDays ?? 30;
    const skip = days <= 0 ? 'off' : existsSync(Store.fileIn(this.hub.dataDir)) ? 'data-dir-in-use' : this.hub.alerts.channels.length > 0 ? 'alert-channels' : null;
    if (skip !== null) {
      this.history = { backfilled: false, reason: skip };
      await this.hub.start();
      this.started.push(this.hub);
      return;
    }
    const t0 = performance.now();
    const config = this.options.config;
    // The sample photos are named by the share of the mat they cover (mat-03 … mat-60).
    const photos = (await listSamplePhotos()).map((id) => ({ id, score: Number(/(\d+)/.exec(basename(id))?.[1] ?? 0) }));
    const history = generateHistory({
      now: this.clock.now(),
      timeZone: config.timezone,
      machines: this.machineIds,
      station: this.stationId,
      slots: StationConfig.parse(config.stations[this.stationId] ?? {}).slots,
      photos,
      days,
    });
    try {
      this.clock.set(history.start);
      await this.hub.start();
      this.started.push(this.hub);
      const result = await backfillHistory({ hub: this.hub, clock: this.clock, history, site: config.site, seqDir: this.agentsDir });
      this.history = { backfilled: true, ...result, ms: performance.now() - t0 };
      this.logger.info({ ...this.history }, 'history backfilled');
    } finally {
      this.clock.finish();
    }
  }

  /** Where the demo's agents keep their state (seq files, outboxes). */
  private get agentsDir(): string {
    return resolve(this.options.config.hub.dataDir, 'agents');
  }

  private link(node: string, agent: string): MqttNodeLink {
    const config = this.options.config;
    return new MqttNodeLink({
      url: this.hub.mqttUrl,
      site: config.site,
      node,
      agent,
      version: MIERUKA_VERSION,
      dataDir: this.agentsDir,
      logger: this.options.logger.child({ component: 'mqtt', node }),
    });
  }

  private async startMachine(node: string, index: number): Promise<void> {
    const logger = this.options.logger.child({ component: 'simulated-machine', node });
    const simulator = new Esp32Simulator({
      seed: 1000 + index * 7919,
      intervalMs: 1000,
      timeScale: this.timeScale,
      id: `demo${index.toString(16).padStart(8, '0')}`,
      profile: demoMachineProfile(this.timeScale),
    });
    this.simulators.set(node, simulator);
    let source: SerialMessageSource;
    if (this.serialMode === 'pty') {
      const dir = join(resolve(this.options.config.hub.dataDir), 'pty', node);
      await makeDirs(dir);
      const pty = await PtyPair.open({ dir });
      this.started.push(pty);
      await simulator.connectToPath(pty.devicePath);
      this.started.push(simulator);
      source = new SerialLineReader({ path: pty.hostPath, logger });
    } else {
      source = new InProcessSerialLink({ simulator, logger });
    }
    const link = this.link(node, 'bridge');
    await link.start();
    this.started.push(link);
    const machine = MachineConfig.parse(this.options.config.machines[node]);
    const agent = new CurrentAgent({ link, source, machine, logger });
    await agent.start();
    this.started.push(agent);
    if (this.serialMode === 'in-process') {
      await simulator.start?.();
      this.started.push(simulator);
    }
    this.logger.info({ node, serial: this.serialMode }, 'simulated machine started');
  }

  private async startStation(): Promise<void> {
    const photos = await listSamplePhotos();
    const link = this.link(this.stationId, 'clutter-station');
    await link.start();
    this.started.push(link);
    const station = new DemoClutterStation({
      link,
      photos,
      intervalMs: (this.options.clutterIntervalS ?? 15) * 1000,
      station: StationConfig.parse(this.options.config.stations[this.stationId] ?? {}),
      logger: this.options.logger.child({ component: 'clutter-station', node: this.stationId }),
    });
    await station.start();
    this.started.push(station);
  }

  async stop(): Promise<void> {
    const parts = this.started.reverse();
    this.started = [];
    for (const part of parts) {
      try {
        await part.stop();
      } catch (err) {
        this.logger.warn({ err }, 'error while stopping a demo part');
      }
    }
  }
}
