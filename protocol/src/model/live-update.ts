/** One live change the hub fans out (dashboard ws feed, rules). */
import type { AlarmChangeKind, AlarmItem } from './alarm.js';
import type { NodeSnapshot } from './node-snapshot.js';

export type LiveUpdate =
  | { type: 'node'; node: NodeSnapshot }
  | { type: 'event'; site: string; node: string; event: { ts: number; seq: number; type: string; [k: string]: unknown } }
  /** An alarm was raised, re-occurred or changed, acknowledged or cleared. */
  | { type: 'alarm'; change: AlarmChangeKind; alarm: AlarmItem };
