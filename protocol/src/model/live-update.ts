/** Live changes the hub fans out: node and event updates from ingest, alarm updates from the alert engine. */
import type { AlarmChangeKind, AlarmItem } from './alarm.js';
import type { NodeSnapshot } from './node-snapshot.js';

/** A node's snapshot changed (ingest). */
export type NodeUpdate = { type: 'node'; node: NodeSnapshot };
/** A node reported an event (ingest; duplicates after store-and-forward left out). */
export type EventUpdate = { type: 'event'; site: string; node: string; event: { ts: number; seq: number; type: string; [k: string]: unknown } };
/** An alarm was raised, re-occurred or changed, acknowledged or cleared (the alert engine's own stream). */
export type AlarmUpdate = { type: 'alarm'; change: AlarmChangeKind; alarm: AlarmItem };

/** A machine's production figures changed: a stop began waiting for a reason, a reason or a quality entry was saved. */
export type ProductionUpdate = { type: 'production'; site: string; node: string; change: 'stop' | 'reason' | 'quality' };

/** What the dashboard's live feed carries: the readings stream and the alarm stream, merged. */
export type LiveUpdate = NodeUpdate | EventUpdate | AlarmUpdate | ProductionUpdate;
