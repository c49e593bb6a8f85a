/**
 * A relay tower end to end: PatliteChannel (relay driver) publishes cmd/patlite through the
 * hub's own MqttBroker; an edge MqttNodeLink + PatliteRelayAgent switches a GpioRelayTower on
 * the fake GPIO port.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeGpioPort, GpioRelayTower, MqttNodeLink, PatliteRelayAgent } from '@mieruka/edge';
import { commandTopic, PatliteCommand } from '@mieruka/protocol';
import type { AlarmNotice, AlarmSeverity } from '@mieruka/broker';
import { BrokerPersistence } from '@mieruka/broker';
import { MqttBroker } from '@mieruka/broker';
import { MqttServer } from '@mieruka/broker';
import { makeTempDir, silentLogger, waitFor } from '../../broker/src/test-support/helpers.js';
import { createPatliteChannel } from '@mieruka/broker';

const PINS = { red: 17, amber: 27, green: 22, buzzer: 23 };

function notice(kind: AlarmNotice['kind'], id: string, severity: AlarmSeverity): AlarmNotice {
  return {
    kind,
    alarm: { id, site: 'factory', node: 'mill-1', type: 'machine_stopped', severity, message: { ja: '停止', en: 'stopped' }, activeSince: Date.now(), active: kind !== 'cleared', acknowledged: kind === 'acknowledged' },
  };
}

describe('relay tower over MQTT', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  async function setup() {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const persistence = new BrokerPersistence({ dir: join(dir.path, 'mqtt'), logger: silentLogger });
    await persistence.start();
    cleanups.push(() => persistence.stop());
    const broker = new MqttBroker({ persistence, logger: silentLogger });
    await broker.start();
    cleanups.push(() => broker.stop());
    const server = new MqttServer({ broker, host: '127.0.0.1', port: 0, logger: silentLogger });
    await server.start();
    cleanups.push(() => server.stop());
    const sent: PatliteCommand[] = [];
    broker.onPublish((packet) => {
      if (packet.topic === commandTopic('factory', 'andon-1', 'patlite')) sent.push(PatliteCommand.parse(JSON.parse(packet.payload.toString())));
    });

    const link = new MqttNodeLink({ url: `mqtt://127.0.0.1:${server.port}`, site: 'factory', node: 'andon-1', agent: 'patlite', version: '0.1.0', dataDir: dir.path, logger: silentLogger });
    await link.start();
    cleanups.push(() => link.stop());
    const gpio = new FakeGpioPort();
    const agent = new PatliteRelayAgent({ link, tower: new GpioRelayTower({ gpio, pins: PINS, blinkMs: 50, logger: silentLogger }), logger: silentLogger });
    await agent.start();
    cleanups.push(() => agent.stop());
    // The command subscription is in place once a command makes it through.
    const off = { topic: commandTopic('factory', 'andon-1', 'patlite'), payload: Buffer.from(JSON.stringify({ ts: Date.now() - 60_000, red: 'off', amber: 'off', green: 'off', buzzer: 0 })), qos: 1 as const, retain: false as const };
    await waitFor(async () => {
      await broker.publish(off);
      return agent.stats().received > 0;
    }, 'edge subscribed to its commands');

    let online = true;
    const channel = createPatliteChannel(
      { name: 'andon', type: 'relay', node: 'andon-1', holdS: 30 },
      { site: 'factory', logger: silentLogger, publish: (m) => broker.publish(m), isOnline: () => online, retry: { initialMs: 30, maxMs: 200 } },
    );
    cleanups.push(() => channel.stop());
    return { gpio, agent, channel, sent, setOnline: (v: boolean) => (online = v) };
  }

  it('lights the relays for an alarm (software blink, buzzer, hold sent along) and clears them on acknowledge', async () => {
    const { gpio, channel, sent } = await setup();
    await channel.start();
    await channel.deliver(notice('raised', 'a1', 'critical'));
    await waitFor(() => gpio.isActive(23), 'buzzer on');
    const red = () => gpio.writes.filter((w) => w.line === 17).map((w) => w.active);
    await waitFor(() => red().includes(true) && red().lastIndexOf(false) > red().indexOf(true), 'red blinking');
    const lit = sent.find((c) => c.red === 'blink');
    expect(lit).toMatchObject({ amber: 'off', green: 'off', buzzer: 1 });
    expect(lit!.holdS).toBeGreaterThan(29);
    expect(lit!.holdS).toBeLessThanOrEqual(30);
    expect(channel.status()).toMatchObject({ ok: true, detail: expect.stringMatching(/relay tower on edge node factory\/andon-1: red blink, buzzer 1/) });

    await channel.deliver(notice('acknowledged', 'a1', 'critical'));
    await waitFor(() => !gpio.isActive(23) && !gpio.isActive(17) && channel.status().pending === 0, 'all off after acknowledge');
    expect(sent.at(-1)).toMatchObject({ red: 'off', amber: 'off', green: 'off', buzzer: 0 });
    expect(sent.at(-1)!.holdS).toBeUndefined();
  });

  it('an offline edge node is a channel fault; the tower lights once it is back', async () => {
    const { gpio, channel, setOnline } = await setup();
    setOnline(false);
    await channel.start();
    await channel.deliver(notice('raised', 'a1', 'major'));
    const faulty = await waitFor(() => (channel.status().ok ? null : channel.status()), 'fault');
    expect(faulty.detail).toMatch(/edge node factory\/andon-1 is offline/);
    expect(gpio.isActive(17)).toBe(false);
    setOnline(true);
    await waitFor(() => gpio.isActive(17) && channel.status().ok, 'red on after the node came back');
  });
});
