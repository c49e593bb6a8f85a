/**
 * The broker check against a real hub on loopback that admits accounts only: the node account's
 * password file right (ok), wrong (refused credentials) and a port nobody listens on (unreachable).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceAccounts, Hub, openDatabase, SqliteSqlStore } from '@mieruka/broker';
import { hubConfig, makeTempDir, silentLogger } from '../../../broker/src/test-support/helpers.js';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { brokerCheck } from './broker-check.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const ACCOUNT = 'factory/mill-1';
const PASSWORD = 'doctor-pass-1';

async function hubWithAccount(): Promise<{ hub: Hub; dir: string }> {
  const tmp = await makeTempDir();
  cleanups.push(() => tmp.remove());
  const hub = new Hub({ config: hubConfig(tmp.path, { hub: { mqtt: { anonymous: 'off' } } }), logger: silentLogger });
  cleanups.push(() => hub.stop());
  await hub.start();
  const db = openDatabase(join(tmp.path, 'mieruka.db'));
  cleanups.push(() => db.close());
  await new DeviceAccounts({ sql: new SqliteSqlStore(db), logger: silentLogger, scryptParams: { N: 2 ** 10, r: 8, p: 1 } }).add(ACCOUNT, PASSWORD, 'node');
  return { hub, dir: tmp.path };
}

async function agentConfig(dir: string, port: number, password: string) {
  const file = join(dir, 'mqtt-password');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return { bridge: { mqttUrl: `mqtt://${encodeURIComponent(ACCOUNT)}@127.0.0.1:${port}`, mqttPasswordFile: file } };
}

describe('broker check', () => {
  it('is ok when the hub accepts the configured account', async () => {
    const { hub, dir } = await hubWithAccount();
    const out = await brokerCheck.run(doctorContext(await agentConfig(dir, hub.mqttPort, PASSWORD)), neverAborted);
    // The URL is shown with its credentials masked.
    expect(out.message.en).toBe(`mqtt://***@127.0.0.1:${hub.mqttPort}: connected as ${ACCOUNT}`);
    expect(out.status).toBe('ok');
  });

  it('fails "refused the credentials" with a wrong password, which it never shows', async () => {
    const { hub, dir } = await hubWithAccount();
    const out = await brokerCheck.run(doctorContext(await agentConfig(dir, hub.mqttPort, 'not-the-password')), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain(`refused the credentials as ${ACCOUNT}`);
    expect(out.fix?.en).toContain('mieruka device passwd');
    expect(JSON.stringify(out)).not.toContain('not-the-password');
  });

  it('fails "cannot reach" when nothing listens there', async () => {
    const { hub, dir } = await hubWithAccount();
    const port = hub.mqttPort;
    await hub.stop();
    const out = await brokerCheck.run(doctorContext(await agentConfig(dir, port, PASSWORD)), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain('cannot reach the broker');
    expect(out.fix?.en).toContain('the hub is running');
  });

  it('skips when no agent is configured', async () => {
    expect((await brokerCheck.run(doctorContext({}), neverAborted)).status).toBe('skip');
  });
});
