/**
 * aedes asks the persistence to forget every outgoing QoS 1 message when its PUBACK arrives
 * (`outgoingClearMessageId`), also for clean-session subscribers, whose messages it never
 * stores: aedes-persistence-level then does a LevelDB get that finds nothing, once per message
 * per subscriber — profiled at 22 % of the hub's CPU with one QoS 1 subscriber on
 * `mieruka/v1/#` (scripts/bench/ingest.bench.mjs). Here the persistence learns which client
 * ids can have outgoing messages stored — those in the store at start, and every id it is
 * asked to store one for since — and answers a clear for any other id at once, as the lookup
 * would have: nothing to clear (undefined).
 */

type ClientLike = { id: string };
type Outgoing = {
  outgoingEnqueue(sub: { clientId: string }, packet: unknown): Promise<unknown>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }> | null | undefined, packet: unknown): Promise<unknown>;
  outgoingUpdate(client: ClientLike, packet: unknown): Promise<unknown>;
  outgoingClearMessageId(client: ClientLike, packet: unknown): Promise<unknown>;
};

/** The key prefixes of aedes-persistence-level's outgoing queue: `<prefix><encodeURIComponent(clientId)>:…`. */
export const OUTGOING_KEY_PREFIXES = ['outgoing:', 'outgoing-id:'] as const;

/** The client id of an outgoing-queue key, or null for any other key. */
export function clientIdOfOutgoingKey(key: string): string | null {
  for (const prefix of OUTGOING_KEY_PREFIXES) {
    if (!key.startsWith(prefix)) continue;
    const end = key.indexOf(':', prefix.length);
    if (end < 0) return null;
    try {
      return decodeURIComponent(key.slice(prefix.length, end));
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Wraps the outgoing-queue methods of `persistence` in place. `stored` are the client ids
 * with outgoing entries already in the store (read once at start).
 */
export function skipNeedlessClears<P extends object>(persistence: P, stored: Iterable<string>): P {
  const target = persistence as unknown as Outgoing;
  const mayHave = new Set(stored);
  const enqueue = target.outgoingEnqueue.bind(persistence);
  const enqueueCombi = target.outgoingEnqueueCombi.bind(persistence);
  const update = target.outgoingUpdate.bind(persistence);
  const clear = target.outgoingClearMessageId.bind(persistence);
  target.outgoingEnqueue = (sub, packet) => {
    mayHave.add(sub.clientId);
    return enqueue(sub, packet);
  };
  target.outgoingEnqueueCombi = (subs, packet) => {
    for (const sub of subs ?? []) mayHave.add(sub.clientId);
    return enqueueCombi(subs, packet);
  };
  target.outgoingUpdate = (client, packet) => {
    mayHave.add(client.id);
    return update(client, packet);
  };
  target.outgoingClearMessageId = (client, packet) => (mayHave.has(client.id) ? clear(client, packet) : Promise.resolve(undefined));
  return persistence;
}
