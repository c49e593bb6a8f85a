/** MQTT over TCP: a net.Server that hands each socket to the broker. Port 0 picks a free port. */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { MqttBroker } from './mqtt-broker.js';

export type MqttServerOptions = { broker: MqttBroker; host: string; port: number; logger: Logger };

export class MqttServer {
  private readonly options: MqttServerOptions;
  private readonly logger: Logger;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private boundPort: number | null = null;

  constructor(options: MqttServerOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mqtt-server' });
  }

  /** The bound TCP port (useful with port 0). */
  get port(): number {
    if (this.boundPort === null) throw new Error('MqttServer is not started');
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      // Small packets (PUBACK, PINGRESP) should not wait for Nagle's algorithm.
      socket.setNoDelay(true);
      this.options.broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err }, 'MQTT TCP server error'));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.logger.info({ host: this.options.host, port: this.boundPort }, 'MQTT listening on TCP');
  }

  get connections(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
    this.boundPort = null;
  }
}
