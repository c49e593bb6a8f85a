/**
 * aedes routes every PUBLISH through mqemitter, which holds the messages waiting for a delivery
 * slot (aedes `concurrency`, 100) in two plain arrays and takes each one out with
 * `Array.prototype.shift()`. When publishers outrun a subscriber (QoS 0 floods) that queue
 * grows to tens of thousands, and V8's shift() of such an array moves every element: profiled
 * at 37 % of the hub's CPU in `mqemitter released` (scripts/bench/ingest.bench.mjs). Here the
 * two arrays are swapped for a FIFO whose shift() is O(1); mqemitter only calls push(),
 * shift() and reads length on them.
 *
 * The bound itself: aedes gives the emitter it makes `concurrency: 100`, but an emitter made
 * outside it (mqemitter-redis in fleet mode) keeps MQEmitter's own default, 0, no bound at all.
 * Every message from Redis then started its delivery at once, and a subscriber slower than the
 * stream had the whole backlog serialized into its socket's buffer (the two-hub ingest bench:
 * 7.4 MB and 97,000 deliveries waiting for 'drain' on one subscriber) instead of each message
 * waiting once in the FIFO, as on a single hub. `boundDeliveries` gives it the same bound.
 */
import { Fifo } from '../fifo.js';

type EmitterQueues = { _messageQueue?: unknown; _messageCallbacks?: unknown };

/**
 * Replaces an mqemitter's waiting-message arrays by FIFOs (while they are empty, i.e. right
 * after the broker is created). Returns false, changing nothing, for an emitter that does not
 * look like the mqemitter this was written for.
 */
export function useFifoQueues(mq: unknown): boolean {
  const e = mq as EmitterQueues | null;
  if (!e || !Array.isArray(e._messageQueue) || !Array.isArray(e._messageCallbacks)) return false;
  if (e._messageQueue.length > 0 || e._messageCallbacks.length > 0) return false;
  e._messageQueue = new Fifo();
  e._messageCallbacks = new Fifo();
  return true;
}

/** Deliveries under way at once, as aedes sets for the emitter it makes itself (its default). */
export const DELIVERY_CONCURRENCY = 100;

/**
 * Bounds an emitter's deliveries under way (MQEmitter's `concurrency`; 0 means none). Returns
 * false, changing nothing, for an emitter without that field.
 */
export function boundDeliveries(mq: unknown, concurrency = DELIVERY_CONCURRENCY): boolean {
  const e = mq as { concurrency?: unknown } | null;
  if (!e || typeof e.concurrency !== 'number') return false;
  if (e.concurrency === 0 || e.concurrency > concurrency) e.concurrency = concurrency;
  return true;
}
