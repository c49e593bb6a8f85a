/** Nodes asking to join: refused new nodes, minus any that have joined since (caps raised). */
import type { Database } from 'better-sqlite3';
import type { JoinRequest } from '@mieruka/protocol';

const PENDING = `FROM join_requests j WHERE NOT EXISTS (SELECT 1 FROM nodes n WHERE n.site = j.site AND n.node = j.node)`;

export function listJoinRequests(db: Database): JoinRequest[] {
  return db
    .prepare(`SELECT j.site, j.node, j.first_at AS firstAt, j.last_at AS lastAt, j.count ${PENDING} ORDER BY j.last_at DESC, j.site, j.node`)
    .all() as JoinRequest[];
}

export function countJoinRequests(db: Database): number {
  return (db.prepare(`SELECT count(*) AS n ${PENDING}`).get() as { n: number }).n;
}
