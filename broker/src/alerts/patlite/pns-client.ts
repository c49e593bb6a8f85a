/**
 * Talks PNS to one PATLITE LAN tower over TCP.
 *
 * One connection per command: connect, send one frame, read the reply, close. Alerts are rare,
 * towers serve few connections at a time (a held connection would lock out the installation
 * CLI, PATLITE's own tools or a second hub) and a fresh connection survives a tower reboot or
 * a DHCP change without reconnect logic. Commands are queued so this client never holds more
 * than one connection. Each command gets one attempt bounded by `timeoutMs` (connect + reply);
 * retrying is the caller's job (the channel retries with back-off, the CLI reports).
 */
import { connect, type Socket } from 'node:net';
import { MierukaError } from '@mieruka/protocol';
import { encodeClear, encodeStatusRequest, hexBytes, PNS_DEFAULT_PORT, type PnsModel } from './pns-frame.js';
import { decodeAckReply, decodeStatusReply, type PnsStatus } from './pns-reply.js';
import { signalToPnsFrame, type La6Command, type TowerSignal } from './tower-signal.js';

export const PNS_DEFAULT_TIMEOUT_MS = 3000;
/** How long a closed command waits for the tower's FIN before dropping the socket. */
const LINGER_MS = 500;

export type PnsClientOptions = {
  host: string;
  port?: number;
  model: PnsModel;
  /** Connect + reply, per command (default 3 s). */
  timeoutMs?: number;
  /** LA6 only: D (colours set by Mieruka, default) or S (colours configured in the tower). */
  la6Command?: La6Command;
};

type Expect = 'ack' | 'status';

export class PnsClient {
  readonly host: string;
  readonly port: number;
  readonly model: PnsModel;
  readonly timeoutMs: number;
  readonly la6Command: La6Command;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly sockets = new Set<Socket>();

  constructor(options: PnsClientOptions) {
    this.host = options.host;
    this.port = options.port ?? PNS_DEFAULT_PORT;
    this.model = options.model;
    this.timeoutMs = options.timeoutMs ?? PNS_DEFAULT_TIMEOUT_MS;
    this.la6Command = options.la6Command ?? 'D';
  }

  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Shows a signal (S or D, or C when all is off); resolves on ACK. */
  async show(signal: TowerSignal): Promise<void> {
    await this.send(signalToPnsFrame(this.model, signal, this.la6Command));
  }

  async clear(): Promise<void> {
    await this.send(encodeClear(this.model));
  }

  async status(): Promise<PnsStatus> {
    const reply = await this.request(encodeStatusRequest(this.model), 'status');
    return reply as PnsStatus;
  }

  /** Sends a control frame (S, D, C …) and resolves on ACK; NAK, garbage, silence reject. */
  async send(frame: Buffer): Promise<void> {
    await this.request(frame, 'ack');
  }

  /** Drops any connection in flight (its command rejects). */
  close(): void {
    for (const s of this.sockets) s.destroy();
  }

  private request(frame: Buffer, expect: Expect): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // The next command waits until this connection is closed, not just answered.
      this.queue = this.queue.then(
        () =>
          new Promise<void>((released) => {
            this.exchange(frame, expect, released).then(resolve, reject);
          }),
      );
    });
  }

  private exchange(frame: Buffer, expect: Expect, released: () => void): Promise<unknown> {
    const command = frame.toString('latin1', 2, 3);
    const what = `PATLITE tower ${this.address} (${this.model.toUpperCase()})`;
    return new Promise((resolve, reject) => {
      let received = Buffer.alloc(0);
      let connected = false;
      let settled = false;
      let socket: Socket;
      try {
        socket = connect({ host: this.host, port: this.port });
      } catch (err) {
        released();
        reject(new MierukaError('PATLITE_CONNECTION_FAILED', `${what}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => {
        clearTimeout(linger);
        this.sockets.delete(socket);
        released();
      });
      let linger: NodeJS.Timeout | undefined;
      const finish = (err: MierukaError | null, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners('data');
        if (err) {
          socket.destroy();
          reject(err);
          return;
        }
        // A polite close (FIN, then the tower's FIN): a tower that serves one client at a time
        // is free again before the next command connects. Bounded, in case it never answers.
        socket.end();
        linger = setTimeout(() => socket.destroy(), LINGER_MS);
        resolve(value);
      };
      const timer = setTimeout(() => {
        const detail = connected
          ? received.length
            ? `only ${hexBytes(received)} arrived`
            : `connected, but no reply to the ${command} command: is it a PNS tower of the ${this.model.toUpperCase()} family (product category ${this.model === 'la6' ? 'AB' : 'XX'})?`
          : 'no TCP connection: check power, cable, IP address and port';
        finish(new MierukaError('PATLITE_TIMEOUT', `${what} did not answer within ${this.timeoutMs} ms (${detail})`, { details: { host: this.host, port: this.port, command } }));
      }, this.timeoutMs);
      socket.setNoDelay(true);
      socket.once('connect', () => {
        connected = true;
        socket.write(frame);
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const parsed = expect === 'ack' ? decodeAckReply(received) : decodeStatusReply(this.model, received);
        switch (parsed.state) {
          case 'incomplete':
            return;
          case 'ack':
            return finish(null, undefined);
          case 'status':
            return finish(null, parsed.status);
          case 'nak':
            return finish(new MierukaError('PATLITE_NAK', `${what} answered NAK to the ${command} command (${hexBytes(frame)}): wrong model/category or a value this tower does not support`, { details: { host: this.host, port: this.port, command } }));
          case 'bad':
            return finish(new MierukaError('PATLITE_BAD_REPLY', `${what} sent an unexpected reply to the ${command} command: ${parsed.reason}`, { details: { host: this.host, port: this.port, command } }));
        }
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'ECONNREFUSED'
            ? 'refused the connection: check the IP address and port (PNS default 10000) and that PNS/socket control is enabled in the tower'
            : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
              ? `cannot be found (${err.code}): check the host name`
              : `cannot be reached (${err.code ?? err.message})`;
        finish(new MierukaError('PATLITE_CONNECTION_FAILED', `${what} ${why}`, { cause: err, details: { host: this.host, port: this.port, command } }));
      });
      socket.on('close', () => {
        const got = received.length ? ` after ${hexBytes(received)}` : '';
        finish(new MierukaError('PATLITE_CONNECTION_FAILED', `${what} closed the connection without answering the ${command} command${got} (busy with another client?)`, { details: { host: this.host, port: this.port, command } }));
      });
    });
  }
}
