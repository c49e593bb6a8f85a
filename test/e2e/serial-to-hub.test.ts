/**
 * The whole chain on real parts: simulated ESP32 on a real pty (socat) → SerialLineReader →
 * CurrentAgent → MQTT → hub (aedes) → SQLite row + dashboard ws message. An invalid payload
 * published by mosquitto_pub is counted and dropped while valid readings keep arriving.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { CurrentAgent, MqttNodeLink } from '@mieruka/edge';
import { Esp32Simulator, PtyPair, SerialLineReader } from '@mieruka/firmware-bridge';
import { MachineConfig, parseConfig } from '@mieruka/protocol';
import { login, openLiveFeed, type LiveClient } from '../helpers/dashboard-client.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const logger = pino({ level: 'silent' });
const PASSWORD = 'e2e-password-123';

describe('ESP32 on a pty → bridge → hub → SQLite and dashboard', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let pty: PtyPair;
  let simulator: Esp32Simulator;
  let reader: SerialLineReader;
  let link: MqttNodeLink;
  let agent: CurrentAgent;
  let live: LiveClient;
  let db: Database.Database;

  beforeAll(async () => {
    dir = await makeTempDir();
    const config = parseConfig({
      overrides: {
        site: 'factory',
        hub: { dataDir: join(dir.path, 'hub'), mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, ingest: { flushIntervalMs: 20 } },
        dashboard: { adminPassword: PASSWORD },
      },
    });
    hub = createHub({ config, logger });
    await hub.start();

    pty = await PtyPair.open({ dir: dir.path });
    simulator = new Esp32Simulator({ seed: 7, intervalMs: 100, timeScale: 50 });
    reader = new SerialLineReader({ path: pty.hostPath, logger });
    link = new MqttNodeLink({ url: hub.mqttUrl, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', dataDir: join(dir.path, 'agent'), logger });
    await link.start();
    agent = new CurrentAgent({ link, source: reader, machine: MachineConfig.parse({ offBelowA: 0.3, runningAboveA: 1.8, minDwellS: 0 }), logger });

    const cookie = await login(hub.httpUrl, 'admin', PASSWORD);
    live = await openLiveFeed(hub.httpUrl, cookie);
    // Open the host side first: serialport flushes input on open, as with a real ESP32,
    // so the boot banner must be sent after the reader is listening.
    await agent.start();
    await simulator.connectToPath(pty.devicePath);
    db = new Database(join(dir.path, 'hub', 'mieruka.db'), { readonly: true, fileMustExist: true });
  });

  afterAll(async () => {
    db?.close();
    await live?.close();
    await agent?.stop();
    await link?.stop();
    await simulator?.stop();
    await pty?.close();
    await hub?.stop();
    await dir?.remove();
  });

  const readingCount = () => (db.prepare("SELECT count(*) AS n FROM readings WHERE node = 'mill-1'").get() as { n: number }).n;

  it('stores readings in SQLite and pushes them to the ws feed', async () => {
    await waitFor(() => readingCount() >= 3, 'three readings in SQLite');
    const row = db.prepare("SELECT * FROM readings WHERE node = 'mill-1' ORDER BY ts DESC LIMIT 1").get() as Record<string, unknown>;
    expect(row.site).toBe('factory');
    const irms = JSON.parse(String(row.irms)) as number[];
    expect(irms.length).toBe(1);
    expect(irms[0]).toBeGreaterThanOrEqual(0);

    const update = await waitFor(
      () => live.messages.find((m) => m.type === 'node' && (m.node as { node?: string; current?: unknown })?.node === 'mill-1' && (m.node as { current?: unknown }).current),
      'a live current update on the ws feed',
    );
    const snapshot = update.node as { online: boolean | null; current: { irms: number[] } };
    expect(snapshot.current.irms.length).toBe(1);
    // The boot banner and noise the simulator sends at start were skipped, not fatal.
    expect(Object.values(reader.stats().skipped).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('drops and counts an invalid payload from mosquitto_pub while valid readings keep flowing', async () => {
    const invalidBefore = hub.stats().messagesInvalid;
    const port = String(hub.mqttPort);
    const bad = await runCommand('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', '-t', 'mieruka/v1/factory/mill-1/current', '-m', '{"ts":"yesterday","seq":-1,"irms":"lots"}']);
    expect(bad.code).toBe(0);
    const notJson = await runCommand('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', '-t', 'mieruka/v1/factory/mill-1/state', '-m', 'garbage']);
    expect(notJson.code).toBe(0);
    await waitFor(() => hub.stats().messagesInvalid >= invalidBefore + 2, 'the hub to count both invalid messages');

    const before = readingCount();
    await waitFor(() => readingCount() >= before + 3, 'valid readings to keep arriving after the invalid ones');
    // Nothing invalid reached the database.
    expect((db.prepare("SELECT count(*) AS n FROM readings WHERE irms NOT LIKE '[%'").get() as { n: number }).n).toBe(0);
  });
});
