/**
 * A raw MQTT 3.1.1 client for conformance tests: a plain TCP socket and mqtt-packet, so a
 * test sees every flag on the wire (DUP, session present, return codes) and can misbehave on
 * purpose (never acknowledge, drop the connection, stay silent past the keep-alive), which
 * MQTT.js would hide or refuse to do. Every wait is bounded.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import mqttPacket, { type IConnackPacket, type IConnectPacket, type IPublishPacket, type Packet } from 'mqtt-packet';

type Cmd = Packet['cmd'];
type PacketOf<C extends Cmd> = Extract<Packet, { cmd: C }>;

const WAIT_MS = 5000;

export class RawMqttClient {
  /** Packets received and not yet taken by `next()`, in arrival order. */
  readonly received: Packet[] = [];
  closed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet: Packet) => {
      this.received.push(packet);
      this.wake();
    });
    parser.on('error', () => socket.destroy());
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Opens a TCP connection to 127.0.0.1:port (no MQTT yet). */
  static open(port: number): Promise<RawMqttClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTcp({ host: '127.0.0.1', port }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawMqttClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Opens a connection, sends CONNECT (MQTT 3.1.1 unless told otherwise) and returns the CONNACK. */
  static async connect(port: number, connect: Partial<IConnectPacket>): Promise<{ client: RawMqttClient; connack: IConnackPacket }> {
    const client = await RawMqttClient.open(port);
    const packet: IConnectPacket = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: '', ...connect };
    if (packet.clientId === '' && packet.clean === false) {
      // mqtt-packet refuses to encode this (it is the client's mistake [MQTT-3.1.3-7]): encode
      // it with CleanSession 1 and clear the flag (bit 1 of the connect flags byte).
      const bytes = mqttPacket.generate({ ...packet, clean: true });
      const flagsAt = bytes.indexOf(Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04])) + 7;
      bytes[flagsAt] = (bytes[flagsAt] as number) & ~0x02;
      client.socket.write(bytes);
    } else client.send(packet);
    const connack = await client.next('connack');
    return { client, connack };
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet));
  }

  /** Takes the first received packet of this type, waiting for it (bounded). */
  async next<C extends Cmd>(cmd: C, match: (p: PacketOf<C>) => boolean = () => true, timeoutMs = WAIT_MS): Promise<PacketOf<C>> {
    const found = await this.waitUntil(() => {
      const i = this.received.findIndex((p) => p.cmd === cmd && match(p as PacketOf<C>));
      return i === -1 ? undefined : (this.received.splice(i, 1)[0] as PacketOf<C>);
    }, `${cmd} packet`, timeoutMs);
    return found;
  }

  /** Publishes received so far (not taken), optionally for one topic. */
  publishes(topic?: string): IPublishPacket[] {
    return this.received.filter((p): p is IPublishPacket => p.cmd === 'publish' && (topic === undefined || p.topic === topic));
  }

  async subscribe(topic: string, qos: 0 | 1 | 2, messageId: number): Promise<number[]> {
    this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
    const suback = await this.next('suback', (p) => p.messageId === messageId);
    return suback.granted as number[];
  }

  /** Waits until the server closes the connection (bounded). */
  async waitClosed(timeoutMs = WAIT_MS): Promise<void> {
    await this.waitUntil(() => this.closed || undefined, 'the server to close the connection', timeoutMs);
  }

  /** Sends DISCONNECT and waits for the server to close [MQTT-3.14.4-1]. */
  async disconnect(): Promise<void> {
    this.send({ cmd: 'disconnect' });
    await this.waitClosed();
  }

  /** Drops the TCP connection without DISCONNECT (what a crash or cable pull looks like). */
  drop(): void {
    this.socket.destroy();
  }

  private waitUntil<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = (): void => void attempt();
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (!attempt()) this.waiters.add(waiter);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
