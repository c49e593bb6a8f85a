/**
 * Late data and catching up (docs/store-and-forward.md, "At the hub"): an agent's
 * store-and-forward replay brings hours or days of old messages. They fill in the charts and
 * reports, but an alarm is about the present: nothing is raised from a change that arrived
 * long after it happened, nor from a node's snapshot while that node says it is still
 * catching up (its snapshot is history, moving forward message by message). Resolving is
 * always allowed — an old alarm must not outlive a condition the replay shows has ended.
 */
import type { NodeSnapshot } from '@mieruka/protocol';
import { newState } from './rule.js';

/** A change, event or score that reaches the hub more than this after it happened is history, not news. */
export const LATE_MS = 30 * 60_000;

/** The node's agent says messages still wait in its queue (and it is not offline). */
export function isCatchingUp(node: NodeSnapshot | undefined): boolean {
  return node !== undefined && node.online !== false && (node.backlog?.queued ?? 0) > 0;
}

/** The snapshot changed (state or clutter score) by a message that is older than LATE_MS. */
export function isLateChange(previous: NodeSnapshot | undefined, node: NodeSnapshot, now: number): boolean {
  const state = newState(previous, node);
  if (state && now - state.ts > LATE_MS) return true;
  const clutter = node.clutter;
  return clutter !== null && previous?.clutter?.ts !== clutter.ts && now - clutter.ts > LATE_MS;
}
