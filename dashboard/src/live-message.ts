/**
 * What the server sends on the live feed, one JSON text frame each. Type-only and free of
 * Node imports so the browser app (web/) can import it too.
 */
import type { LiveUpdate, NodeSnapshot } from './data-source.js';

export type LiveMessage =
  | { type: 'snapshot'; nodes: NodeSnapshot[] }
  | LiveUpdate
  /** Sent every heartbeat so browsers (which cannot see ws pings) can tell a quiet feed from a dead one. */
  | { type: 'heartbeat'; ts: number }
  /**
   * Updates that arrived within one turn of the hub's event loop, in order, as one frame: a
   * group commit of many readings costs each browser one frame, not one per reading.
   */
  | { type: 'batch'; messages: LiveUpdate[] };

export const LIVE_PATH = '/api/live';

/** A frame as the messages it carries: a batch's updates in order, any other frame as itself. */
export function liveMessagesOf(frame: LiveMessage): LiveMessage[] {
  return frame.type === 'batch' ? frame.messages : [frame];
}
/** Close code when the session behind a connection ended (logout or expiry): log in again. */
export const CLOSE_SESSION_ENDED = 4401;
