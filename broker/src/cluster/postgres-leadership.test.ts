/**
 * One leader among hubs sharing a real PostgreSQL 15 (issue 17): exactly one leads, the lock
 * moves when the leader stops, loses its session, is killed with SIGKILL in another process
 * or loses the server, and the password never reaches the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import pg from 'pg';
import { isMierukaError } from '@mieruka/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleChild, type BundledChild } from '../../../test/helpers/bundle-child.js';
import { freePort } from '../../../test/helpers/mosquitto.js';
import { startPostgres, type RunningPostgres } from '../../../test/helpers/postgres-server.js';
import { realClockEnv } from '../../../test/helpers/real-clock-env.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { PostgresLeadership, leaderApplicationName } from './postgres-leadership.js';

// Quick hand-overs; a session timeout long enough that a busy test machine never trips it.
const FAST = { retryMs: 150, keepAliveMs: 150, queryTimeoutMs: 3000, sessionTimeoutMs: 5000 };

let server: RunningPostgres;
let child: BundledChild;
const opened: PostgresLeadership[] = [];
const processes: ChildProcess[] = [];
let databases = 0;

beforeAll(async () => {
  [server, child] = await Promise.all([
    startPostgres(),
    bundleChild(fileURLToPath(new URL('../test-support/leader-child.ts', import.meta.url)), 'mieruka-leader-child-'),
  ]);
}, 60_000);

afterEach(async () => {
  for (const p of processes.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const l of opened.splice(0)) await l.stop();
});

afterAll(async () => {
  await server?.stop();
  await child?.remove();
}, 60_000);

function logger(lines: string[]): Logger {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
}

/** A fresh database per test, so no lock outlives its test. */
async function database(): Promise<string> {
  const name = `leader_${process.pid}_${++databases}`;
  await server.createDatabase(name);
  return server.url(name);
}

function hub(url: string, hubId: string, told: boolean[] = [], lines: string[] = []): PostgresLeadership {
  const l = new PostgresLeadership({ url, hubId, logger: logger(lines), ...FAST });
  l.onChange((leading) => told.push(leading));
  opened.push(l);
  return l;
}

/** Runs `sql` on a connection of its own (the admin's psql). */
async function admin<R extends object>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Leader sessions the server sees, by application_name. */
async function leaderSessions(url: string): Promise<string[]> {
  const rows = await admin<{ name: string }>(
    url,
    "SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted ORDER BY 1",
  );
  return rows.map((r) => r.name);
}

/** A loopback TCP proxy to the server that can fall silent as a pulled cable does: no byte passes, no socket closes. */
async function cuttableProxy(port: number) {
  let cut = false;
  const sockets = new Set<Socket>();
  const proxy = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    down.on('data', (d: Buffer) => void (cut || up.write(d)));
    up.on('data', (d: Buffer) => void (cut || down.write(d)));
    const close = () => {
      if (cut) return;
      down.destroy();
      up.destroy();
    };
    down.on('close', close);
    up.on('close', close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    cut: () => void (cut = true),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

describe('PostgresLeadership on a real PostgreSQL 15', () => {
  it('of two hubs on one database exactly one leads; when it stops the other leads', async () => {
    const url = await database();
    const toldA: boolean[] = [];
    const toldB: boolean[] = [];
    const before = Date.now();
    const a = hub(url, 'a', toldA);
    const b = hub(url, 'b', toldB);
    await a.start();
    await b.start();
    expect(a.leading).toBe(true);
    expect(b.leading).toBe(false);
    expect(toldA).toEqual([true]);
    expect(toldB).toEqual([]);
    expect(a.status()).toMatchObject({ leading: true, terms: 1, lastError: null });
    expect(a.status().since).toBeGreaterThanOrEqual(before);
    expect(b.status()).toEqual({ leading: false, since: null, terms: 0, lastError: null });
    // The admin sees who leads.
    expect(await leaderSessions(url)).toEqual([leaderApplicationName('a')]);

    // b waits on one connection of its own, not one per try.
    const bSessions = (await admin<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'mieruka-leader-b'"))[0]?.n;
    expect(bSessions).toBe(1);

    await a.stop();
    expect(toldA).toEqual([true, false]);
    await waitFor(() => b.leading, 'b to lead after a stopped', 10_000);
    expect(toldB).toEqual([true]);
    expect(await leaderSessions(url)).toEqual([leaderApplicationName('b')]);
  });

  it("the leader's session killed by an admin: it steps down, the other leads, and it comes back as a follower", async () => {
    const url = await database();
    const toldA: boolean[] = [];
    const toldB: boolean[] = [];
    const a = hub(url, 'a', toldA);
    const b = hub(url, 'b', toldB);
    await a.start();
    await b.start();
    expect([a.leading, b.leading]).toEqual([true, false]);

    const killed = await admin<{ ok: boolean }>(url, "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'mieruka-leader-a'");
    expect(killed).toEqual([{ ok: true }]);
    await waitFor(() => toldA.length === 2, 'a to step down', 10_000);
    expect(toldA).toEqual([true, false]);
    await waitFor(() => b.leading, 'b to lead', 10_000);
    expect(a.status().lastError).toBeTruthy();
    // a reconnects (its session is back) and follows.
    await waitFor(async () => (await admin(url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'mieruka-leader-a'")).length === 1, 'a to reconnect', 10_000);
    await waitFor(async () => (await admin<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'mieruka-leader-a' AND query LIKE '%pg_try_advisory_lock%'"))[0]?.n === 1, 'a to try the lock again', 10_000);
    expect([a.leading, b.leading]).toEqual([false, true]);
    expect(toldA).toEqual([true, false]);
    expect(await leaderSessions(url)).toEqual([leaderApplicationName('b')]);
  });

  it('a leader in another process killed with SIGKILL: the remaining hub leads', async () => {
    const url = await database();
    const proc = spawn(process.execPath, [child.script, 'p'], { env: { ...realClockEnv(), MIERUKA_TEST_PG_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
    processes.push(proc);
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('started'), 'the child hub to start', 20_000);
    expect(out).toContain('leading');

    const told: boolean[] = [];
    const b = hub(url, 'b', told);
    await b.start();
    expect(b.leading).toBe(false);
    expect(await leaderSessions(url)).toEqual([leaderApplicationName('p')]);

    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await gone;
    await waitFor(() => b.leading, 'b to lead after the leader process was killed', 10_000);
    expect(told).toEqual([true]);
    expect(await leaderSessions(url)).toEqual([leaderApplicationName('b')]);
  });

  it('a frozen leader (SIGSTOP: its socket stays open) loses the lock after the session timeout', async () => {
    const url = await database();
    const proc = spawn(process.execPath, [child.script, 'p'], { env: { ...realClockEnv(), MIERUKA_TEST_PG_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
    processes.push(proc);
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('started') && out.includes('leading'), 'the child hub to lead', 20_000);
    const b = hub(url, 'b');
    await b.start();
    expect(b.leading).toBe(false);

    proc.kill('SIGSTOP');
    // The child's session timeout is 1.5 s: the server ends its silent session.
    await waitFor(() => b.leading, 'b to lead after the leader froze', 10_000);
    proc.kill('SIGCONT');
    // Woken, the old leader finds its session gone and steps down.
    await waitFor(() => out.includes('following'), 'the woken leader to step down', 10_000);
    expect(await leaderSessions(url)).toEqual([leaderApplicationName('b')]);
  });

  it('a leader cut off from the server (nothing passes, no socket closes) steps down before the server frees the lock for the other', async () => {
    const url = await database();
    const proxy = await cuttableProxy(server.port);
    try {
      const events: string[] = [];
      const lines: string[] = [];
      // keep-alive + query timeout (1.15 s) < session timeout (2.5 s): the order asserted below.
      const a = new PostgresLeadership({ url: url.replace(`:${server.port}/`, `:${proxy.port}/`), hubId: 'a', logger: logger(lines), retryMs: 150, keepAliveMs: 150, queryTimeoutMs: 1000, sessionTimeoutMs: 2500 });
      opened.push(a);
      a.onChange((leading) => events.push(`a:${leading}`));
      const b = hub(url, 'b');
      b.onChange((leading) => events.push(`b:${leading}`));
      await a.start();
      await b.start();
      expect(events).toEqual(['a:true']);

      proxy.cut();
      await waitFor(() => b.leading, 'b to lead once the server ended the silent session', 15_000);
      expect(events).toEqual(['a:true', 'a:false', 'b:true']);
      expect(a.leading).toBe(false);
      expect(lines.join('')).toContain('did not answer within 1000 ms');
    } finally {
      await proxy.close();
    }
  });

  it('refuses a session timeout that would let a cut-off leader overlap the next one', () => {
    const make = (o: { keepAliveMs: number; queryTimeoutMs: number; sessionTimeoutMs: number }) => () =>
      new PostgresLeadership({ url: 'postgres://mieruka@127.0.0.1:1/none', hubId: 'x', logger: logger([]), retryMs: 150, ...o });
    let error: unknown;
    try {
      make({ keepAliveMs: 1000, queryTimeoutMs: 2000, sessionTimeoutMs: 3000 })();
    } catch (err) {
      error = err;
    }
    expect(isMierukaError(error, 'CONFIG_INVALID')).toBe(true);
    expect(String(error)).toContain('sessionTimeoutMs (3000) must exceed keepAliveMs + queryTimeoutMs (3000)');
    expect(make({ keepAliveMs: 1000, queryTimeoutMs: 2000, sessionTimeoutMs: 3001 })).not.toThrow();
    // The defaults keep the order: 5 s keep-alive + 5 s timeout < 15 s.
    expect(() => new PostgresLeadership({ url: 'postgres://mieruka@127.0.0.1:1/none', hubId: 'x', logger: logger([]) })).not.toThrow();
  });

  it('the server down while leading: steps down without crashing, leads again when it is back', async () => {
    const url = await database();
    const told: boolean[] = [];
    const a = hub(url, 'a', told);
    await a.start();
    expect(a.leading).toBe(true);

    await server.halt();
    await waitFor(() => told.length === 2, 'a to step down when the server went away', 10_000);
    expect(told).toEqual([true, false]);
    expect(a.leading).toBe(false);
    expect(a.status().lastError).toBeTruthy();

    await server.restart();
    await waitFor(() => a.leading, 'a to lead again once the server is back', 20_000);
    expect(told).toEqual([true, false, true]);
    expect(a.status()).toMatchObject({ leading: true, terms: 2 });
  }, 60_000);

  it('start() resolves without leading when nothing listens at the URL, and keeps trying', async () => {
    const port = await freePort();
    const url = `postgres://postgres:${server.password}@127.0.0.1:${port}/postgres`;
    const lines: string[] = [];
    const a = hub(url, 'a', [], lines);
    await a.start();
    expect(a.leading).toBe(false);
    expect(a.status().lastError).toMatch(/ECONNREFUSED/);
    await waitFor(() => lines.some((line) => line.includes('still no PostgreSQL')), 'a second attempt', 10_000);
    await a.stop();
  });

  it('never logs the password: not the right one, nor a wrong one refused by the server', async () => {
    const url = await database();
    const lines: string[] = [];
    const a = hub(url, 'a', [], lines);
    await a.start();
    expect(a.leading).toBe(true);
    await admin(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mieruka-leader-a'");
    await waitFor(() => lines.some((l) => l.includes('PostgreSQL connection failed')), 'the loss to be logged', 10_000);
    await waitFor(() => a.leading, 'a to lead again', 10_000);
    await a.stop();

    const wrong = `wrong-${server.password.slice(0, 6)}-pw`;
    const refused = hub(url.replace(server.password, wrong), 'w', [], lines);
    await refused.start();
    expect(refused.leading).toBe(false);
    expect(refused.status().lastError).toMatch(/password authentication failed/);
    await refused.stop();

    const text = lines.join('');
    expect(text).toContain('leading the fleet');
    expect(text).toContain('no longer leading');
    expect(text).toContain('password authentication failed');
    expect(text).toContain('postgres://***@127.0.0.1');
    expect(text).not.toContain(server.password);
    expect(text).not.toContain(wrong);
  });
});
