/**
 * Reads protocol lines from a serial port (USB-serial bridge of an ESP32, or a pty) and keeps
 * doing so through unplugging: a missing port, an error or a close is reported with a
 * 'status' event and retried with capped exponential back-off. The path may be a function,
 * re-resolved before every attempt, so a re-plugged device found anew under
 * /dev/serial/by-id is picked up.
 *
 * While the port is closed the reader also watches for the device to (re)appear, a stat of
 * the path every `appearCheckMs` (or the discovery function twice a second), and opens it at
 * once: the back-off alone could wait up to `reconnect.maxMs` after a replug while the
 * freshly reset ESP32 streams readings nobody reads (issue 15: back within a second).
 *
 * A device watchdog checks the path every `deviceCheckMs` while the port is open: a hung-up
 * tty (USB unplugged, pty master gone) may read end-of-file forever inside serialport
 * without ever closing the port, so a path that vanished or now names another device
 * counts as a lost port.
 */
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { encodeHostCommand, MierukaError, SERIAL_BAUD_RATE, type HostCommand, type Now } from '@mieruka/protocol';
import { SerialCounters, SerialLineDecoder } from './serial-line-decoder.js';
import { SkipReporter } from './skip-reporter.js';
import type { SerialMessageSource, SerialSourceEvents, SerialSourceStats, SerialStatus } from '@mieruka/protocol';

export interface SerialLineReaderOptions {
  /** A device path, or a function that finds one (null: none present right now). */
  path: string | (() => Promise<string | null>);
  baudRate?: number;
  logger: Logger;
  reconnect?: { initialMs?: number; maxMs?: number };
  /** How often the open port's path is checked for its device (default 250 ms; 0: never). */
  deviceCheckMs?: number;
  /** While closed, how often the path is checked for the device to appear (default 200 ms; 0: never). */
  appearCheckMs?: number;
  now?: Now;
}

type DeviceId = { ino: number; rdev: number };

export class SerialLineReader extends EventEmitter<SerialSourceEvents> implements SerialMessageSource {
  private readonly options: SerialLineReaderOptions;
  private readonly logger: Logger;
  private readonly baudRate: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly counters = new SerialCounters();
  private running = false;
  private port: SerialPort | null = null;
  private portPath: string | null = null;
  private decoder: SerialLineDecoder | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private opened = 0;
  private opening: Promise<void> | null = null;
  private lastError: string | null = null;
  private lastStatusKey = '';
  private deviceTimer: NodeJS.Timeout | null = null;
  private appearTimer: NodeJS.Timeout | null = null;
  private readonly skipReporter: SkipReporter;

  constructor(options: SerialLineReaderOptions) {
    super();
    this.options = options;
    this.logger = options.logger;
    this.baudRate = options.baudRate ?? SERIAL_BAUD_RATE;
    this.initialMs = Math.max(1, options.reconnect?.initialMs ?? 500);
    this.maxMs = Math.max(this.initialMs, options.reconnect?.maxMs ?? 10_000);
    this.skipReporter = new SkipReporter({ logger: options.logger, ...(options.now ? { now: options.now } : {}) });
  }

  /** Resolves after the first attempt to open, whether or not the port was there. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.attemptOpen();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopAppearWatch();
    await this.opening?.catch(() => undefined);
    const port = this.port;
    this.detachPort();
    if (port) await closePort(port);
  }

  async write(command: HostCommand): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new MierukaError('SERIAL_PORT_UNAVAILABLE', 'serial port is not open');
    const line = encodeHostCommand(command);
    await new Promise<void>((resolve, reject) => {
      port.write(line, (err) => (err ? reject(new MierukaError('SERIAL_PORT_UNAVAILABLE', `serial write failed: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  stats(): SerialSourceStats {
    return {
      open: this.port?.isOpen ?? false,
      path: this.portPath,
      reconnects: Math.max(0, this.opened - 1),
      lastError: this.port ? null : this.lastError,
      ...this.counters.snapshot(),
    };
  }

  private attemptOpen(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopAppearWatch();
    const p = this.open().finally(() => {
      if (this.opening === p) this.opening = null;
    });
    this.opening = p;
    return p;
  }

  private async open(): Promise<void> {
    if (!this.running) return;
    let path: string | null;
    try {
      path = typeof this.options.path === 'string' ? this.options.path : await this.options.path();
    } catch (err) {
      this.failed(null, `serial port discovery failed: ${(err as Error).message}`);
      return;
    }
    if (!this.running) return;
    if (!path) {
      this.failed(null, 'no serial port found');
      return;
    }
    let port: SerialPort;
    try {
      port = new SerialPort({ path, baudRate: this.baudRate, autoOpen: false });
    } catch (err) {
      this.failed(path, `cannot open ${path}: ${(err as Error).message}`);
      return;
    }
    // A port object must never emit an unhandled 'error', even after we let go of it.
    port.on('error', (err) => this.lost(port, err));
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.failed(path, `cannot open ${path}: ${(err as Error).message}`);
      return;
    }
    if (!this.running) {
      await closePort(port);
      return;
    }
    this.port = port;
    this.portPath = path;
    const skips = this.skipReporter;
    skips.opened();
    this.decoder = new SerialLineDecoder(this.counters, {
      message: (m) => {
        skips.delivered();
        this.emit('message', m);
      },
      skip: (s) => {
        skips.skipped(s.reason, s.detail);
        this.emit('skip', s);
      },
    });
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) this.decoder?.write(chunk);
    });
    port.on('close', (err: Error | null) => this.lost(port, err ?? new Error('port closed')));
    this.attempt = 0;
    this.opened++;
    this.lastError = null;
    this.logger.info({ path, reconnects: this.opened - 1 }, 'serial port open');
    this.watchDevice(port, path);
    this.emit('open', path);
    this.emitStatus({ open: true, path });
  }

  /** The open port failed or went away (unplugged, pty closed). */
  private lost(port: SerialPort, err: Error): void {
    if (this.port !== port) return;
    const path = this.portPath;
    this.detachPort();
    void closePort(port);
    // A fresh back-off whose first retry is at once: the device may be back already (another
    // device behind the path) or never gone (an ESP32 reset closes nothing for long).
    this.attempt = 0;
    if (this.running) this.failed(path, `serial port ${path ?? ''} lost: ${err.message}`, 0);
  }

  /**
   * Opens as soon as the device is there: a path that was missing and now exists (or leads to
   * another device), or a discovery function that now finds one. Opening a path that exists
   * but fails (busy, no permission) is left to the back-off.
   */
  private watchForDevice(failedPath: string | null): void {
    const everyMs = this.options.appearCheckMs ?? 200;
    if (everyMs <= 0 || this.appearTimer) return;
    const fixed = typeof this.options.path === 'string' ? this.options.path : null;
    const discover = typeof this.options.path === 'function' ? this.options.path : null;
    const watched = fixed ?? failedPath;
    let before: DeviceId | null | undefined;
    let checking = false;
    let ticks = 0;
    const check = async (): Promise<void> => {
      if (checking || !this.running || this.port || this.opening) return;
      checking = true;
      try {
        ticks++;
        let appeared = false;
        if (watched !== null) {
          const now = await deviceId(watched);
          if (before === undefined) before = now;
          else if (now !== null && (before === null || now.ino !== before.ino || now.rdev !== before.rdev)) appeared = true;
          else before = now;
        }
        // Discovery lists the ports: cheap, but not every 200 ms.
        if (!appeared && discover && fixed === null && ticks % Math.max(1, Math.round(500 / everyMs)) === 0) {
          const found = await discover().catch(() => null);
          appeared = found !== null && found !== failedPath;
        }
        if (appeared && this.running && !this.port && !this.opening) {
          this.attempt = 0;
          this.attemptOpen().catch((err: unknown) => this.logger.error({ err }, 'serial reopen failed unexpectedly'));
        }
      } finally {
        checking = false;
      }
    };
    void check(); // what the path leads to now, to compare with
    this.appearTimer = setInterval(() => void check(), everyMs);
  }

  private stopAppearWatch(): void {
    if (this.appearTimer) clearInterval(this.appearTimer);
    this.appearTimer = null;
  }

  /** Polls the path of the open port: gone, or another device behind it, means the port is lost. */
  private watchDevice(port: SerialPort, path: string): void {
    const everyMs = this.options.deviceCheckMs ?? 250;
    if (everyMs <= 0) return;
    let opened: DeviceId | undefined;
    let checking = false;
    const check = async () => {
      if (checking || this.port !== port) return;
      checking = true;
      try {
        const now = await deviceId(path);
        if (this.port !== port) return;
        if (now === null) this.lost(port, new Error('device path vanished'));
        else if (opened === undefined) opened = now;
        else if (now.ino !== opened.ino || now.rdev !== opened.rdev) this.lost(port, new Error('another device behind the path'));
      } finally {
        checking = false;
      }
    };
    void check(); // the device as opened
    this.deviceTimer = setInterval(() => void check(), everyMs);
  }

  private detachPort(): void {
    if (this.deviceTimer) clearInterval(this.deviceTimer);
    this.deviceTimer = null;
    this.decoder?.end();
    this.decoder = null;
    this.port = null;
  }

  private failed(path: string | null, error: string, firstDelayMs?: number): void {
    this.lastError = error;
    const delay = firstDelayMs ?? Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const changed = this.emitStatus({ open: false, path, error });
    // Log the first failure of a kind loudly, the retries quietly (a missing port retries forever).
    this.logger[changed ? 'warn' : 'debug']({ path, retryInMs: delay }, error);
    if (!this.running) return;
    this.retryTimer = setTimeout(() => {
      this.attemptOpen().catch((err: unknown) => this.logger.error({ err }, 'serial reopen failed unexpectedly'));
    }, delay);
    this.watchForDevice(path);
  }

  /** Emits 'status' when it differs from the last one; returns whether it did. */
  private emitStatus(status: SerialStatus): boolean {
    const key = status.open ? `open ${status.path}` : `closed ${status.error}`;
    if (key === this.lastStatusKey) return false;
    this.lastStatusKey = key;
    this.emit('status', status);
    return true;
  }
}

async function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

/** Identity of the device a path leads to (links followed), or null when there is none. */
async function deviceId(path: string): Promise<DeviceId | null> {
  try {
    const st = await stat(path);
    return { ino: st.ino, rdev: st.rdev };
  } catch {
    return null;
  }
}
