/**
 * A real node:http server on 127.0.0.1, port 0, standing in for a webhook receiver: records
 * every request (path, headers, JSON body) and answers with the test's handler.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedRequest<B> = { method: string; path: string; headers: IncomingMessage['headers']; body: B };
export type PeerHandler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export type HttpPeer<B> = { port: number; received: ReceivedRequest<B>[]; close(): Promise<void> };

export async function startHttpPeer<B = unknown>(handler: PeerHandler = (_req, res) => res.writeHead(200).end('ok')): Promise<HttpPeer<B>> {
  const received: ReceivedRequest<B>[] = [];
  let n = 0;
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as B });
      handler(req, res, ++n);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as AddressInfo).port,
    received,
    async close() {
      srv.closeAllConnections();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}
