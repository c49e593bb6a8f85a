/**
 * MQTT over WebSocket on the HTTP port: upgrade requests for `wsPath` (default `/mqtt`) become
 * a ws connection whose stream goes to the broker, like a TCP socket would.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import type { MqttWebUser } from './mqtt-auth.js';
import type { MqttBroker } from './mqtt-broker.js';

export type MqttWebSocketOptions = {
  broker: MqttBroker;
  /** URL path of MQTT over WebSocket, e.g. `/mqtt`. */
  path: string;
  logger: Logger;
  /** Largest WebSocket message; an image (≤ 512 KiB) plus MQTT framing must fit. */
  maxPayloadBytes?: number;
  /**
   * Who may open the MQTT WebSocket: with a front end, only a logged-in dashboard user from a
   * same-origin page (null: refused with 403); the connection then has that user's role.
   * Without one, every upgrade is handed to the broker and the anonymous rule applies.
   */
  authorize?: (req: IncomingMessage) => Promise<MqttWebUser | null>;
};

export class MqttWebSocketGateway {
  private readonly options: MqttWebSocketOptions;
  private readonly logger: Logger;
  private wss: WebSocketServer | null = null;
  private readonly sockets = new Set<WebSocket>();

  constructor(options: MqttWebSocketOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mqtt-websocket' });
  }

  start(): void {
    if (this.wss) return;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.options.maxPayloadBytes ?? 1024 * 1024, clientTracking: false });
    this.wss.on('error', (err) => this.logger.warn({ err }, 'WebSocket server error'));
  }

  /** True when the request is for the MQTT path (whatever the query string). */
  matches(req: IncomingMessage): boolean {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === this.options.path;
  }

  /** Takes over an upgrade request for the MQTT path; returns false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (!this.matches(req)) return false;
    const wss = this.wss;
    if (!wss) {
      socket.destroy();
      return true;
    }
    socket.on('error', () => socket.destroy());
    const authorize = this.options.authorize;
    if (!authorize) {
      this.accept(wss, req, socket, head, undefined);
      return true;
    }
    // The socket is ours from here; the session is looked up in the store (asynchronously).
    authorize(req).then(
      (user) => {
        if (user && this.wss === wss) return this.accept(wss, req, socket, head, user);
        this.logger.debug({ origin: req.headers.origin?.slice(0, 200) }, 'MQTT WebSocket refused: no dashboard session or another origin');
        if (socket.writable) socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        else socket.destroy();
      },
      (err: unknown) => {
        this.logger.error({ err }, 'MQTT WebSocket: cannot check the session; refused');
        socket.destroy();
      },
    );
    return true;
  }

  private accept(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, webUser: MqttWebUser | undefined): void {
    wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.once('close', () => this.sockets.delete(ws));
      const stream = createWebSocketStream(ws);
      stream.on('error', (err) => this.logger.debug({ err: err.message }, 'MQTT WebSocket stream error'));
      this.options.broker.handle(stream, req, webUser);
    });
  }

  get connections(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    const wss = this.wss;
    this.wss = null;
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}
