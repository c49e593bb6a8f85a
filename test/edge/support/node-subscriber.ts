/**
 * An MQTT.js subscriber to one node's topics on a test broker, decoding what arrives the way
 * the hub would (invalid payloads kept as `invalid`): the bridge tests read what the agent sent.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { decodeMessage, type JsonKind, type PayloadOf } from '@mieruka/protocol';

export type Got = { kind: JsonKind | 'invalid'; payload: unknown };

export async function subscribeNode(url: string, site = 'factory', node = 'mill-1'): Promise<{ client: MqttClient; got: Got[] }> {
  const client = await connectAsync(url, { clientId: `sub-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
  const got: Got[] = [];
  client.on('message', (topic, payload) => {
    const d = decodeMessage(topic, payload);
    got.push(d.ok && d.message.kind !== 'image' ? { kind: d.message.kind, payload: d.message.payload } : { kind: 'invalid', payload: topic });
  });
  await client.subscribeAsync(`mieruka/v1/${site}/${node}/#`, { qos: 1 });
  return { client, got };
}

export const ofKind = <K extends JsonKind>(got: Got[], kind: K): Array<PayloadOf<K>> => got.filter((g) => g.kind === kind).map((g) => g.payload as PayloadOf<K>);
