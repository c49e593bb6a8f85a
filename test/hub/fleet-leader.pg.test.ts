/**
 * Fleet mode (issue 17, done when): two hubs on one Redis and one PostgreSQL. Hub A is the
 * built CLI in its own process, hub B runs in this one; both store into the same database.
 * One of them leads (runs the alert rules over every hub's nodes); killing the leader with
 * SIGKILL moves the alerts to the other, and no alarm fires twice. Real redis-server and
 * PostgreSQL 15 on loopback, real MQTT clients; waits are bounded, nothing is timed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { PostgresSqlStore, type Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { openPostgres } from '../../broker/src/store/postgres/pg-database.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';
import { freePort } from '../helpers/mosquitto.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres-server.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';

const CLI = fileURLToPath(new URL('../../bin/mieruka.js', import.meta.url));
const SITE = 'factory';

type Proc = { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<unknown> };

describe('two hubs on one Redis and one PostgreSQL', () => {
  let redis: RunningRedis;
  let postgres: RunningPostgres;
  let sql: PostgresSqlStore;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    cleanups.push(() => redis.stop());
    postgres = await startPostgres();
    cleanups.push(() => postgres.stop());
    await postgres.createDatabase('fleet');
    sql = new PostgresSqlStore(await openPostgres(postgres.url('fleet')));
    cleanups.push(() => sql.close());
  }, 60_000);

  afterAll(async () => {
    for (const c of clients.splice(0)) await closeClient(c);
    for (const c of cleanups.reverse()) await c();
  }, 60_000);

  /** Fleet settings both hubs share: the same Redis and database, a quick fail-over for the test. */
  const fleetEnv = (hubId: string): Record<string, string> => ({
    MIERUKA_HUB__CLUSTER__REDIS_URL: redis.url,
    MIERUKA_HUB__CLUSTER__HUB_ID: hubId,
    MIERUKA_HUB__STORE__URL: postgres.url('fleet'),
    MIERUKA_HUB__STORE__FAILOVER_S: '1',
  });

  async function startChildHub(hubId: string): Promise<{ proc: Proc; mqttUrl: string }> {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const mqttPort = await freePort();
    const env = { ...process.env, ...fleetEnv(hubId), MIERUKA_HUB__MQTT__HOST: '127.0.0.1', MIERUKA_HUB__HTTP__HOST: '127.0.0.1' };
    const child = spawn('node', [CLI, 'hub', '--data-dir', dir.path, '--mqtt-port', String(mqttPort), '--http-port', '0', '--log-level', 'warn'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    await waitFor(() => output.includes('Mieruka hub:') || child.exitCode !== null, `hub ${hubId} to start`, 60_000);
    expect(child.exitCode, output).toBeNull();
    return { proc: { child, output: () => output, exited }, mqttUrl: `mqtt://127.0.0.1:${mqttPort}` };
  }

  async function startHub(hubId: string): Promise<Hub> {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const env = fleetEnv(hubId);
    const hub = createHub({
      config: hubConfig(dir.path, { hub: { cluster: { redisUrl: env.MIERUKA_HUB__CLUSTER__REDIS_URL, hubId }, store: { url: env.MIERUKA_HUB__STORE__URL, failoverS: 1 } } }),
      logger: silentLogger,
    });
    cleanups.push(() => hub.stop());
    await hub.start();
    return hub;
  }

  /** A machine agent on `mqttUrl`: running, then straight to off (the "stopped while running" rule). */
  async function runThenStop(mqttUrl: string, node: string): Promise<void> {
    const edge = await connectClient(mqttUrl, { clientId: `edge-${node}`, connectTimeout: 20_000 });
    clients.push(edge);
    const topic = topicFor(SITE, node, 'state');
    const t = Date.now();
    await edge.publishAsync(topic, encodePayload('state', { ts: t - 1000, state: 'running', since: t - 600_000, irms: [4.2] }), { qos: 1, retain: true });
    await edge.publishAsync(topic, encodePayload('state', { ts: t, state: 'off', since: t, irms: [0.01] }), { qos: 1, retain: true });
  }

  const alarmsOf = (node: string) =>
    sql.all<{ id: string; active: number; acknowledged: number }>('SELECT id, active, acknowledged FROM alarms WHERE site = ? AND node = ? AND type = ?', [SITE, node, 'machine_stopped']);
  const raisedEvents = async (alarmId: string) => (await sql.all<{ kind: string }>('SELECT kind FROM alarm_events WHERE alarm_id = ? AND kind = ?', [alarmId, 'raised'])).length;
  /** Which hub holds the leader lock, as PostgreSQL sees it. */
  const lockHolder = async () =>
    (await sql.get<{ name: string }>("SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'mieruka-leader-%'"))?.name ?? null;

  it('stores into the shared database, leads with one hub, and moves the alerts to the other when the leader is killed, without a second alarm', async () => {
    // Hub A starts first and takes the lead; hub B follows.
    const a = await startChildHub('hub-a');
    await waitFor(async () => (await lockHolder()) === 'mieruka-leader-hub-a', 'hub A to lead', 30_000);
    const b = await startHub('hub-b');
    expect(b.stats().cluster).toMatchObject({ hubId: 'hub-b', redis: { connected: true }, leader: { leading: false } });
    expect(b.leading).toBe(false);

    // A machine reports to hub B. B stores it (in the shared database); A's rules see it
    // through Redis and raise the alarm: one row, raised once, listed on B's dashboard too.
    await runThenStop(b.mqttUrl, 'mill-1');
    await waitFor(async () => (await alarmsOf('mill-1')).length === 1, "the leader's alarm for mill-1", 30_000);
    const [first] = await alarmsOf('mill-1');
    expect(first).toMatchObject({ active: 1, acknowledged: 0 });
    expect((await sql.get<{ n: number }>('SELECT count(*) AS n FROM states WHERE site = ? AND node = ?', [SITE, 'mill-1']))?.n).toBe(2);
    expect((await b.dataSource.listAlarms({ state: 'active', limit: 10 })).map((x) => x.id)).toEqual([first?.id]);

    // The leader dies without a goodbye. B takes over within the fail-over time (bounded wait).
    a.proc.child.kill('SIGKILL');
    await a.proc.exited;
    await waitFor(() => b.leading, 'hub B to lead', 60_000);
    expect(await lockHolder()).toBe('mieruka-leader-hub-b');
    expect(b.stats().cluster?.leader).toMatchObject({ leading: true, terms: 1 });

    // B's rules start from every node's state now: mill-1 is still off, its alarm stays the one alarm.
    await b.alerts.tick();
    await b.alerts.settled();
    expect((await alarmsOf('mill-1')).map((x) => x.id)).toEqual([first?.id]);
    expect(await raisedEvents(first?.id ?? '')).toBe(1);

    // Alerts now run on B: a new stop raises there, once.
    await runThenStop(b.mqttUrl, 'mill-2');
    await waitFor(async () => (await alarmsOf('mill-2')).length === 1, "the new leader's alarm for mill-2", 30_000);
    await b.alerts.settled();
    const [second] = await alarmsOf('mill-2');
    expect(await raisedEvents(second?.id ?? '')).toBe(1);
    expect((await sql.get<{ n: number }>("SELECT count(*) AS n FROM alarms WHERE type = 'machine_stopped'"))?.n).toBe(2);

    // An acknowledgement on B's dashboard is stored for the whole fleet.
    expect((await b.dataSource.acknowledgeAlarm(first?.id ?? '', 'foreman')).outcome).toBe('acknowledged');
    expect((await alarmsOf('mill-1'))[0]).toMatchObject({ acknowledged: 1 });
  }, 180_000);
});
