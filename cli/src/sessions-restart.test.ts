/**
 * Dashboard logins survive a hub restart and an upgrade (a migration run) on the same data dir,
 * while logout and a password change still end them; the database only ever holds hashes of
 * the session ids. Real hub, HTTP, cookies and SQLite on 127.0.0.1.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, type Hub } from '@mieruka/broker';
import { createHub } from './compose-hub.js';
import { hubConfig, makeTempDir, silentLogger } from '../../broker/src/test-support/helpers.js';
import { loginSession, writeHeaders, type DashboardSession } from '../../test/helpers/dashboard-client.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function dataDir(): Promise<string> {
  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  return dir.path;
}

const KIOSK_TOKEN = 'wall-display-token-0123456789';

async function startHub(dir: string): Promise<Hub> {
  const dashboard = { adminUser: 'boss', adminPassword: 'boss-password-1', kiosk: { enabled: true, token: KIOSK_TOKEN } };
  const hub = createHub({ config: hubConfig(dir, { dashboard }), logger: silentLogger });
  cleanups.push(() => hub.stop());
  await hub.start();
  return hub;
}

/** GET /api/me as this browser: the status and, when logged in, who and which CSRF token. */
async function me(hub: Hub, session: DashboardSession): Promise<{ status: number; username?: string; csrfToken?: string; expiresAt?: number }> {
  const res = await fetch(`${hub.httpUrl}/api/me`, { headers: { cookie: session.cookie } });
  if (res.status !== 200) return { status: res.status };
  const body = (await res.json()) as { user: { username: string }; csrfToken: string; expiresAt: number };
  return { status: 200, username: body.user.username, csrfToken: body.csrfToken, expiresAt: body.expiresAt };
}

/** A wall display's read-only session, as its page gets it. */
async function kioskSession(hub: Hub): Promise<DashboardSession & { expiresAt: number }> {
  const res = await fetch(`${hub.httpUrl}/api/kiosk/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: KIOSK_TOKEN }) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string; expiresAt: number };
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string, csrfToken: body.csrfToken, expiresAt: body.expiresAt };
}

const sessionId = (session: DashboardSession) => session.cookie.split('=')[1] as string;

describe('dashboard sessions across hub restarts', () => {
  it('keeps a browser logged in across a restart (same CSRF token); logout and a new password still end sessions afterwards', async () => {
    const dir = await dataDir();
    const first = await startHub(dir);
    await first.users.add('suzuki', 'viewer-password-1', 'viewer');
    const boss = await loginSession(first.httpUrl, 'boss', 'boss-password-1');
    const suzuki = await loginSession(first.httpUrl, 'suzuki', 'viewer-password-1');
    await first.stop();

    const second = await startHub(dir);
    expect(await me(second, boss)).toMatchObject({ status: 200, username: 'boss', csrfToken: boss.csrfToken });
    expect(await me(second, suzuki)).toMatchObject({ status: 200, username: 'suzuki', csrfToken: suzuki.csrfToken });
    // A state change with the token from before the restart is accepted.
    const logout = await fetch(`${second.httpUrl}/api/logout`, { method: 'POST', headers: writeHeaders(boss), body: '{}' });
    expect(logout.status).toBe(204);
    expect((await me(second, boss)).status).toBe(401);
    await second.users.changePassword('suzuki', 'viewer-password-2');
    expect((await me(second, suzuki)).status).toBe(401);
    await second.stop();

    // Neither comes back with the next start.
    const third = await startHub(dir);
    expect([(await me(third, boss)).status, (await me(third, suzuki)).status]).toEqual([401, 401]);
  });

  it('keeps a wall display on its longer kiosk lifetime across a restart, still read-only', async () => {
    const dir = await dataDir();
    const first = await startHub(dir);
    const display = await kioskSession(first);
    const admin = await loginSession(first.httpUrl, 'boss', 'boss-password-1');
    const adminExpiry = (await me(first, admin)).expiresAt as number;
    expect(display.expiresAt).toBeGreaterThan(adminExpiry);
    await first.stop();

    const second = await startHub(dir);
    expect(await me(second, display)).toMatchObject({ status: 200, username: 'kiosk', expiresAt: display.expiresAt });
    const ack = await fetch(`${second.httpUrl}/api/alarms/some-alarm/ack`, { method: 'POST', headers: writeHeaders(display), body: '{}' });
    // FORBIDDEN (a kiosk may change nothing), not CSRF_FAILED: its token from before the restart still holds.
    expect([ack.status, ((await ack.json()) as { error: { code: string } }).error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('stores only hashes: neither the session id nor the CSRF token is anywhere in the database files', async () => {
    const dir = await dataDir();
    const hub = await startHub(dir);
    const session = await loginSession(hub.httpUrl, 'boss', 'boss-password-1');
    const id = sessionId(session);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const db = new Sqlite(join(dir, 'mieruka.db'), { readonly: true });
    cleanups.push(() => db.close());
    const rows = db.prepare('SELECT * FROM dashboard_sessions').all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ username: 'boss', role: 'admin', kiosk: 0 });
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(id);
    expect(stored).not.toContain(session.csrfToken);
    // The raw bytes too (main file and write-ahead log), in case a copy sits in a free page.
    for (const file of ['mieruka.db', 'mieruka.db-wal']) {
      const bytes = await readFile(join(dir, file)).catch(() => Buffer.alloc(0));
      expect(bytes.includes(id), file).toBe(false);
      expect(bytes.includes(session.csrfToken), file).toBe(false);
    }
  });

  it('keeps a session made right after an upgrade from an older schema, across the next restart', async () => {
    const dir = await dataDir();
    // The database an older hub left: schema up to migration 9, no session table.
    const older = new Sqlite(join(dir, 'mieruka.db'));
    migrate(older, MIGRATIONS.filter((m) => m.version <= 9));
    older.close();

    const upgraded = await startHub(dir);
    const session = await loginSession(upgraded.httpUrl, 'boss', 'boss-password-1');
    await upgraded.stop();
    const again = await startHub(dir);
    expect(await me(again, session)).toMatchObject({ status: 200, username: 'boss', csrfToken: session.csrfToken });
    const versions = new Sqlite(join(dir, 'mieruka.db'), { readonly: true });
    cleanups.push(() => versions.close());
    expect((versions.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number }).v).toBe(MIGRATIONS.at(-1)?.version);
  });
});
