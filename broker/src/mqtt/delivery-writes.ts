/**
 * aedes writes each message it delivers to a subscriber from its own setImmediate, and
 * mqtt-packet uncorks the socket on the next tick, which Node runs after every immediate: one
 * writev system call per delivered message. With one QoS 1 subscriber on `mieruka/v1/#` that
 * was 10–18 % of the hub's CPU (scripts/bench/ingest.bench.mjs). Here a client's socket stays
 * corked from its first delivery until the event loop has run the immediates queued meanwhile
 * (two turns of setImmediate), so the deliveries of one loop iteration leave in one write.
 * A full socket buffer still reports back-pressure to aedes as before (write() returns false
 * past the high-water mark, and aedes waits for 'drain').
 */
import type { Client } from 'aedes';

type Deliver = (packet: unknown, done: () => void) => void;
type Deliveries = { deliver0: Deliver; deliverQoS: Deliver; conn: { cork(): void; uncork(): void; destroyed?: boolean; writableCorked?: number } };

/** Call from preConnect, before any subscription captures the delivery functions. */
export function coalesceDeliveryWrites(client: Client): void {
  const c = client as unknown as Deliveries;
  const conn = c.conn;
  if (typeof conn?.cork !== 'function' || typeof conn.uncork !== 'function') return;
  let held = false;
  const release = (): void => {
    held = false;
    if (!conn.destroyed) conn.uncork();
  };
  const hold = (): void => {
    if (held || conn.destroyed) return;
    held = true;
    conn.cork();
    // aedes queued its write in an immediate; later deliveries of this turn queue theirs after
    // ours, so uncork one immediate later, once all of them have run.
    setImmediate(() => setImmediate(release));
  };
  const deliver0 = c.deliver0;
  const deliverQoS = c.deliverQoS;
  c.deliver0 = (packet, done) => {
    hold();
    deliver0(packet, done);
  };
  c.deliverQoS = (packet, done) => {
    hold();
    deliverQoS(packet, done);
  };
}
