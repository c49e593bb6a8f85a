/**
 * [MQTT-3.2.0-1]: the first packet a server sends a client is CONNACK. aedes restores a
 * persistent session's subscriptions before it writes the CONNACK (restoreSubs, then the will
 * and registration, each a persistence round trip), so a message routed in that gap reached
 * the client first. MQTT.js then waits on that PUBLISH's acknowledgement, which it cannot send
 * before it is connected, and never reads the CONNACK: the client hangs until its connect
 * timeout. With Redis (fleet mode) the gap is several round trips and traffic from the other
 * hubs keeps arriving, so this happened whenever a session came back under load. Here a
 * client's deliveries wait until its CONNACK is out, then go in their order; a connection
 * that closes first lets them go undelivered (a persistent session's QoS 1 messages stay in
 * its queue for the next connection).
 */
import type { Client } from 'aedes';

type Deliver = (packet: unknown, done: () => void) => void;
type Deliveries = { deliver0: Deliver; deliverQoS: Deliver; conn?: { once(event: 'close', listener: () => void): void } };
type Held = { released: boolean; queue: Array<{ deliver: Deliver; packet: unknown; done: () => void }> };

const held = new WeakMap<object, Held>();

/** Call from preConnect, before any subscription captures the delivery functions. */
export function holdUntilConnack(client: Client): void {
  const c = client as unknown as Deliveries;
  const state: Held = { released: false, queue: [] };
  held.set(client, state);
  const wrap =
    (deliver: Deliver): Deliver =>
    (packet, done) => {
      if (state.released) deliver(packet, done);
      else state.queue.push({ deliver, packet, done });
    };
  c.deliver0 = wrap(c.deliver0);
  c.deliverQoS = wrap(c.deliverQoS);
  c.conn?.once('close', () => {
    if (state.released) return;
    state.released = true;
    // Nothing was sent: the emitter gets its slots back, the persistence keeps the messages.
    for (const item of state.queue.splice(0)) item.done();
  });
}

/** The CONNACK is written (aedes 'connackSent'): what waited goes out, in order. */
export function releaseAfterConnack(client: Client): void {
  const state = held.get(client);
  if (!state || state.released) return;
  state.released = true;
  for (const item of state.queue.splice(0)) item.deliver(item.packet, item.done);
}
