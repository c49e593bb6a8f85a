/**
 * DemoClutterStation over the real wire: MqttNodeLink → aedes on 127.0.0.1 → an MQTT.js
 * subscriber that decodes everything with the contract, and a hub-side cmd/capture.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { commandTopic, decodeMessage, StationConfig, topicFilters, type ClutterPayload, type DecodedMessage } from '@mieruka/protocol';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { MqttNodeLink } from '../mqtt/index.js';
import { DemoClutterStation } from './demo-clutter-station.js';
import { listSamplePhotos } from './sample-photos.js';
import { startTestBroker } from '../../../test/helpers/aedes-broker.js';

const logger = pino({ level: 'silent' });

describe('DemoClutterStation over MQTT', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  it('publishes decodable clutter + image and answers cmd/capture from the hub', async () => {
    const { aedes, url, close: closeBroker } = await startTestBroker();
    cleanups.push(closeBroker);
    const cmdFilter = topicFilters.commandsFor('factory', 'bench-1');
    let commandsSubscribed = false;
    aedes.on('subscribe', (subs) => {
      if (subs.some((s) => s.topic === cmdFilter)) commandsSubscribed = true;
    });

    const hub: MqttClient = await connectAsync(url, { clientId: 'test-hub', reconnectPeriod: 0 });
    cleanups.push(() => hub.endAsync());
    const received: { kind: string; message: DecodedMessage }[] = [];
    const rejected: string[] = [];
    hub.on('message', (topic, payload) => {
      const d = decodeMessage(topic, payload);
      if (d.ok) received.push({ kind: d.message.kind, message: d.message });
      else rejected.push(`${topic}: ${d.message}`);
    });
    await hub.subscribeAsync('mieruka/v1/factory/bench-1/+', { qos: 1 });

    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const link = new MqttNodeLink({ url, site: 'factory', node: 'bench-1', agent: 'clutter-station', version: '0.1.0-test', dataDir: dir.path, logger });
    cleanups.push(() => link.stop());
    await link.start();

    const samples = await listSamplePhotos();
    const station = new DemoClutterStation({
      link,
      photos: [samples[0]!, samples[4]!],
      intervalMs: 3_600_000, // only the first tick and the command
      firstShotDelayMs: 10,
      station: StationConfig.parse({}),
      logger,
    });
    cleanups.push(() => station.stop());
    await station.start();
    expect(station.stats().backend).toMatch(/^(native|wasm)$/);

    await waitFor(() => commandsSubscribed, 'the station to subscribe to its commands');
    await hub.publishAsync(commandTopic('factory', 'bench-1', 'capture'), JSON.stringify({ ts: Date.now(), id: 'cap-1' }), { qos: 1 });

    const images = () => received.filter((r) => r.kind === 'image');
    await waitFor(() => images().length >= 2, 'two images');
    await station.stop();

    expect(rejected).toEqual([]);
    const clutter = received.filter((r) => r.kind === 'clutter').map((r) => r.message.payload as ClutterPayload);
    expect(clutter).toHaveLength(2);
    expect(clutter.map((c) => c.slot).sort()).toEqual(['demo', 'manual']);
    expect(clutter[1]!.seq).toBeGreaterThan(clutter[0]!.seq);
    expect(new Set(clutter.map((c) => c.imageId)).size).toBe(2);
    // Tidy photo then messy photo, in shot order.
    expect(clutter[0]!.score).toBeLessThan(10);
    expect(clutter[1]!.score).toBeGreaterThan(40);
    // On the wire each clutter message comes before its image.
    const order = received.filter((r) => r.kind === 'clutter' || r.kind === 'image').map((r) => r.kind);
    expect(order).toEqual(['clutter', 'image', 'clutter', 'image']);
    for (const img of images()) {
      const meta = await sharp(img.message.payload as Buffer).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBe(640);
    }
    expect(station.stats()).toMatchObject({ captureCommands: 1, published: 2, failures: 0 });
  });
});
