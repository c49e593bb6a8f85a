/**
 * Connects an Esp32Simulator to an agent without a pty (for the demo when socat is missing):
 * the simulator's bytes go through the same SerialLineDecoder as a real port.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { encodeHostCommand, MierukaError, type HostCommand } from '@mieruka/protocol';
import type { Esp32Simulator } from './esp32-simulator.js';
import { SerialCounters, SerialLineDecoder } from './serial-line-decoder.js';
import type { SerialMessageSource, SerialSourceEvents, SerialSourceStats } from '@mieruka/protocol';

export const IN_PROCESS_PATH = 'in-process';

export class InProcessSerialLink extends EventEmitter<SerialSourceEvents> implements SerialMessageSource {
  private readonly simulator: Esp32Simulator;
  private readonly logger: Logger;
  private readonly counters = new SerialCounters();
  private decoder: SerialLineDecoder | null = null;
  private startedSimulator = false;
  private opens = 0;

  constructor(options: { simulator: Esp32Simulator; logger: Logger }) {
    super();
    this.simulator = options.simulator;
    this.logger = options.logger.child({ component: 'in-process-serial' });
  }

  /** "Plugs in" the simulator: starts it unless it is already running. */
  async start(): Promise<void> {
    if (this.decoder) return;
    this.decoder = new SerialLineDecoder(this.counters, {
      message: (m) => this.emit('message', m),
      skip: (s) => {
        this.logger.debug({ reason: s.reason, detail: s.detail }, 'serial line skipped');
        this.emit('skip', s);
      },
    });
    this.simulator.on('data', this.onData);
    this.opens++;
    this.emit('open', IN_PROCESS_PATH);
    this.emit('status', { open: true, path: IN_PROCESS_PATH });
    if (!this.simulator.isRunning) {
      this.startedSimulator = true;
      await this.simulator.start();
    }
  }

  async stop(): Promise<void> {
    const decoder = this.decoder;
    if (!decoder) return;
    this.decoder = null;
    this.simulator.off('data', this.onData);
    decoder.end();
    if (this.startedSimulator) {
      this.startedSimulator = false;
      await this.simulator.stop();
    }
    this.emit('status', { open: false, path: IN_PROCESS_PATH, error: 'stopped' });
  }

  async write(command: HostCommand): Promise<void> {
    if (!this.decoder) throw new MierukaError('SERIAL_PORT_UNAVAILABLE', 'in-process serial link is not started');
    this.simulator.receive(encodeHostCommand(command));
  }

  stats(): SerialSourceStats {
    return {
      open: this.decoder !== null,
      path: IN_PROCESS_PATH,
      reconnects: Math.max(0, this.opens - 1),
      lastError: null,
      ...this.counters.snapshot(),
    };
  }

  private readonly onData = (bytes: Buffer): void => {
    this.decoder?.write(bytes);
  };
}
