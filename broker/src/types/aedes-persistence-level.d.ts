/** aedes-persistence-level ships no types; only what the hub uses is declared. */
declare module 'aedes-persistence-level' {
  /** The aedes 1.x persistence (async API; `destroy()` closes the level database). */
  export type AedesLevelPersistence = {
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  };
  const aedesPersistenceLevel: (db: unknown) => AedesLevelPersistence;
  export default aedesPersistenceLevel;
}
