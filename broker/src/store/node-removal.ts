/** An admin removes a node: its row in `nodes` goes (the start-up snapshot and the node list); its history stays. */
import type { SqlQueries } from './sql/sql-store.js';

/** False when the node has no row. */
export async function deleteNodeRow(sql: SqlQueries, site: string, node: string): Promise<boolean> {
  return (await sql.run('DELETE FROM nodes WHERE site = ? AND node = ?', [site, node])).changes > 0;
}
