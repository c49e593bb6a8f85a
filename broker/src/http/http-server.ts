/**
 * The hub's one HTTP port: the dashboard's express app for requests, and upgrade requests
 * routed by path (MQTT over WebSocket, the dashboard's live feed); anything else gets a 404.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { TrackedListener } from '../net/tracked-listener.js';

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
  private readonly listener = new TrackedListener('HTTP server');

  constructor(options: HttpServerOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'http-server' });
  }

  get port(): number {
    return this.listener.port;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer(this.options.handler);
    server.on('connection', (socket) => this.listener.track(socket));
    server.on('upgrade', (req, socket, head) => this.routeUpgrade(req, socket, head));
    server.on('clientError', (err, socket) => {
      this.logger.debug({ err: err.message }, 'bad HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    const port = await this.listener.listen(server, this.options.port, this.options.host, this.logger);
    this.server = server;
    this.logger.info({ host: this.options.host, port }, 'HTTP listening');
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
    // Keep-alive and upgraded sockets would otherwise hold the port open.
    server.closeAllConnections();
    await this.listener.close();
  }
}
