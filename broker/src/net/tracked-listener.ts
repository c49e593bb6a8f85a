/**
 * The listening part shared by the hub's TCP servers (MQTT and HTTP): listen with errors
 * (EADDRINUSE) surfacing as a rejected start, remember the bound port (port 0 picks a free
 * one), and on close destroy every socket so no keep-alive or upgraded connection holds the
 * port open.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Logger } from 'pino';

export class TrackedListener {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private boundPort: number | null = null;

  constructor(private readonly what: string) {}

  get port(): number {
    if (this.boundPort === null) throw new Error(`${this.what} is not started`);
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  get connections(): number {
    return this.sockets.size;
  }

  track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  async listen(server: Server, port: number, host: string, logger: Logger): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => logger.error({ err }, `${this.what} error`));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    return this.boundPort;
  }

  async close(): Promise<void> {
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
