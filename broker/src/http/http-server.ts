/**
 * The hub's one HTTP port: the dashboard's express app for requests, and upgrade requests
 * routed by path (MQTT over WebSocket, the dashboard's live feed); anything else gets a 404.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

/** Returns true when it took the socket. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export type HttpServerOptions = {
  host: string;
  port: number;
  handler: RequestListener;
  /** Tried in order; the first that returns true owns the socket. */
  upgradeHandlers: UpgradeHandler[];
  logger: Logger;
};

export class HttpServer {
  private readonly options: HttpServerOptions;
  private readonly logger: Logger;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private boundPort: number | null = null;

  constructor(options: HttpServerOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'http-server' });
  }

  get port(): number {
    if (this.boundPort === null) throw new Error('HttpServer is not started');
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer(this.options.handler);
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (req, socket, head) => this.routeUpgrade(req, socket, head));
    server.on('clientError', (err, socket) => {
      this.logger.debug({ err: err.message }, 'bad HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err }, 'HTTP server error'));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.logger.info({ host: this.options.host, port: this.boundPort }, 'HTTP listening');
  }

  private routeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      for (const handler of this.options.upgradeHandlers) {
        if (handler(req, socket, head)) return;
      }
    } catch (err) {
      this.logger.warn({ err }, 'upgrade handler failed');
      socket.destroy();
      return;
    }
    if (socket.writable) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive and upgraded sockets would otherwise hold the port open.
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
    this.boundPort = null;
  }
}
