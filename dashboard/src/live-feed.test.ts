import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveFeed } from './live-feed.js';
import { MemoryDataSource, emptyNode } from './test-support/memory-data-source.js';
import { SessionStore } from './session-store.js';
import { waitFor } from './test-support/harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function serve(feed: LiveFeed): Promise<number> {
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    if (!feed.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await feed.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A client that completes the ws handshake and then never reads again: the slowest reader. */
function stalledClient(port: number, cookie: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'GET /api/live HTTP/1.1\r\n' +
          `Host: 127.0.0.1:${port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n' +
          `Cookie: ${cookie}\r\n\r\n`,
      );
    });
    socket.once('data', (chunk) => {
      if (!chunk.toString('latin1').startsWith('HTTP/1.1 101')) reject(new Error('handshake refused'));
      socket.pause();
      resolve(socket);
    });
    socket.on('error', () => undefined);
    cleanups.push(() => {
      socket.destroy();
    });
  });
}

describe('LiveFeed', () => {
  it('drops a client that stops reading instead of buffering without bound', async () => {
    const data = new MemoryDataSource([emptyNode('factory', 'mill')]);
    const sessions = new SessionStore({ ttlMs: 60_000 });
    const feed = new LiveFeed({ dataSource: data, sessions, logger: pino({ level: 'silent' }), maxBufferedBytes: 256 * 1024 });
    const port = await serve(feed);
    const session = sessions.create({ username: 'ops', role: 'viewer' });
    await stalledClient(port, `mieruka_session=${session.id}`);
    await waitFor(() => feed.stats().clients === 1, 'client registered');

    const agent = 'x'.repeat(2000);
    // Push until the kernel buffers are full and ws has to queue; bounded so a bug cannot loop forever.
    for (let i = 0; i < 20_000 && feed.stats().dropped === 0; i += 1) {
      data.updateNode('factory', 'mill', { agent, current: { irms: Array.from({ length: 16 }, () => i), ts: Date.now(), seq: i } });
      if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(feed.stats().dropped).toBe(1);
    await waitFor(() => feed.stats().clients === 0, 'slow client removed');
    expect(data.subscriberCount).toBe(0);
  });

  it('returns false for other paths and does not touch the socket', async () => {
    const feed = new LiveFeed({ dataSource: new MemoryDataSource(), sessions: new SessionStore({ ttlMs: 1000 }), logger: pino({ level: 'silent' }) });
    cleanups.push(() => feed.close());
    const fakeSocket = { destroyed: false } as unknown as Socket;
    expect(feed.handleUpgrade({ url: '/mqtt', headers: {} } as never, fakeSocket, Buffer.alloc(0))).toBe(false);
    expect(feed.handleUpgrade({ url: '/api/livefeed', headers: {} } as never, fakeSocket, Buffer.alloc(0))).toBe(false);
  });
});
