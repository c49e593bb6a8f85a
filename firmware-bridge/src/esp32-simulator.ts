/**
 * A simulated ESP32 current sensor speaking serial protocol v1, byte for byte what the real
 * firmware sends: ROM boot banner, line noise and a half line after reset, `hello`, then one
 * `rms` line per interval. It answers host commands (`info`, `interval`, `cal`, `noise`,
 * `save`) with `ack` lines.
 *
 * Outputs go to every 'data' listener (the in-process link) and to an attached stream (the
 * device side of a pty pair). Attaching a stream reboots the device, like plugging the USB
 * cable in; the simulated machine keeps running across reboots.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { encodeSerialMessage, MAX_CHANNELS, SERIAL_BAUD_RATE, type SerialMessage } from '@mieruka/protocol';
import { MachineModel, type MachineProfile } from './machine-model.js';

export interface SimulatorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: SimulatorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface Esp32SimulatorOptions {
  /** Same seed → same readings (channel 0 equals simulateTrace with this seed). Default 1. */
  seed?: number;
  /** Reporting interval (default 1000 ms); the host may change it with `interval <ms>`. */
  intervalMs?: number;
  /** Number of CT channels (default 1); each channel is an independent machine. */
  channels?: number;
  profile?: Partial<MachineProfile>;
  /** Chip id reported in `hello` (default derived from the seed). */
  id?: string;
  fw?: string;
  /** Simulated machine time runs this many times faster than real time (default 1). */
  timeScale?: number;
  clock?: SimulatorClock;
  /** Send the ROM banner, noise and a half line at boot (default true). */
  bootNoise?: boolean;
  logger?: Logger;
}

export type SimulatorEvents = {
  /** Bytes the device sends to the host. */
  data: [Buffer];
  /** A host command line the device received (after line splitting). */
  command: [string];
};

export const ESP32_ROM_BANNER = [
  'ets Jun  8 2016 00:22:57',
  '',
  'rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)',
  'configsip: 0, SPIWP:0xee',
  'clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00',
  'mode:DIO, clock div:1',
  'load:0x3fff0030,len:1344',
  'load:0x40078000,len:13964',
  'load:0x40080400,len:3600',
  'entry 0x400805f0',
];

/** SCT-013-030: 30 A per volt; the factor the simulated firmware starts with. */
const DEFAULT_AMPS_PER_VOLT = 30;
const MAX_COMMAND_LINE = 256;

export class Esp32Simulator extends EventEmitter<SimulatorEvents> {
  readonly id: string;
  readonly fw: string;
  readonly channels: number;
  readonly timeScale: number;
  private intervalMs: number;
  private readonly seed: number;
  private readonly bootNoise: boolean;
  private readonly clock: SimulatorClock;
  private readonly logger: Logger | undefined;
  private readonly models: MachineModel[];
  private readonly ampsPerVolt: number[];
  private readonly noiseA: number[];
  /** Channels whose clamp is off the cable: they read the ADC floor (0 A). */
  private readonly unplugged = new Set<number>();
  private running = false;
  private timer: unknown = null;
  private seq = 0;
  private bootedAt = 0;
  private inputBuffer = '';
  private stream: Duplex | null = null;
  private ownedPort: SerialPort | null = null;
  private readonly counters = { boots: 0, rmsSent: 0, commands: 0, writeErrors: 0 };

  constructor(options: Esp32SimulatorOptions = {}) {
    super();
    this.seed = options.seed ?? 1;
    this.intervalMs = options.intervalMs ?? 1000;
    if (!Number.isInteger(this.intervalMs) || this.intervalMs < 10) throw new RangeError('intervalMs must be an integer ≥ 10');
    this.channels = options.channels ?? 1;
    if (!Number.isInteger(this.channels) || this.channels < 1 || this.channels > MAX_CHANNELS) {
      throw new RangeError(`channels must be 1..${MAX_CHANNELS}`);
    }
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError('timeScale must be > 0');
    this.id = options.id ?? `sim${(this.seed >>> 0).toString(16).padStart(8, '0')}`;
    this.fw = options.fw ?? '1.0.0-sim';
    this.bootNoise = options.bootNoise ?? true;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger;
    this.models = Array.from({ length: this.channels }, (_, ch) => new MachineModel(this.seed + ch * 1_000_003, options.profile));
    this.ampsPerVolt = Array.from({ length: this.channels }, () => DEFAULT_AMPS_PER_VOLT);
    this.noiseA = Array.from({ length: this.channels }, () => 0);
  }

  /** Convenience: a simulator already connected to the device side of a pty. */
  static async connectToPath(path: string, options: Esp32SimulatorOptions = {}): Promise<Esp32Simulator> {
    const sim = new Esp32Simulator(options);
    await sim.connectToPath(path);
    return sim;
  }

  get isRunning(): boolean {
    return this.running;
  }

  get currentIntervalMs(): number {
    return this.intervalMs;
  }

  /** Boots (banner, hello) and starts reporting; does nothing when already running. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.boot();
  }

  /** Stops reporting and closes a port it opened itself; safe to call twice. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer();
    await this.detach();
  }

  /**
   * Sends output to `stream` as well and reads host commands from it, then reboots the
   * device (starting it if needed), as plugging in the USB cable would.
   */
  attach(stream: Duplex): void {
    void this.detach();
    this.stream = stream;
    stream.on('data', this.onStreamData);
    stream.on('error', this.onStreamError);
    stream.on('close', this.onStreamClose);
    this.running = true;
    this.boot();
  }

  /** Opens `path` (e.g. the device side of a pty pair) with serialport and attaches to it. */
  async connectToPath(path: string, options: { baudRate?: number } = {}): Promise<void> {
    const port = new SerialPort({ path, baudRate: options.baudRate ?? SERIAL_BAUD_RATE, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.attach(port);
    this.ownedPort = port;
  }

  /** Stops using the attached stream (closing it if this simulator opened it). */
  async detach(): Promise<void> {
    const stream = this.stream;
    const owned = this.ownedPort;
    this.stream = null;
    this.ownedPort = null;
    if (!stream) return;
    stream.off('data', this.onStreamData);
    stream.off('close', this.onStreamClose);
    // Keep swallowing errors of a stream we no longer use.
    if (owned && owned === stream && owned.isOpen) {
      await new Promise<void>((resolve) => owned.close(() => resolve()));
    }
  }

  /** Bytes from the host (commands are newline-terminated text). */
  receive(data: Buffer | string): void {
    this.inputBuffer += typeof data === 'string' ? data : data.toString('latin1');
    let nl: number;
    while ((nl = this.inputBuffer.indexOf('\n')) !== -1) {
      const line = this.inputBuffer.slice(0, nl).replace(/\r$/, '');
      this.inputBuffer = this.inputBuffer.slice(nl + 1);
      // Answer on a later turn, as a device on a wire would, never inside the host's write().
      setImmediate(() => this.handleCommand(line));
    }
    if (this.inputBuffer.length > MAX_COMMAND_LINE) this.inputBuffer = '';
  }

  /**
   * Takes the clamp of `channel` off the machine's cable (or puts it back): the channel reads
   * the ADC's floor, 0 A, while the machine goes on working. For sensor-fault tests and demos.
   */
  setClampUnplugged(unplugged: boolean, channel = 0): void {
    if (unplugged) this.unplugged.add(channel);
    else this.unplugged.delete(channel);
  }

  /** Takes one sample of every channel and sends the `rms` line now. */
  tick(): void {
    const dtS = (this.intervalMs * this.timeScale) / 1000;
    const irms = this.models.map((m, ch) => {
      const machineA = m.advance(dtS);
      if (this.unplugged.has(ch)) return 0;
      const sensed = (machineA * (this.ampsPerVolt[ch] ?? DEFAULT_AMPS_PER_VOLT)) / DEFAULT_AMPS_PER_VOLT;
      const noise = this.noiseA[ch] ?? 0;
      // Firmware subtracts the noise floor in quadrature (uncorrelated noise adds in power).
      const net = noise > 0 ? Math.sqrt(Math.max(0, sensed * sensed - noise * noise)) : sensed;
      return Math.round(net * 1000) / 1000;
    });
    this.counters.rmsSent++;
    this.sendMessage({ type: 'rms', seq: this.seq++, uptimeMs: Math.max(0, Math.round(this.clock.now() - this.bootedAt)), irms });
  }

  stats(): { boots: number; rmsSent: number; commands: number; writeErrors: number; seq: number; running: boolean; attached: boolean } {
    return { ...this.counters, seq: this.seq, running: this.running, attached: this.stream !== null };
  }

  private boot(): void {
    this.cancelTimer();
    this.counters.boots++;
    this.seq = 0;
    this.bootedAt = this.clock.now();
    this.inputBuffer = '';
    if (this.bootNoise) {
      this.send(Buffer.from(`${ESP32_ROM_BANNER.join('\r\n')}\r\n`, 'latin1'));
      // Line noise while the USB bridge settles, then the tail of a line cut by the reset.
      this.send(Buffer.from([0x00, 0xe0, 0xff, 0x1c, 0x80, 0xfe, 0x0a]));
      this.send(Buffer.from('{"type":"rms","seq":17,"uptimeMs":41\n', 'latin1'));
    }
    this.sendHello();
    this.schedule();
  }

  private schedule(): void {
    this.cancelTimer();
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.running) return;
      this.tick();
      this.schedule();
    }, this.intervalMs);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private sendHello(): void {
    this.sendMessage({ type: 'hello', fw: this.fw, id: this.id, channels: this.channels, intervalMs: this.intervalMs });
  }

  private ack(cmd: string, ok: boolean, error?: string): void {
    this.sendMessage(error === undefined ? { type: 'ack', cmd, ok } : { type: 'ack', cmd, ok, error });
  }

  private handleCommand(line: string): void {
    if (!this.running) return;
    const trimmed = line.trim();
    if (trimmed === '') return;
    this.counters.commands++;
    this.emit('command', trimmed);
    const [word = '', ...args] = trimmed.split(/\s+/);
    const cmd = /^[a-z]{1,32}$/.test(word) ? word : 'unknown';
    const channelArg = (s: string | undefined): number | null => {
      const n = Number(s);
      return s !== undefined && /^\d+$/.test(s) && n < this.channels ? n : null;
    };
    const numberArg = (s: string | undefined): number | null => {
      const n = Number(s);
      return s !== undefined && s !== '' && Number.isFinite(n) && n >= 0 ? n : null;
    };
    switch (cmd) {
      case 'info':
        this.sendHello();
        return;
      case 'interval': {
        const ms = numberArg(args[0]);
        if (ms === null || !Number.isInteger(ms) || ms < 100 || ms > 60_000 || args.length !== 1) {
          this.ack(cmd, false, 'usage: interval <100..60000>');
          return;
        }
        this.intervalMs = ms;
        this.ack(cmd, true);
        this.schedule();
        return;
      }
      case 'cal':
      case 'noise': {
        const ch = channelArg(args[0]);
        const value = numberArg(args[1]);
        if (ch === null || value === null || args.length !== 2 || (cmd === 'cal' && value === 0)) {
          this.ack(cmd, false, `usage: ${cmd} <channel 0..${this.channels - 1}> <${cmd === 'cal' ? 'amps-per-volt' : 'amps'}>`);
          return;
        }
        (cmd === 'cal' ? this.ampsPerVolt : this.noiseA)[ch] = value;
        this.ack(cmd, true);
        return;
      }
      case 'save':
        this.ack(cmd, args.length === 0, args.length === 0 ? undefined : 'usage: save');
        return;
      default:
        this.ack(cmd, false, 'unknown command');
    }
  }

  private sendMessage(message: SerialMessage): void {
    this.send(Buffer.from(encodeSerialMessage(message), 'utf8'));
  }

  private send(bytes: Buffer): void {
    this.emit('data', bytes);
    const stream = this.stream;
    if (stream && !stream.destroyed && stream.writable) {
      stream.write(bytes, (err) => {
        if (err) this.onStreamError(err);
      });
    }
  }

  private readonly onStreamData = (chunk: Buffer | string): void => {
    this.receive(chunk);
  };

  private readonly onStreamError = (err: Error): void => {
    this.counters.writeErrors++;
    this.logger?.debug({ err }, 'simulator stream error');
  };

  private readonly onStreamClose = (): void => {
    // The pty went away (socat stopped): keep the machine running, just unplugged.
    this.logger?.debug('simulator stream closed');
    void this.detach();
  };
}
