/** aedes-persistence-redis ships no types; only what the hub uses is declared. */
declare module 'aedes-persistence-redis' {
  /** The aedes 1.x persistence (async API) over Redis. */
  export type AedesRedisPersistence = {
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  };
  /** `conn`: an ioredis connection the caller owns (and closes); the rest as in the module's README. */
  const aedesPersistenceRedis: (options: { conn: unknown; maxSessionDelivery?: number }) => AedesRedisPersistence;
  export default aedesPersistenceRedis;
}
