/**
 * `mieruka user` against a real SQLite file in a temp dir, the way an installer runs it — also
 * while a "hub" (the real dashboard app with the SQLite verifier, on its own connection to the
 * same file) is serving a logged-in session. Passwords come from stdin streams or a scripted
 * terminal (the only fake: the keyboard).
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardApp } from '@mieruka/dashboard';
import { MemoryDataSource } from '../../dashboard/src/test-support/memory-data-source.js';
import { MemorySessionRecords } from '../../dashboard/src/test-support/memory-session-records.js';
import { openDatabase, SqliteSqlStore, SqlUserVerifier } from '@mieruka/broker';
import { makeTempDir, silentLogger } from '../../broker/src/test-support/helpers.js';
import type { CliContext } from './context.js';
import { buildProgram } from './program.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function dataDir(): Promise<string> {
  const dir = await makeTempDir();
  cleanups.push(() => dir.remove());
  return dir.path;
}

type Run = { out: string[]; err: string };

/** Runs `mieruka user …` in-process; `stdin` is piped text, or a terminal that types `keys`. */
async function user(dir: string, args: string[], stdin: { text?: string; tty?: string[] } = {}): Promise<Run> {
  const out: string[] = [];
  const input = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  if (stdin.tty) {
    input.isTTY = true;
    input.setRawMode = () => input;
    // Each prompt takes the next line of keystrokes once it is shown.
    const keys = [...stdin.tty];
    stderr.on('data', () => {
      const next = keys.shift();
      if (next !== undefined) setImmediate(() => input.write(next));
    });
  } else input.end(stdin.text ?? '');
  const ctx: CliContext = { env: {}, cwd: dir, print: (l) => out.push(l), keepRunning: () => undefined, stdin: input, stderr };
  try {
    await buildProgram(ctx).parseAsync(['node', 'mieruka', 'user', ...args, '--data-dir', dir]);
  } catch (e) {
    err += (e as Error).message;
    throw Object.assign(new Error((e as Error).message), { run: { out, err } });
  }
  return { out, err };
}

async function failure(promise: Promise<Run>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the command to fail');
}

function verifier(dir: string): SqlUserVerifier {
  const db = openDatabase(join(dir, 'mieruka.db'));
  cleanups.push(() => {
    db.close();
  });
  return new SqlUserVerifier({ sql: new SqliteSqlStore(db), logger: silentLogger, scryptParams: { N: 2 ** 10, r: 8, p: 1 } });
}

/** Stored password hashes, read straight from the file (the verifier never hands them out). */
function storedHashes(dir: string): string[] {
  const db = openDatabase(join(dir, 'mieruka.db'));
  try {
    return (db.prepare('SELECT password_hash FROM users ORDER BY username').all() as Array<{ password_hash: string }>).map((r) => r.password_hash);
  } finally {
    db.close();
  }
}

describe('mieruka user', () => {
  it('add (password on stdin) → the hub verifies it; list shows names and roles, never hashes', async () => {
    const dir = await dataDir();
    expect((await user(dir, ['add', 'tanaka', '--role', 'admin', '--password-stdin'], { text: 'tanaka password 1\n' })).out).toEqual(['added user tanaka (admin)']);
    expect((await user(dir, ['add', '鈴木', '--password-stdin'], { text: 'suzuki password 2' })).out).toEqual(['added user 鈴木 (viewer)']);
    const users = verifier(dir);
    expect(await users.verify('tanaka', 'tanaka password 1')).toEqual({ username: 'tanaka', role: 'admin', sites: null });
    expect(await users.verify('鈴木', 'suzuki password 2')).toEqual({ username: '鈴木', role: 'viewer', sites: null });
    expect(await users.verify('tanaka', 'tanaka password 1\n')).toBeNull();

    const list = (await user(dir, ['list'])).out;
    expect(list[0]).toMatch(/^USERNAME\s+ROLE\s+CHANGED\s+SITES$/);
    expect(list.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['tanaka', 'admin'],
      ['鈴木', 'viewer'],
    ]);
    const hashes = storedHashes(dir);
    expect(hashes).toHaveLength(2);
    for (const hash of hashes) {
      expect(hash.startsWith('scrypt$')).toBe(true);
      expect(list.join('\n')).not.toContain(hash.split('$')[5]);
    }
    expect(list.join('\n')).not.toMatch(/scrypt|password/);
  });

  it('asks twice at a hidden terminal prompt; refuses a mismatch and short passwords', async () => {
    const dir = await dataDir();
    const ok = await user(dir, ['add', 'sato', '--role', 'admin'], { tty: ['sato password 3\r', 'sato password 3\r'] });
    expect(ok.out).toEqual(['added user sato (admin)']);
    expect(ok.err).toContain('New password for sato: ');
    expect(ok.err).toContain('Type it again: ');
    expect(ok.err).not.toContain('sato password 3');
    expect(await verifier(dir).verify('sato', 'sato password 3')).not.toBeNull();

    expect(await failure(user(dir, ['add', 'kato'], { tty: ['kato password 1\r', 'kato password 2\r'] }))).toMatch(/differ/);
    expect(await failure(user(dir, ['add', 'kato', '--password-stdin'], { text: 'short\n' }))).toMatch(/at least 8/);
    // Backspace edits what was typed; Ctrl-C cancels.
    await user(dir, ['add', 'ito'], { tty: ['ito passwordX\u007f 4\r', 'ito password 4\r'] });
    expect(await verifier(dir).verify('ito', 'ito password 4')).not.toBeNull();
    expect(await failure(user(dir, ['add', 'abe'], { tty: ['abe pass\u0003'] }))).toMatch(/cancelled/);
    expect((await verifier(dir).list()).map((u) => u.username)).toEqual(['ito', 'sato']);
  });

  it('without a terminal and without --password-stdin, says how instead of reading', async () => {
    const dir = await dataDir();
    expect(await failure(user(dir, ['add', 'kimura'], { text: 'kimura password\n' }))).toMatch(/--password-stdin/);
    expect(await failure(user(dir, ['add', 'bad name', '--password-stdin'], { text: 'long enough pw\n' }))).toMatch(/not a valid user name/);
    await user(dir, ['add', 'kimura', '--password-stdin'], { text: 'kimura password\n' });
    expect(await failure(user(dir, ['add', 'kimura', '--password-stdin'], { text: 'another password\n' }))).toMatch(/already exists/);
  });

  it('passwd, role and remove; the last admin cannot be removed or demoted', async () => {
    const dir = await dataDir();
    await user(dir, ['add', 'boss', '--role', 'admin', '--password-stdin'], { text: 'boss password 1\n' });
    await user(dir, ['add', 'staff', '--password-stdin'], { text: 'staff password 1\n' });

    expect((await user(dir, ['passwd', 'staff', '--password-stdin'], { text: 'staff password 2\n' })).out[0]).toMatch(/password changed for staff/);
    const users = verifier(dir);
    expect(await users.verify('staff', 'staff password 1')).toBeNull();
    expect(await users.verify('staff', 'staff password 2')).not.toBeNull();
    expect(await failure(user(dir, ['passwd', 'nobody', '--password-stdin'], { text: 'whatever pw\n' }))).toMatch(/no user "nobody"/);

    expect(await failure(user(dir, ['remove', 'boss']))).toMatch(/last admin/);
    expect(await failure(user(dir, ['role', 'boss', 'viewer']))).toMatch(/last admin/);
    expect(await failure(user(dir, ['role', 'boss', 'owner']))).toMatch(/invalid for argument 'role'. use viewer .* or admin/);
    expect((await user(dir, ['role', 'staff', 'admin'])).out).toEqual(['staff is now admin; their open sessions end']);
    expect((await user(dir, ['remove', 'boss'])).out).toEqual(['removed user boss; their open sessions end']);
    expect(await failure(user(dir, ['remove', 'staff']))).toMatch(/last admin/);
    expect(await failure(user(dir, ['remove', 'boss']))).toMatch(/no user "boss"/);
    expect((await users.list()).map((u) => [u.username, u.role])).toEqual([['staff', 'admin']]);
  });

  it('works while the hub serves: a changed password or a removal ends that user\'s session at once', async () => {
    const dir = await dataDir();
    await user(dir, ['add', 'boss', '--role', 'admin', '--password-stdin'], { text: 'boss password 1\n' });
    await user(dir, ['add', 'staff', '--password-stdin'], { text: 'staff password 1\n' });

    // The hub side: its own connection to the same database file.
    const dashboard = createDashboardApp({ dataSource: new MemoryDataSource(), users: verifier(dir), sessionRecords: new MemorySessionRecords(), logger: silentLogger });
    const server: Server = createServer(dashboard.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const url = `http://127.0.0.1:${address.port}`;
    const login = async (username: string, password: string) => {
      const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
      return res.status === 200 ? (res.headers.getSetCookie()[0] ?? '').split(';')[0]! : null;
    };
    const me = async (cookie: string) => (await fetch(`${url}/api/me`, { headers: { cookie } })).status;

    const boss = await login('boss', 'boss password 1');
    const staff = await login('staff', 'staff password 1');
    if (!boss || !staff) throw new Error('login failed');
    expect([await me(boss), await me(staff)]).toEqual([200, 200]);

    await user(dir, ['passwd', 'staff', '--password-stdin'], { text: 'staff password 2\n' });
    expect(await me(staff)).toBe(401);
    expect(await me(boss)).toBe(200);
    expect(await login('staff', 'staff password 1')).toBeNull();
    const again = await login('staff', 'staff password 2');
    if (!again) throw new Error('new password refused');
    expect(await me(again)).toBe(200);

    await user(dir, ['remove', 'staff']);
    expect(await me(again)).toBe(401);
    expect(await me(boss)).toBe(200);
  });

  it('--sites limits a viewer; `user sites` changes it (the open session ends) or lifts it with --all; bad ids are refused', async () => {
    const dir = await dataDir();
    expect((await user(dir, ['add', 'sato', '--sites', 'hall-b, hall-a,hall-b', '--password-stdin'], { text: 'sato password 1\n' })).out).toEqual([
      'added user sato (viewer, sites hall-a, hall-b)',
    ]);
    const users = verifier(dir);
    expect(await users.verify('sato', 'sato password 1')).toEqual({ username: 'sato', role: 'viewer', sites: ['hall-a', 'hall-b'] });
    expect(await failure(user(dir, ['add', 'ito', '--sites', 'Hall_A', '--password-stdin'], { text: 'ito password 1\n' }))).toMatch(/not a valid site id: "Hall_A"/);
    expect(await failure(user(dir, ['add', 'ito', '--sites', ',', '--password-stdin'], { text: 'ito password 1\n' }))).toMatch(/give site ids separated by commas/);
    expect(await failure(user(dir, ['add', 'boss', '--role', 'admin', '--sites', 'hall-a', '--password-stdin'], { text: 'boss password 1\n' }))).toMatch(/--sites is for viewers/);
    expect((await users.has('ito')) || (await users.has('boss'))).toBe(false);

    const stampBefore = (await users.credentialStamp('sato'));
    expect((await user(dir, ['sites', 'sato', 'hall-c'])).out).toEqual(['sato now sees sites hall-c; their open sessions end']);
    expect((await users.credentialStamp('sato'))).not.toBe(stampBefore);
    expect((await user(dir, ['sites', 'sato', 'hall-c'])).out).toEqual(['sato already sees sites hall-c']);
    expect(await failure(user(dir, ['sites', 'sato']))).toMatch(/give the sites .* or --all/);
    expect(await failure(user(dir, ['sites', 'sato', 'hall-a', '--all']))).toMatch(/give the sites .* or --all/);
    expect(await failure(user(dir, ['sites', 'nobody', 'hall-a']))).toMatch(/no user "nobody"/);
    const list = (await user(dir, ['list'])).out;
    expect(list.slice(1).map((l) => l.split(/\s+/))).toEqual([['sato', 'viewer', expect.any(String), 'hall-c']]);

    expect((await user(dir, ['sites', 'sato', '--all'])).out).toEqual(['sato now sees all sites; their open sessions end']);
    expect(await users.verify('sato', 'sato password 1')).toEqual({ username: 'sato', role: 'viewer', sites: null });
    // Back to no sites: the stamp of a user without sites, as before this feature (no logout at upgrade).
    expect((await users.credentialStamp('sato'))).toMatch(/^viewer:[A-Za-z0-9_-]{22}$/);
    // Removing the user removes its sites too (no stale limit for a new user of that name).
    await user(dir, ['sites', 'sato', 'hall-a']);
    await user(dir, ['add', 'boss', '--role', 'admin', '--password-stdin'], { text: 'boss password 1\n' });
    await user(dir, ['remove', 'sato']);
    await user(dir, ['add', 'sato', '--password-stdin'], { text: 'sato password 2\n' });
    expect(await users.verify('sato', 'sato password 2')).toEqual({ username: 'sato', role: 'viewer', sites: null });
  });

  it('a site change ends the viewer\'s open session in the running hub; after a new login it sees the new site only', async () => {
    const dir = await dataDir();
    await user(dir, ['add', 'sato', '--sites', 'hall-a', '--password-stdin'], { text: 'sato password 1\n' });
    const dashboard = createDashboardApp({ dataSource: new MemoryDataSource(), users: verifier(dir), sessionRecords: new MemorySessionRecords(), logger: silentLogger });
    const server: Server = createServer(dashboard.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const url = `http://127.0.0.1:${address.port}`;
    const login = async () => {
      const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'sato', password: 'sato password 1' }) });
      if (res.status !== 200) throw new Error(`login: ${res.status}`);
      return (res.headers.getSetCookie()[0] ?? '').split(';')[0]!;
    };
    const me = async (cookie: string) => {
      const res = await fetch(`${url}/api/me`, { headers: { cookie } });
      return res.status === 200 ? ((await res.json()) as { user: { sites: unknown } }).user.sites : res.status;
    };
    const first = await login();
    expect(await me(first)).toEqual(['hall-a']);
    await user(dir, ['sites', 'sato', 'hall-b']);
    expect(await me(first)).toBe(401);
    expect(await me(await login())).toEqual(['hall-b']);
  });

  it('warns that the hub re-applies the config\'s admin account', async () => {
    const dir = await dataDir();
    await user(dir, ['add', 'admin', '--role', 'admin', '--password-stdin'], { text: 'admin password 1\n' });
    await user(dir, ['add', 'other', '--role', 'admin', '--password-stdin'], { text: 'other password 1\n' });
    const out: string[] = [];
    const input = new PassThrough();
    input.end('admin password 2\n');
    await buildProgram({ env: { MIERUKA_DASHBOARD__ADMIN_PASSWORD: 'config-password' }, cwd: dir, print: (l) => out.push(l), keepRunning: () => undefined, stdin: input })
      .parseAsync(['node', 'mieruka', 'user', 'passwd', 'admin', '--password-stdin', '--data-dir', dir]);
    expect(out[1]).toMatch(/note: "admin" is dashboard.adminUser .* sets the password from the config again/);
    expect(out.join('\n')).not.toContain('config-password');
  });
});
