/**
 * Nodes asking to join: refused new nodes, minus any that have joined since (caps raised) and
 * any an admin admitted. Admitting is kept here too, so it survives a restart even when the
 * node has not reported since. Through SqlStore: the same SQL on SQLite and PostgreSQL.
 */
import type { JoinRequest } from '@mieruka/protocol';
import type { SqlQueries } from './sql/sql-store.js';

const PENDING = `FROM join_requests j WHERE j.admitted_at IS NULL AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.site = j.site AND n.node = j.node)`;

export function listJoinRequests(sql: SqlQueries): Promise<JoinRequest[]> {
  return sql.all<JoinRequest>(`SELECT j.site, j.node, j.first_at AS "firstAt", j.last_at AS "lastAt", j.count ${PENDING} ORDER BY j.last_at DESC, j.site, j.node`);
}

export async function countJoinRequests(sql: SqlQueries): Promise<number> {
  return (await sql.get<{ n: number }>(`SELECT count(*) AS n ${PENDING}`))?.n ?? 0;
}

/** A row of `join_requests` (unaliased, for UPDATE and DELETE) that is still pending. */
const IS_PENDING = `admitted_at IS NULL AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.site = join_requests.site AND n.node = join_requests.node)`;

/** Marks a pending request admitted; false when the node is not asking to join. */
export async function admitJoinRequest(sql: SqlQueries, site: string, node: string, by: string, at: number): Promise<boolean> {
  return (await sql.run(`UPDATE join_requests SET admitted_at = ?, admitted_by = ? WHERE site = ? AND node = ? AND ${IS_PENDING}`, [at, by, site, node])).changes > 0;
}

/** Forgets a pending request (the node may ask again); false when the node is not asking to join. */
export async function dismissJoinRequest(sql: SqlQueries, site: string, node: string): Promise<boolean> {
  return (await sql.run(`DELETE FROM join_requests WHERE site = ? AND node = ? AND ${IS_PENDING}`, [site, node])).changes > 0;
}

/** Nodes an admin admitted that have not reported since (those that did are in `nodes`). */
export function listAdmitted(sql: SqlQueries): Promise<Array<{ site: string; node: string }>> {
  return sql.all<{ site: string; node: string }>(`SELECT site, node FROM join_requests WHERE admitted_at IS NOT NULL`);
}
