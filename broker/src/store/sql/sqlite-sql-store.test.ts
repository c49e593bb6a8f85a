/** SqlStore's contract on SQLite: a fresh hub database (the real schema) per test. */
import { join } from 'node:path';
import { makeTempDir } from '../../../../test/helpers/temp-dir.js';
import { openDatabase } from '../database.js';
import { describeSqlStore } from './sql-store.suite.js';
import { SqliteSqlStore } from './sqlite-sql-store.js';

describeSqlStore('SQLite', async () => {
  const dir = await makeTempDir();
  const db = openDatabase(join(dir.path, 'mieruka.db'));
  const store = new SqliteSqlStore(db);
  return {
    store,
    async cleanup() {
      await store.close();
      db.close();
      await dir.remove();
    },
  };
});
