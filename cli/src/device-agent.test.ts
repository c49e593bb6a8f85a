/**
 * An edge agent's MQTT link with a node account, against a hub that admits only accounts
 * (anonymous: off): everything the agent does (retained status that is also its will, readings,
 * its command subscription) is allowed, and the hub's commands reach it. The account name goes
 * into the URL with its "/" written as %2F.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceAccounts, Hub, openDatabase, SqliteSqlStore } from '@mieruka/broker';
import { MqttNodeLink } from '@mieruka/edge';
import { hubConfig, makeTempDir, silentLogger, TS, waitFor } from '../../broker/src/test-support/helpers.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('an edge agent with a node account', () => {
  it('connects as <site>/<node>, publishes its readings and receives its commands; nothing is refused', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const hub = new Hub({ config: hubConfig(dir.path, { hub: { mqtt: { anonymous: 'off' } } }), logger: silentLogger });
    cleanups.push(() => hub.stop());
    await hub.start();
    const db = openDatabase(join(dir.path, 'mieruka.db'));
    cleanups.push(() => db.close());
    await new DeviceAccounts({ sql: new SqliteSqlStore(db), logger: silentLogger, scryptParams: { N: 2 ** 10, r: 8, p: 1 } }).add('factory/mill-1', 'p@ss word 1', 'node');

    const link = new MqttNodeLink({
      url: `mqtt://${encodeURIComponent('factory/mill-1')}:${encodeURIComponent('p@ss word 1')}@127.0.0.1:${hub.mqttPort}`,
      site: 'factory',
      node: 'mill-1',
      agent: 'bridge',
      version: 'test',
      logger: silentLogger,
    });
    cleanups.push(() => link.stop());
    const commands: string[] = [];
    link.onCommand((action) => commands.push(action));
    await link.start();
    await link.publish('state', { ts: TS, state: 'running', since: TS, irms: [3.3] });
    await waitFor(() => hub.live.get('factory', 'mill-1')?.state, 'the state at the hub');
    expect(hub.live.get('factory', 'mill-1')?.online).toBe(true);
    await waitFor(async () => {
      await hub.broker.publish({ topic: 'mieruka/v1/factory/mill-1/cmd/info', payload: JSON.stringify({ ts: TS }) });
      return commands.includes('info');
    }, 'the command at the agent');
    expect(hub.stats().mqttRefused).toEqual({ connect: {}, publish: {}, subscribe: {}, limits: {} });
  });
});
