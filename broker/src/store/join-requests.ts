/**
 * Nodes asking to join: refused new nodes, minus any that have joined since (caps raised) and
 * any an admin admitted. Admitting is kept here too, so it survives a restart even when the
 * node has not reported since.
 */
import type { Database } from 'better-sqlite3';
import type { JoinRequest } from '@mieruka/protocol';

const PENDING = `FROM join_requests j WHERE j.admitted_at IS NULL AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.site = j.site AND n.node = j.node)`;

export function listJoinRequests(db: Database): JoinRequest[] {
  return db
    .prepare(`SELECT j.site, j.node, j.first_at AS firstAt, j.last_at AS lastAt, j.count ${PENDING} ORDER BY j.last_at DESC, j.site, j.node`)
    .all() as JoinRequest[];
}

export function countJoinRequests(db: Database): number {
  return (db.prepare(`SELECT count(*) AS n ${PENDING}`).get() as { n: number }).n;
}

/** A row of `join_requests` (unaliased, for UPDATE and DELETE) that is still pending. */
const IS_PENDING = `admitted_at IS NULL AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.site = join_requests.site AND n.node = join_requests.node)`;

/** Marks a pending request admitted; false when the node is not asking to join. */
export function admitJoinRequest(db: Database, site: string, node: string, by: string, at: number): boolean {
  return db.prepare(`UPDATE join_requests SET admitted_at = ?, admitted_by = ? WHERE site = ? AND node = ? AND ${IS_PENDING}`).run(at, by, site, node).changes > 0;
}

/** Forgets a pending request (the node may ask again); false when the node is not asking to join. */
export function dismissJoinRequest(db: Database, site: string, node: string): boolean {
  return db.prepare(`DELETE FROM join_requests WHERE site = ? AND node = ? AND ${IS_PENDING}`).run(site, node).changes > 0;
}

/** Nodes an admin admitted that have not reported since (those that did are in `nodes`). */
export function listAdmitted(db: Database): Array<{ site: string; node: string }> {
  return db.prepare(`SELECT site, node FROM join_requests WHERE admitted_at IS NOT NULL`).all() as Array<{ site: string; node: string }>;
}
