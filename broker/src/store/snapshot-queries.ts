/**
 * Rebuilds each node's latest snapshot from the database at start, so a restarted hub shows
 * the last known state before any new message arrives. One indexed lookup per node and kind,
 * through SqlStore (SQLite or PostgreSQL).
 */
import type { NodeSnapshot } from '@mieruka/protocol';
import { MACHINE_STATES, type MachineState } from '@mieruka/protocol';
import type { SqlQueries } from './sql/sql-store.js';

type NodeRow = { site: string; node: string; online: number | null; agent: string | null; version: string | null; last_seen: number | null; backlog: string | null };

function parseIrms(text: string): number[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
  } catch {
    return [];
  }
}

/** The stored backlog (JSON written by ingest); anything unreadable is "not said". */
function parseBacklog(text: string | null): NodeSnapshot['backlog'] {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const int = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
    if (!int(v.queued) || !int(v.dropped) || !int(v.at) || !(v.oldestTs === null || int(v.oldestTs))) return null;
    return { queued: v.queued as number, oldestTs: v.oldestTs as number | null, dropped: v.dropped as number, at: v.at as number };
  } catch {
    return null;
  }
}

type ReadingRow = { ts: number; seq: number; irms: string };
type StateRow = { ts: number; state: string; since: number };
type ClutterRow = { ts: number; score: number; coveredRatio: number; slot: string; imageId: string | null };
type MotionRow = { ts: number; active: number };

const NODES = 'SELECT site, node, online, agent, version, last_seen, backlog FROM nodes ORDER BY site, node';
const LATEST = {
  reading: 'SELECT ts, seq, irms FROM readings WHERE site = ? AND node = ? ORDER BY ts DESC, seq DESC LIMIT 1',
  state: 'SELECT ts, state, since FROM states WHERE site = ? AND node = ? ORDER BY ts DESC LIMIT 1',
  clutter: 'SELECT ts, score, covered_ratio AS "coveredRatio", slot, image_id AS "imageId" FROM clutter WHERE site = ? AND node = ? ORDER BY ts DESC, seq DESC LIMIT 1',
  motion: 'SELECT ts, active FROM motion WHERE site = ? AND node = ? ORDER BY ts DESC, id DESC LIMIT 1',
} as const;

function snapshotOf(n: NodeRow, r: ReadingRow | undefined, s: StateRow | undefined, c: ClutterRow | undefined, m: MotionRow | undefined): NodeSnapshot {
  return {
    site: n.site,
    node: n.node,
    online: n.online === null ? null : n.online === 1,
    agent: n.agent,
    version: n.version,
    lastSeen: n.last_seen,
    state: s && (MACHINE_STATES as readonly string[]).includes(s.state) ? { state: s.state as MachineState, since: s.since, ts: s.ts } : null,
    current: r ? { irms: parseIrms(r.irms), ts: r.ts, seq: r.seq } : null,
    clutter: c ? { score: c.score, coveredRatio: c.coveredRatio, slot: c.slot, ts: c.ts, imageId: c.imageId } : null,
    motion: m ? { active: m.active === 1, ts: m.ts } : null,
    backlog: parseBacklog(n.backlog),
  };
}

/** Every node's latest snapshot, from whichever database holds the store. */
export async function loadNodeSnapshots(sql: SqlQueries): Promise<NodeSnapshot[]> {
  const nodes = await sql.all<NodeRow>(NODES);
  const out: NodeSnapshot[] = [];
  for (const n of nodes) {
    const key = [n.site, n.node];
    out.push(
      snapshotOf(n, await sql.get<ReadingRow>(LATEST.reading, key), await sql.get<StateRow>(LATEST.state, key), await sql.get<ClutterRow>(LATEST.clutter, key), await sql.get<MotionRow>(LATEST.motion, key)),
    );
  }
  return out;
}
