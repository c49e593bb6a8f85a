/**
 * The QoS of a delivered message is the minimum of its published QoS and the maximum QoS
 * granted to the client's matching subscriptions ([MQTT-3.3.5-1], [MQTT-3.8.4-6]). aedes
 * delivers a message that matches several of a client's filters once, through whichever
 * filter its matcher visits first (a QoS 0 `#` can win over a QoS 1 `a/+`), and caps the QoS
 * only by a subscription whose filter equals the topic (a QoS 2 message reaches a QoS 1
 * `a/+` subscriber at QoS 2). Here a client's two delivery functions are wrapped, before any
 * subscription captures them, so both choose the QoS from all of the client's subscriptions.
 */
import type { Client } from 'aedes';

type Deliver = (packet: { topic: string; qos: number }, done: () => void) => void;
type Deliveries = { deliver0: Deliver; deliverQoS: Deliver; subscriptions: Record<string, { qos: number } | undefined> };

/** True when `filter` matches `topic` (§4.7; `$` topics are not matched by a leading wildcard, [MQTT-4.7.2-1]). */
export function filterMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Highest QoS granted to any of the client's filters that match `topic` (-1: none). */
function grantedFor(subscriptions: Deliveries['subscriptions'], topic: string): number {
  let max = -1;
  for (const [filter, sub] of Object.entries(subscriptions)) {
    if (sub && sub.qos > max && filterMatches(filter, topic)) max = sub.qos;
  }
  return max;
}

/** Call from preConnect: later subscriptions capture the wrapped functions. */
export function deliverAtGrantedQos(client: Client): void {
  const c = client as unknown as Deliveries;
  const deliver0 = c.deliver0;
  const deliverQoS = c.deliverQoS;
  const deliver: Deliver = (packet, done) => {
    const granted = grantedFor(c.subscriptions, packet.topic);
    // No matching subscription (e.g. just removed): keep aedes' own choice.
    const qos = granted < 0 ? packet.qos : Math.min(packet.qos, granted);
    if (qos === 0) deliver0(packet, done);
    // A copy: the same packet object goes to every subscriber.
    else deliverQoS(qos === packet.qos ? packet : Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as object, packet, { qos }), done);
  };
  c.deliver0 = deliver;
  c.deliverQoS = deliver;
}
