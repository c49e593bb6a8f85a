/**
 * Test harness: the real dashboard app on a real node:http server on 127.0.0.1:0, fed by
 * the in-memory data source (the hub side). Not part of the build.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { systemNow, type Now } from '@mieruka/protocol';
import pino from 'pino';
import { WebSocket } from 'ws';
import { createDashboardApp, type DashboardApp, type DashboardOptions } from '../app.js';
import type { UserStamps } from '../auth.js';
import type { AuthenticatedUser, NodeSnapshot, UserVerifier } from '../data-source.js';
import { MemoryDataSource } from './memory-data-source.js';
import { MemorySessionRecords } from './memory-session-records.js';
import { liveMessagesOf, type LiveMessage } from '../live-message.js';

export const ADMIN = { username: 'admin', password: 'correct horse battery' };
export const VIEWER = { username: 'viewer', password: 'viewer password 1' };

type TestUser = { password: string; role: AuthenticatedUser['role']; sites: string[] | null; generation: number };

/**
 * Plain-text users for tests (the real verifier, scrypt in SQLite, lives in the hub), with
 * credential stamps like the hub's: change a password or remove a user and its sessions end.
 */
export class TestUsers implements UserVerifier, UserStamps {
  calls = 0;
  private readonly users = new Map<string, TestUser>([
    [ADMIN.username, { password: ADMIN.password, role: 'admin', sites: null, generation: 0 }],
    [VIEWER.username, { password: VIEWER.password, role: 'viewer', sites: null, generation: 0 }],
  ]);

  async verify(username: string, password: string): Promise<AuthenticatedUser | null> {
    this.calls += 1;
    const user = this.users.get(username);
    return user && user.password === password ? { username, role: user.role, sites: user.role === 'admin' ? null : user.sites } : null;
  }

  /** Adds (or replaces) a user; `sites` limits a viewer to those sites, like `mieruka user add --sites`. */
  add(username: string, password: string, role: AuthenticatedUser['role'], sites: string[] | null = null): void {
    const generation = (this.users.get(username)?.generation ?? 0) + 1;
    this.users.set(username, { password, role, sites, generation });
  }

  /** Like `mieruka user sites`: the user's open sessions end. */
  setSites(username: string, sites: string[] | null): void {
    const user = this.users.get(username);
    if (!user) throw new Error(`no test user ${username}`);
    this.users.set(username, { ...user, sites, generation: user.generation + 1 });
  }

  async credentialStamp(username: string): Promise<string | null> {
    const user = this.users.get(username);
    return user ? `${user.role}:${user.generation}` : null;
  }

  setPassword(username: string, password: string): void {
    const user = this.users.get(username);
    if (!user) throw new Error(`no test user ${username}`);
    this.users.set(username, { ...user, password, generation: user.generation + 1 });
  }

  remove(username: string): void {
    this.users.delete(username);
  }
}

export function sampleNodes(now = Date.now()): NodeSnapshot[] {
  return [
    {
      site: 'factory',
      node: 'protomat-s63',
      online: true,
      agent: 'firmware-bridge',
      version: '0.1.0',
      lastSeen: now - 2_000,
      state: { state: 'running', since: now - 65 * 60_000, ts: now - 2_000 },
      current: { irms: [3.21], ts: now - 2_000, seq: 41 },
      clutter: null,
      motion: null,
    },
    {
      site: 'factory',
      node: 'bench-1',
      online: true,
      agent: 'clutter-station',
      version: '0.1.0',
      lastSeen: now - 30_000,
      state: null,
      current: null,
      clutter: { score: 42, coveredRatio: 0.42, slot: '09:00', ts: now - 30_000, imageId: 'shot-1' },
      motion: { active: true, ts: now - 30_000 },
    },
  ];
}

export type Harness = {
  url: string;
  wsUrl: string;
  host: string;
  server: Server;
  dashboard: DashboardApp;
  data: MemoryDataSource;
  users: TestUsers;
  /** The clock the app and the data source were given: fixtures build their dates from it. */
  now: Now;
  /** Sockets the HTTP server currently holds (HTTP and upgraded). */
  openSockets(): number;
  /** Destroys every socket, upgraded ones included: what a network drop looks like. */
  destroyAllSockets(): void;
  close(): Promise<void>;
};

export async function startHarness(options: Partial<DashboardOptions> = {}): Promise<Harness> {
  const now = options.now ?? systemNow;
  const data = new MemoryDataSource(sampleNodes(now()), now());
  data.now = now;
  const users = new TestUsers();
  const dashboard = createDashboardApp({
    dataSource: data,
    users,
    sessionRecords: new MemorySessionRecords(),
    logger: pino({ level: 'silent' }),
    ...options,
    now,
  });
  const sockets = new Set<Socket>();
  const server = createServer(dashboard.app);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // What the hub does: offer the upgrade to the dashboard, refuse what nobody takes.
  server.on('upgrade', (req, socket, head) => {
    if (!dashboard.handleUpgrade(req, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const host = `127.0.0.1:${address.port}`;
  let closed = false;
  return {
    url: `http://${host}`,
    wsUrl: `ws://${host}`,
    host,
    server,
    dashboard,
    data,
    users,
    now,
    openSockets: () => sockets.size,
    destroyAllSockets: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await dashboard.close();
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A logged-in client: the `name=value` of the session cookie and the session's CSRF token. */
export type TestSession = { cookie: string; csrfToken: string };

/** Logs in and returns the session cookie and CSRF token. */
export async function loginSession(url: string, username = ADMIN.username, password = ADMIN.password): Promise<TestSession> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status}`);
  const cookie = res.headers.getSetCookie()[0];
  if (!cookie) throw new Error('no Set-Cookie');
  const body = (await res.json()) as { csrfToken?: unknown };
  if (typeof body.csrfToken !== 'string') throw new Error('login answered no csrfToken');
  return { cookie: cookie.split(';')[0]!, csrfToken: body.csrfToken };
}

/** Logs in and returns the `name=value` of the session cookie (enough for reads). */
export async function loginCookie(url: string, username = ADMIN.username, password = ADMIN.password): Promise<string> {
  return (await loginSession(url, username, password)).cookie;
}

/** Headers of a state-changing request of this session: cookie + X-CSRF-Token (+ JSON when a body follows). */
export function writeHeaders(session: TestSession, json = true): Record<string, string> {
  return { cookie: session.cookie, 'X-CSRF-Token': session.csrfToken, ...(json ? { 'Content-Type': 'application/json' } : {}) };
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export type LiveProbe = {
  ws: WebSocket;
  messages: Array<{ type: string; [k: string]: unknown }>;
  closed: { code: number } | null;
};

/**
 * Opens the live feed. Resolves with the probe once open, or with the HTTP status when the
 * server refused the upgrade.
 */
export function openLive(
  wsUrl: string,
  headers: Record<string, string> = {},
  options: { autoPong?: boolean } = {},
): Promise<{ probe: LiveProbe } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/api/live`, { headers, autoPong: options.autoPong ?? true });
    const probe: LiveProbe = { ws, messages: [], closed: null };
    // Batches are unpacked: tests look for the updates, whichever frame carried them.
    ws.on('message', (data) => probe.messages.push(...(liveMessagesOf(JSON.parse(String(data)) as LiveMessage) as LiveProbe['messages'])));
    ws.on('close', (code) => {
      probe.closed = { code };
    });
    ws.once('open', () => resolve({ probe }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    // Errors after the outcome is known (e.g. our own terminate()) are expected; settle once.
    ws.on('error', (err) => reject(err));
  });
}
