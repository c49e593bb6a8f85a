/** DeviceAccounts on both databases: accounts, passwords, and the stamps the broker checks at every message. */
import { describe, expect, it } from 'vitest';
import { sqlBackends } from '../test-support/sql-backends.js';
import { silentLogger } from '../test-support/helpers.js';
import { DeviceAccounts } from './device-accounts.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const backends = sqlBackends();

describe.each(backends.each)('DeviceAccounts on %s', (_name, open) => {
  it('adds, verifies, changes and removes accounts; lists them without hashes', async () => {
    const { sql } = await open();
    const accounts = new DeviceAccounts({ sql, logger: silentLogger, scryptParams: FAST });
    expect(await accounts.add('factory/mill-1', 'mill password 1', 'node')).toEqual({ name: 'factory/mill-1', kind: 'node', site: 'factory', node: 'mill-1' });
    await accounts.add('grafana', 'grafana password', 'observer');
    await expect(accounts.add('grafana', 'other password', 'observer')).rejects.toThrow(/already exists/);
    await expect(accounts.add('Factory/Mill 1', 'whatever pw', 'node')).rejects.toThrow(/not <site>\/<node>/);

    expect(await accounts.verify('factory/mill-1', 'mill password 1')).toMatchObject({ kind: 'node', site: 'factory', node: 'mill-1' });
    // Twice: the second answer comes from the remembered HMAC, and must be the same.
    expect(await accounts.verify('factory/mill-1', 'mill password 1')).toMatchObject({ kind: 'node' });
    expect(await accounts.verify('factory/mill-1', 'wrong password')).toBeNull();
    expect(await accounts.verify('nobody', 'mill password 1')).toBeNull();
    expect(await accounts.has('grafana')).toBe(true);

    await accounts.changePassword('factory/mill-1', 'mill password 2');
    expect(await accounts.verify('factory/mill-1', 'mill password 1')).toBeNull();
    expect(await accounts.verify('factory/mill-1', 'mill password 2')).not.toBeNull();
    await expect(accounts.changePassword('nobody', 'whatever pw')).rejects.toThrow(/no device "nobody"/);

    const list = await accounts.list();
    expect(list.map((d) => [d.name, d.kind])).toEqual([
      ['factory/mill-1', 'node'],
      ['grafana', 'observer'],
    ]);
    expect(list[0]!.updatedAt).toBeGreaterThanOrEqual(list[0]!.createdAt);
    expect(JSON.stringify(list)).not.toContain('scrypt');
    expect(await accounts.remove('grafana')).toBe(true);
    expect(await accounts.remove('grafana')).toBe(false);
    expect(await accounts.verify('grafana', 'grafana password')).toBeNull();
  });

  it('stamps: read fresh at CONNECT, kept in memory for every message, reloaded for changes made elsewhere', async () => {
    const { sql } = await open();
    const hub = new DeviceAccounts({ sql, logger: silentLogger, scryptParams: FAST });
    // `mieruka device` in another process: another DeviceAccounts on the same database.
    const cli = new DeviceAccounts({ sql, logger: silentLogger, scryptParams: FAST });
    await cli.add('factory/mill-1', 'mill password 1', 'node');
    await cli.add('grafana', 'grafana password', 'observer');
    expect(hub.stamp('factory/mill-1')).toBeNull(); // nothing loaded yet
    await hub.reload();
    const first = hub.stamp('factory/mill-1');
    expect(first).toMatch(/^node:[A-Za-z0-9_-]{22}$/);
    expect(hub.stamp('grafana')).toMatch(/^observer:/);
    expect(hub.nodeNames()).toEqual(['factory/mill-1']);
    expect(await hub.readStamp('factory/mill-1')).toBe(first);

    await cli.changePassword('factory/mill-1', 'mill password 2');
    await cli.remove('grafana');
    expect(hub.stamp('factory/mill-1')).toBe(first); // not seen until read again
    const fresh = await hub.readStamp('factory/mill-1');
    expect(fresh).not.toBe(first);
    expect(hub.stamp('factory/mill-1')).toBe(fresh);
    expect(hub.stamp('grafana')).not.toBeNull();
    await hub.reload();
    expect(hub.stamp('grafana')).toBeNull();
    expect(await hub.readStamp('grafana')).toBeNull();
  });

  it('watch reloads the stamps on its own until unwatch', async () => {
    const { sql } = await open();
    const hub = new DeviceAccounts({ sql, logger: silentLogger, scryptParams: FAST, refreshMs: 10 });
    const cli = new DeviceAccounts({ sql, logger: silentLogger, scryptParams: FAST });
    await hub.watch();
    try {
      await cli.add('factory/lathe-2', 'lathe password', 'node');
      await expect.poll(() => hub.stamp('factory/lathe-2'), { timeout: 10_000 }).not.toBeNull();
    } finally {
      await hub.unwatch();
    }
    await cli.remove('factory/lathe-2');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hub.stamp('factory/lathe-2')).not.toBeNull(); // no more reloads after unwatch
  });
});
