/**
 * A real aedes MQTT broker on 127.0.0.1 with a free port, for tests of MQTT clients
 * (agents, links) that do not need the whole hub.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Aedes } from 'aedes';

/** `sockets`: the broker side of each client connection (destroy one to make its will fire). */
export type TestBroker = { aedes: Aedes; url: string; port: number; sockets: Set<Socket>; close(): Promise<void> };

export async function startTestBroker(port = 0): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    aedes,
    url: `mqtt://127.0.0.1:${bound}`,
    port: bound,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
