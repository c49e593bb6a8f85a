/**
 * MQTT over TLS (mqtts://): a node:tls server that hands each connection, once its handshake
 * is done, to the broker exactly like the TCP listener does (limits' admit, the access
 * control's register with the socket's remote address, accounts and ACL alike). With a CA the
 * server also asks for a client certificate and refuses one it did not sign (mutual TLS).
 * A failed handshake (plain MQTT on this port, an untrusted client certificate, a scanner)
 * is counted and logged by the limits, never fatal.
 */
import { createServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { TrackedListener } from '../net/tracked-listener.js';
import type { MqttBroker } from './mqtt-broker.js';
import type { MqttLimits } from './mqtt-limits.js';
import type { MqttTlsFiles } from './mqtt-tls-files.js';

export type MqttTlsServerOptions = {
  broker: MqttBroker;
  files: MqttTlsFiles;
  host: string;
  port: number;
  logger: Logger;
  /** Counts failed handshakes; without it they are only debug-logged. */
  limits?: MqttLimits;
  /** A client that has not finished its handshake by then is dropped (node's default is 120 s). */
  handshakeTimeoutMs?: number;
};

export class MqttTlsServer {
  private readonly options: MqttTlsServerOptions;
  private readonly logger: Logger;
  private readonly listener = new TrackedListener('MQTT TLS server');

  constructor(options: MqttTlsServerOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mqtt-tls-server' });
  }

  /** The bound TLS port (useful with port 0). */
  get port(): number {
    return this.listener.port;
  }

  get connections(): number {
    return this.listener.connections;
  }

  async start(): Promise<void> {
    if (this.listener.listening) return;
    const { files } = this.options;
    const server = createServer(
      {
        cert: files.cert,
        key: files.key,
        ...(files.ca ? { ca: files.ca } : {}),
        requestCert: files.mutual,
        rejectUnauthorized: files.mutual,
        handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
      },
      (socket: TLSSocket) => {
        socket.setNoDelay(true);
        this.options.broker.handle(socket);
      },
    );
    // The raw sockets, so stop() also ends connections still in their handshake.
    server.on('connection', (socket) => this.listener.track(socket));
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      const address = socket.remoteAddress ?? 'unknown';
      if (this.options.limits) this.options.limits.onTlsError(address, err);
      else this.logger.debug({ address, err: err.message }, 'TLS handshake failed');
    });
    const port = await this.listener.listen(server, this.options.port, this.options.host, this.logger);
    this.logger.info({ host: this.options.host, port, mutualTls: files.mutual }, 'MQTT listening on TLS');
  }

  async stop(): Promise<void> {
    await this.listener.close();
  }
}
