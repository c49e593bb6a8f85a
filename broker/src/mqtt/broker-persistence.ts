/**
 * Broker state on disk: aedes-persistence-level over classic-level (LevelDB) in
 * `<dataDir>/mqtt/`, so retained messages (each node's `status` and `state`), QoS 1 sessions
 * and wills survive a hub restart.
 */
import aedesPersistenceLevel from 'aedes-persistence-level';
import { ClassicLevel } from 'classic-level';
import type { Logger } from 'pino';
import { MierukaError } from '@mieruka/protocol';
import { clientIdOfOutgoingKey, OUTGOING_KEY_PREFIXES, skipNeedlessClears } from './outgoing-clears.js';
import { markRedeliveries } from './redelivery-dup.js';
import { guardRetainedStreams } from './retained-stream-guard.js';
import { makeDirs } from '@mieruka/protocol/node';

export type BrokerPersistenceOptions = { dir: string; logger: Logger };

/** The part of an aedes 1.x persistence the hub touches (declared here so no untyped module leaks into our types). */
export type AedesPersistence = { setup(broker: unknown): Promise<void>; destroy(): Promise<void> };

/**
 * Where the broker keeps its state: this LevelDB one (a single hub), or RedisBrokerState (fleet
 * mode), which also brings the emitter that routes messages between hubs.
 */
export interface BrokerState {
  /** What aedes takes as `persistence`. */
  readonly instance: AedesPersistence;
  /** What aedes takes as `mq`; undefined: aedes's own in-process emitter. */
  readonly emitter?: unknown;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Client ids with queued outgoing messages in the store (a key scan of the outgoing queue only). */
async function clientsWithOutgoing(db: ClassicLevel<string, Buffer>): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const prefix of OUTGOING_KEY_PREFIXES) {
    // ';' is the byte after ':', the separator every such key has after the prefix word.
    for await (const key of db.keys({ gte: prefix, lt: `${prefix.slice(0, -1)};` })) {
      const id = clientIdOfOutgoingKey(key);
      if (id !== null) ids.add(id);
    }
  }
  return ids;
}

export class BrokerPersistence implements BrokerState {
  private readonly options: BrokerPersistenceOptions;
  private readonly logger: Logger;
  private db: ClassicLevel<string, Buffer> | null = null;
  private persistence: AedesPersistence | null = null;

  constructor(options: BrokerPersistenceOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'broker-persistence' });
  }

  /** What aedes takes as `persistence`; aedes calls its async `setup()` itself. */
  get instance(): AedesPersistence {
    if (!this.persistence) throw new Error('BrokerPersistence is not started');
    return this.persistence;
  }

  async start(): Promise<void> {
    if (this.persistence) return;
    await makeDirs(this.options.dir);
    const db = new ClassicLevel<string, Buffer>(this.options.dir, { valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (err) {
      // LevelDB takes an exclusive LOCK: the usual cause is a second hub on the same data dir.
      throw new MierukaError('STORE_FAILED', `cannot open the MQTT persistence in ${this.options.dir} (is another hub using this data dir?)`, {
        cause: err,
      });
    }
    this.db = db;
    const withOutgoing = await clientsWithOutgoing(db);
    this.persistence = guardRetainedStreams(skipNeedlessClears(markRedeliveries(aedesPersistenceLevel(db)), withOutgoing), this.logger);
    this.logger.debug({ dir: this.options.dir }, 'MQTT persistence opened');
  }

  async stop(): Promise<void> {
    const db = this.db;
    this.db = null;
    this.persistence = null;
    if (!db) return;
    try {
      await db.close();
    } catch (err) {
      this.logger.warn({ err }, 'error while closing the MQTT persistence');
    }
  }
}
