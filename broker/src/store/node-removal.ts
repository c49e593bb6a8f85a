/** An admin removes a node: its row in `nodes` goes (the start-up snapshot and the node list); its history stays. */
import type { Database } from 'better-sqlite3';

/** False when the node has no row. */
export function deleteNodeRow(db: Database, site: string, node: string): boolean {
  return db.prepare('DELETE FROM nodes WHERE site = ? AND node = ?').run(site, node).changes > 0;
}
