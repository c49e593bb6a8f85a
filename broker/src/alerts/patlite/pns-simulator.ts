/**
 * A PATLITE LAN tower on 127.0.0.1, written from the protocol description (reference
 * patlite.md and PATLITE's public LA6-POE examples), for tests and for trying the CLI without
 * a tower. It records every byte it receives and answers per scenario:
 *   normal  — ACK to valid S/D/C frames (and applies them to its lamps), a status reply to G,
 *             NAK to frames a real tower refuses (wrong category, bad length or values);
 *   nak     — NAK to everything;
 *   garbage — bytes that are not PNS;
 *   silent  — reads, never answers (the client times out);
 *   close   — closes the connection on the first frame.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { decodePnsFrame, PNS_ACK, PNS_CATEGORY, PNS_NAK, type PnsFrame, type PnsModel } from './pns-frame.js';

export type PnsScenario = 'normal' | 'nak' | 'garbage' | 'silent' | 'close';

export type PnsSimulatorOptions = {
  model: PnsModel;
  scenario?: PnsScenario;
  /** Reply in `garbage` (default an HTTP-looking line). */
  garbage?: Buffer;
  /** Send replies one byte at a time (TCP may split replies on a real network). */
  splitReplies?: boolean;
};

/** The simulated lamps: S patterns per unit (0 off, 1 on, 2/3 blink), buzzer, last D colours. */
export type PnsSimulatedState = { units: number[]; buzzer: number; colours: number[] | null; blink: boolean };

export class PnsSimulator {
  readonly model: PnsModel;
  scenario: PnsScenario;
  garbage: Buffer;
  splitReplies: boolean;
  /** Frames received, in order, across connections. */
  readonly frames: PnsFrame[] = [];
  /** Every received byte per connection, exactly as it arrived. */
  readonly connections: Buffer[] = [];
  /** Most connections open at the same time so far. */
  maxConcurrent = 0;
  state: PnsSimulatedState = { units: [0, 0, 0, 0, 0], buzzer: 0, colours: null, blink: false };
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly open = new Set<Socket>();
  private boundPort: number | null = null;

  constructor(options: PnsSimulatorOptions) {
    this.model = options.model;
    this.scenario = options.scenario ?? 'normal';
    this.garbage = options.garbage ?? Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n');
    this.splitReplies = options.splitReplies ?? false;
  }

  get port(): number {
    if (this.boundPort === null) throw new Error('PnsSimulator is not started');
    return this.boundPort;
  }

  /** All bytes received so far, concatenated. */
  get bytes(): Buffer {
    return Buffer.concat(this.connections);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    // Open = until the client has finished sending (FIN) or the socket is gone.
    this.open.add(socket);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.open.size);
    socket.once('end', () => this.open.delete(socket));
    socket.once('close', () => this.open.delete(socket));
    const index = this.connections.push(Buffer.alloc(0)) - 1;
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      this.connections[index] = Buffer.concat([this.connections[index]!, chunk]);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const parsed = decodePnsFrame(pending);
        if (parsed.state === 'incomplete') return;
        pending = Buffer.from(parsed.rest);
        if (parsed.state === 'invalid') {
          this.reply(socket, Buffer.from([PNS_NAK]));
          continue;
        }
        this.frames.push(parsed.frame);
        this.answer(socket, parsed.frame);
      }
    });
  }

  private answer(socket: Socket, frame: PnsFrame): void {
    switch (this.scenario) {
      case 'silent':
        return;
      case 'close':
        socket.destroy();
        return;
      case 'garbage':
        this.reply(socket, this.garbage);
        return;
      case 'nak':
        this.reply(socket, Buffer.from([PNS_NAK]));
        return;
      case 'normal':
        this.reply(socket, this.execute(frame));
    }
  }

  private reply(socket: Socket, bytes: Buffer): void {
    if (socket.destroyed) return;
    if (!this.splitReplies || bytes.length < 2) {
      socket.write(bytes);
      return;
    }
    // One byte per write, each on its own tick, so the client sees several 'data' events.
    let i = 0;
    const next = () => {
      if (i >= bytes.length || socket.destroyed) return;
      socket.write(bytes.subarray(i, i + 1));
      i++;
      setImmediate(next);
    };
    next();
  }

  /** What a real tower does with a well-formed frame. */
  private execute(frame: PnsFrame): Buffer {
    const nak = Buffer.from([PNS_NAK]);
    const ack = Buffer.from([PNS_ACK]);
    if (frame.category !== PNS_CATEGORY[this.model]) return nak;
    const d = Array.from(frame.data);
    const nh = this.model === 'nh';
    switch (frame.command) {
      case 'S': {
        const unitOk = (u: number) => u === 9 || u <= (nh ? 3 : 2);
        const buzzer = d[5]!;
        if (d.length !== 6 || !d.slice(0, 5).every(unitOk) || !(buzzer === 9 || buzzer <= (nh ? 4 : 3))) return nak;
        this.state.units = d.slice(0, 5).map((u, i) => (u === 9 ? this.state.units[i]! : u));
        if (buzzer !== 9) this.state.buzzer = buzzer;
        this.state.colours = null;
        return ack;
      }
      case 'D': {
        if (nh || d.length !== 7 || !d.slice(0, 5).every((c) => c <= 9) || d[5]! > 1 || d[6]! > 11) return nak;
        this.state.colours = d.slice(0, 5);
        this.state.blink = d[5] === 1;
        this.state.units = this.state.colours.map((c) => (c === 0 ? 0 : this.state.blink ? 2 : 1));
        this.state.buzzer = d[6]!;
        return ack;
      }
      case 'C':
        if (d.length !== 0) return nak;
        this.state = { units: [0, 0, 0, 0, 0], buzzer: 0, colours: null, blink: false };
        return ack;
      case 'G': {
        if (d.length !== 0) return nak;
        const lamps = [...this.state.units, this.state.buzzer];
        // LA6: 8 input bytes (all open) + mode 0 (signal-light mode) + lamps.
        return Buffer.from(nh ? lamps : [0, 0, 0, 0, 0, 0, 0, 0, 0, ...lamps]);
      }
      default:
        return nak;
    }
  }
}
