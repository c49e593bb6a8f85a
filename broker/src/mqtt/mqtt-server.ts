/** MQTT over TCP: a net.Server that hands each socket to the broker. Port 0 picks a free port. */
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import { TrackedListener } from '../net/tracked-listener.js';
import type { MqttBroker } from './mqtt-broker.js';

export type MqttServerOptions = { broker: MqttBroker; host: string; port: number; logger: Logger };

export class MqttServer {
  private readonly options: MqttServerOptions;
  private readonly logger: Logger;
  private readonly listener = new TrackedListener('MQTT TCP server');

  constructor(options: MqttServerOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mqtt-server' });
  }

  /** The bound TCP port (useful with port 0). */
  get port(): number {
    return this.listener.port;
  }

  async start(): Promise<void> {
    if (this.listener.listening) return;
    const server = createServer((socket) => {
      this.listener.track(socket);
      // Small packets (PUBACK, PINGRESP) should not wait for Nagle's algorithm.
      socket.setNoDelay(true);
      this.options.broker.handle(socket);
    });
    const port = await this.listener.listen(server, this.options.port, this.options.host, this.logger);
    this.logger.info({ host: this.options.host, port }, 'MQTT listening on TCP');
  }

  get connections(): number {
    return this.listener.connections;
  }

  async stop(): Promise<void> {
    await this.listener.close();
  }
}
