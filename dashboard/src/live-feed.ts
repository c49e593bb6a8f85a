/**
 * The ws live feed at /api/live. The hub owns the HTTP server and hands upgrade requests
 * here; a request is accepted only with a live session cookie (and, when the browser sends
 * one, a same-origin Origin header). Each client gets a snapshot, then every LiveUpdate.
 * Dead clients are found by ping/pong; slow clients are dropped instead of buffering forever.
 * Updates are serialised once and coalesced per turn of the event loop: what one group commit
 * of ingest releases reaches each browser as one frame ({type: 'batch'}), without waiting.
 * A site-scoped viewer (site-scope.ts) gets a snapshot and updates of its own sites only.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { systemNow, type Now } from '@mieruka/protocol';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { readSessionId } from './cookies.js';
import { isCrossSite } from './csrf.js';
import type { DashboardDataSource, LiveUpdate } from './data-source.js';
import { CLOSE_SESSION_ENDED, LIVE_PATH, type LiveMessage } from './live-message.js';
import type { SessionStore } from './session-store.js';
import { inScope, scopeOfSession, siteOfUpdate, type SiteScope } from './site-scope.js';

export type LiveFeedOptions = {
  dataSource: DashboardDataSource;
  sessions: SessionStore;
  logger: Logger;
  heartbeatMs?: number;
  /** The hub's clock, stamped on heartbeats. Default: the system clock. */
  now?: Now;
  /** Per-client bound on bytes waiting to be sent; past it the client is dropped. */
  maxBufferedBytes?: number;
};

/** `scopeKey`: the scope's sites joined, '' for every site (clients with one scope share a frame). */
type Client = { ws: WebSocket; sessionId: string; alive: boolean; scope: SiteScope; scopeKey: string };

/** An update serialised once, with the site it is about. */
type Pending = { site: string; json: string };

export type LiveFeedStats = { clients: number; dropped: number; sent: number };

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' };

export class LiveFeed {
  private readonly dataSource: DashboardDataSource;
  private readonly sessions: SessionStore;
  private readonly log: Logger;
  private readonly heartbeatMs: number;
  private readonly now: Now;
  private readonly maxBufferedBytes: number;
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private closed = false;
  private dropped = 0;
  private sent = 0;
  /** Serialised updates waiting for the end of this event-loop turn. */
  private pending: Pending[] = [];
  private flushScheduled: NodeJS.Immediate | null = null;

  constructor(options: LiveFeedOptions) {
    this.dataSource = options.dataSource;
    this.sessions = options.sessions;
    this.log = options.logger;
    this.heartbeatMs = options.heartbeatMs ?? 20_000;
    this.now = options.now ?? systemNow;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    // Browsers only listen on this feed; a tiny maxPayload keeps them from sending anything big.
    this.wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: 4096, perMessageDeflate: false });
  }

  /** Takes the socket and returns true when the request is for the live feed; false leaves it to the caller. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (pathOf(req.url) !== LIVE_PATH) return false;
    socket.on('error', (err) => this.log.debug({ err }, 'live socket error during handshake'));
    if (this.closed) {
      reject(socket, 503, 'shutting down');
      return true;
    }
    // Cross-site WebSocket hijacking: the browser would send the cookie from any page.
    if (isCrossSite(req)) {
      this.log.warn({ origin: req.headers.origin?.slice(0, 200) }, 'live feed: cross-origin upgrade refused');
      reject(socket, 403, 'cross-origin request');
      return true;
    }
    // The socket is ours from here; the session is looked up in the store (asynchronously).
    void this.sessions.get(readSessionId(req.headers.cookie)).then((session) => {
      if (this.closed) return reject(socket, 503, 'shutting down');
      if (!session) return reject(socket, 401, 'login required');
      const scope = scopeOfSession(session);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, session.id, scope));
    });
    return true;
  }

  /** Ends the connections of one session (after logout). */
  closeSession(sessionId: string): void {
    for (const client of this.clients) {
      if (client.sessionId === sessionId) client.ws.close(CLOSE_SESSION_ENDED, 'session ended');
    }
  }

  stats(): LiveFeedStats {
    return { clients: this.clients.size, dropped: this.dropped, sent: this.sent };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of this.clients) client.ws.terminate();
    this.clients.clear();
    this.stopSharedResources();
    this.dropPending();
    await this.beating;
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket, sessionId: string, scope: SiteScope): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const client: Client = { ws, sessionId, alive: true, scope, scopeKey: scope === null ? '' : [...scope].sort().join(',') };
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', (err) => this.log.debug({ err }, 'live client error'));
    ws.on('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopSharedResources();
    });
    // Updates already waiting predate the snapshot: they go to the others now, not to this one.
    this.flush();
    // Snapshot and subscription happen in the same tick, so no update falls between them.
    const nodes = this.dataSource.listNodes().filter((n) => inScope(scope, n.site));
    this.send(client, JSON.stringify({ type: 'snapshot', nodes } satisfies LiveMessage));
    this.clients.add(client);
    this.startSharedResources();
    this.log.debug({ clients: this.clients.size }, 'live client connected');
  }

  private startSharedResources(): void {
    if (!this.unsubscribe) {
      this.unsubscribe = this.dataSource.subscribe((update) => this.broadcast(update));
    }
    if (!this.heartbeat) {
      // A beat still asking the session store when the next is due is not doubled.
      this.heartbeat = setInterval(() => {
        this.beating ??= this.beat()
          .catch((err: unknown) => this.log.error({ err }, 'live feed: heartbeat failed'))
          .finally(() => (this.beating = null));
      }, this.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  private stopSharedResources(): void {
    if (this.unsubscribe) {
      const unsubscribe = this.unsubscribe;
      this.unsubscribe = null;
      try {
        unsubscribe();
      } catch (err) {
        this.log.warn({ err }, 'live feed: unsubscribe failed');
      }
    }
    if (this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  private broadcast(update: LiveUpdate): void {
    if (this.clients.size === 0) return;
    let json: string;
    try {
      json = JSON.stringify(update);
    } catch (err) {
      this.log.warn({ err }, 'live feed: update cannot be serialised, dropped');
      return;
    }
    this.pending.push({ site: siteOfUpdate(update), json });
    // setImmediate runs after the I/O of this turn: no timer, so no added latency.
    this.flushScheduled ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = null;
    const pending = this.pending;
    this.pending = [];
    if (pending.length === 0 || this.clients.size === 0) return;
    // One frame per scope (most hubs: one, for every site), built once for all its clients.
    const frames = new Map<string, string | null>();
    for (const client of this.clients) {
      let frame = frames.get(client.scopeKey);
      if (frame === undefined) {
        frame = frameOf(client.scope === null ? pending : pending.filter((p) => inScope(client.scope, p.site)));
        frames.set(client.scopeKey, frame);
      }
      if (frame !== null) this.send(client, frame);
    }
  }

  private dropPending(): void {
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.flushScheduled = null;
    this.pending = [];
  }

  private async beat(): Promise<void> {
    const heartbeat = JSON.stringify({ type: 'heartbeat', ts: this.now() } satisfies LiveMessage);
    for (const client of [...this.clients]) {
      if (!(await this.sessions.get(client.sessionId))) {
        client.ws.close(CLOSE_SESSION_ENDED, 'session ended');
        continue;
      }
      if (!client.alive) {
        this.log.info('live client missed a heartbeat, dropped');
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
      this.send(client, heartbeat);
    }
  }

  private send(client: Client, data: string): void {
    const { ws } = client;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount + data.length > this.maxBufferedBytes) {
      // A client that cannot keep up reconnects and gets a fresh snapshot; memory stays bounded.
      this.dropped += 1;
      this.log.warn({ buffered: ws.bufferedAmount }, 'live client too slow, dropped');
      ws.terminate();
      return;
    }
    this.sent += 1;
    ws.send(data);
  }
}

/** The updates are already JSON: the batch frame is spliced, not serialised again. null: nothing to send. */
function frameOf(pending: readonly Pending[]): string | null {
  if (pending.length === 0) return null;
  return pending.length === 1 ? pending[0]!.json : `{"type":"batch","messages":[${pending.map((p) => p.json).join(',')}]}`;
}

function pathOf(url: string | undefined): string | null {
  if (!url) return null;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function reject(socket: Duplex, status: number, message: string): void {
  const code = status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'FORBIDDEN' : 'INTERNAL';
  const body = JSON.stringify({ error: { code, message } });
  // Like ws's own abortHandshake: end politely, destroy once the response is flushed.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}
