/**
 * How one valid message changes a node's live snapshot — the one place for it, used by ingest
 * (this hub's clients) and, in fleet mode, by the peer mirror (other hubs' clients, live only).
 * Each returns the change LiveState.update applies; late messages never move a value back.
 */
import type { DecodedMessage, NodeSnapshot } from '@mieruka/protocol';

type Change = (s: NodeSnapshot) => NodeSnapshot;
type Payload<K extends DecodedMessage['kind']> = Extract<DecodedMessage, { kind: K }>['payload'];

/** The node was heard at `now` (the hub's clock). */
export const heard =
  (now: number): Change =>
  (s) => ({ ...s, lastSeen: Math.max(s.lastSeen ?? 0, now) });

/** The agent's queue as it last said, on the hub's clock (null: it does not say). */
export function backlogOf(p: Payload<'status'>, now: number): NodeSnapshot['backlog'] {
  return p.backlog ? { ...p.backlog, at: now } : null;
}

/** Arrival order wins: a will (online:false) carries its connect time, older than the last "online". */
export const statusChange =
  (p: Payload<'status'>, now: number, backlog = backlogOf(p, now)): Change =>
  (s) => ({ ...heard(now)(s), online: p.online, agent: p.agent, version: p.version, backlog });

/** The hottest path of all (a reading a second per machine): one snapshot copy, not two. */
export const currentChange =
  (p: Payload<'current'>, now: number): Change =>
  (s) =>
    s.current && (s.current.ts > p.ts || (s.current.ts === p.ts && s.current.seq > p.seq))
      ? heard(now)(s) // a late resend must not move the live value back
      : { ...s, lastSeen: Math.max(s.lastSeen ?? 0, now), current: { irms: p.irms, ts: p.ts, seq: p.seq } };

export const stateChange =
  (p: Payload<'state'>, now: number): Change =>
  (s) => (s.state && s.state.ts > p.ts ? heard(now)(s) : { ...heard(now)(s), state: { state: p.state, since: p.since, ts: p.ts } });

/** `imageId`: the image's id once it is on this hub's disk, else null (the dashboard never links a 404). */
export const clutterChange =
  (p: Payload<'clutter'>, now: number, imageId: string | null): Change =>
  (s) =>
    !s.clutter || s.clutter.ts <= p.ts
      ? { ...heard(now)(s), clutter: { score: p.score, coveredRatio: p.coveredRatio, slot: p.slot, ts: p.ts, imageId } }
      : heard(now)(s);

export const motionChange =
  (p: Payload<'motion'>, now: number): Change =>
  (s) => (s.motion && s.motion.ts > p.ts ? heard(now)(s) : { ...heard(now)(s), motion: { active: p.active, ts: p.ts } });
