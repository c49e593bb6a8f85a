/**
 * Child process of kill-during-writes.test.ts (bundled with esbuild, run with plain node): a
 * real hub on loopback over `<dataDir>` (argv[2]), with images and WAL checkpoints as in
 * production, that prints "READY <mqttPort>" and then runs until it is SIGKILLed. A test "main":
 * it may read argv and write to stdout.
 */
import { pino } from 'pino';
import { parseConfig } from '@mieruka/protocol';
import { Hub } from '../hub.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: kill-target-child <dataDir>');

const hub = new Hub({
  config: parseConfig({ overrides: { hub: { dataDir, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, ingest: { flushIntervalMs: 20 } } } }),
  logger: pino({ level: 'silent' }),
});
await hub.start();
process.stdout.write(`READY ${hub.mqttPort}\n`);
