import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveFeed } from './live-feed.js';
import { MemoryDataSource, emptyNode } from './test-support/memory-data-source.js';
import { SessionStore } from './session-store.js';
import { MemorySessionRecords } from './test-support/memory-session-records.js';
import { waitFor } from './test-support/harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function serve(feed: LiveFeed, beforeUpgrade?: () => void): Promise<number> {
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    beforeUpgrade?.();
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
    const sessions = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 60_000 });
    const feed = new LiveFeed({ dataSource: data, sessions, logger: pino({ level: 'silent' }), maxBufferedBytes: 256 * 1024 });
    const port = await serve(feed);
    const session = await sessions.create({ username: 'ops', role: 'viewer', sites: null });
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

  it('sends the updates of one event-loop turn as one batch frame, in order, and a lone update as itself', async () => {
    const data = new MemoryDataSource([emptyNode('factory', 'mill')]);
    const sessions = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 60_000 });
    const feed = new LiveFeed({ dataSource: data, sessions, logger: pino({ level: 'silent' }) });
    const port = await serve(feed);
    const session = await sessions.create({ username: 'ops', role: 'viewer', sites: null });
    const frames: Array<{ type: string; messages?: Array<{ node: { current: { seq: number } } }>; node?: { current: { seq: number } } }> = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`, { headers: { cookie: `mieruka_session=${session.id}` } });
    cleanups.push(() => ws.terminate());
    ws.on('message', (raw) => frames.push(JSON.parse(String(raw))));
    await waitFor(() => frames.length === 1, 'snapshot');
    expect(frames[0]!.type).toBe('snapshot');

    for (let seq = 1; seq <= 5; seq += 1) data.updateNode('factory', 'mill', { current: { irms: [seq], ts: 1_000 + seq, seq } });
    await waitFor(() => frames.length === 2, 'one batch frame');
    expect(frames[1]!.type).toBe('batch');
    expect(frames[1]!.messages!.map((m) => m.node.current.seq)).toEqual([1, 2, 3, 4, 5]);

    await new Promise((resolve) => setImmediate(resolve));
    data.updateNode('factory', 'mill', { current: { irms: [6], ts: 1_006, seq: 6 } });
    await waitFor(() => frames.length === 3, 'the lone update');
    expect(frames[2]!.type).toBe('node');
    expect(frames[2]!.node!.current.seq).toBe(6);
    expect(feed.stats().sent).toBe(3);
  });

  it('does not send a new client the updates that were waiting before its snapshot', async () => {
    const data = new MemoryDataSource([emptyNode('factory', 'mill')]);
    const sessions = new SessionStore({ records: new MemorySessionRecords(), ttlMs: 60_000 });
    const feed = new LiveFeed({ dataSource: data, sessions, logger: pino({ level: 'silent' }) });
    let seq = 0;
    // Each upgrade arrives in the same turn as a fresh update, so that update is still pending.
    const port = await serve(feed, () => {
      seq += 1;
      data.updateNode('factory', 'mill', { current: { irms: [seq], ts: 1_000 + seq, seq } });
    });
    type Frame = { type: string; nodes?: Array<{ current: { seq: number } }>; node?: { current: { seq: number } }; messages?: Array<{ node: { current: { seq: number } } }> };
    const seqsOf = (f: Frame): number[] => (f.type === 'batch' ? f.messages!.map((m) => m.node.current.seq) : f.type === 'node' ? [f.node!.current.seq] : []);
    const open = async (username: string): Promise<Frame[]> => {
      const frames: Frame[] = [];
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`, { headers: { cookie: `mieruka_session=${(await sessions.create({ username, role: 'viewer', sites: null })).id}` } });
      cleanups.push(() => ws.terminate());
      ws.on('message', (raw) => frames.push(JSON.parse(String(raw)) as Frame));
      await waitFor(() => frames.length >= 1, `${username}'s snapshot`);
      return frames;
    };
    const first = await open('ops');
    const second = await open('ops2');
    // The second snapshot already holds update 2; the first client gets it as an update.
    expect(second[0]!.nodes![0]!.current.seq).toBe(2);
    await waitFor(() => first.flatMap(seqsOf).includes(2), 'update 2 at the first client');
    data.updateNode('factory', 'mill', { current: { irms: [3], ts: 1_003, seq: 3 } });
    await waitFor(() => second.flatMap(seqsOf).includes(3), 'update 3 at the second client');
    expect(second.flatMap(seqsOf)).toEqual([3]);
  });

  it('returns false for other paths and does not touch the socket', async () => {
    const feed = new LiveFeed({ dataSource: new MemoryDataSource(), sessions: new SessionStore({ records: new MemorySessionRecords(), ttlMs: 1000 }), logger: pino({ level: 'silent' }) });
    cleanups.push(() => feed.close());
    const fakeSocket = { destroyed: false } as unknown as Socket;
    expect(feed.handleUpgrade({ url: '/mqtt', headers: {} } as never, fakeSocket, Buffer.alloc(0))).toBe(false);
    expect(feed.handleUpgrade({ url: '/api/livefeed', headers: {} } as never, fakeSocket, Buffer.alloc(0))).toBe(false);
  });
});
