/**
 * The agent of the power-cut test (test/edge/outbox-power-cut.test.ts), run as its own process:
 * writes `current` readings as fast as it can through the real MqttNodeLink and outbox, and
 * prints `q <seq>` for each one publish() acknowledged (stdout to a pipe is synchronous on
 * Linux, so a printed line was acknowledged before the process could be killed).
 *
 *   node child.mjs <dataDir> <mqttUrl> flood   until killed
 *   node child.mjs <dataDir> <mqttUrl> drain   100 more, wait for an empty queue, stop, exit by itself
 */
import { pino } from 'pino';
import { MqttNodeLink } from '../../../edge/src/mqtt/mqtt-node-link.js';

const [dataDir, url, mode] = process.argv.slice(2) as [string, string, 'flood' | 'drain'];
const link = new MqttNodeLink({ url, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', dataDir, logger: pino({ level: 'error' }, pino.destination(2)), reconnect: { initialMs: 100, maxMs: 200 } });
await link.start({ waitForConnect: false });

async function write(): Promise<void> {
  const seq = link.nextSeq();
  await link.publish('current', { ts: Date.now(), seq, irms: [seq % 17] });
  process.stdout.write(`q ${seq}\n`);
}

if (mode === 'flood') {
  for (;;) {
    for (let i = 0; i < 20; i++) await write();
    // Let the acknowledgements in, so deletes run between the writes.
    await new Promise((resolve) => setImmediate(resolve));
  }
} else {
  for (let i = 0; i < 100; i++) await write();
  while (link.stats().queued > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  process.stdout.write(`drained ${JSON.stringify(link.stats())}\n`);
  await link.stop();
  // No process.exit: a handle left open keeps this process alive and fails the test.
}
