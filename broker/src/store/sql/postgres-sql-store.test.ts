/** SqlStore's contract on a real PostgreSQL 15 (Debian's server in a temp dir): a fresh database with the hub's schema per test. */
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type RunningPostgres } from '../../../../test/helpers/postgres-server.js';
import { migratePostgres, openPostgres } from '../postgres/pg-database.js';
import { PostgresSqlStore } from './postgres-sql-store.js';
import { describeSqlStore } from './sql-store.suite.js';

let server: RunningPostgres;
let databases = 0;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describeSqlStore('PostgreSQL', async () => {
  const name = `contract_${++databases}`;
  await server.createDatabase(name);
  const pool = await openPostgres(server.url(name));
  await migratePostgres(pool, () => Date.now());
  const store = new PostgresSqlStore(pool);
  return { store, cleanup: () => store.close() };
});
