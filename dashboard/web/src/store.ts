/** Application state as signals; components re-render when what they read changes. */
import { signal } from '@preact/signals';
import type { AuthenticatedUser, NodeSnapshot } from './types.js';

/** undefined while the first /api/me is in flight, null when logged out. */
export const user = signal<AuthenticatedUser | null | undefined>(undefined);

/** The site's IANA time zone (from the session): every time on every page is shown in it. */
export const siteTimeZone = signal<string | undefined>(undefined);

/** A read-only wall display session (no acknowledging, no settings, no logout button). */
export const kiosk = signal<boolean>(false);

export const nodes = signal<ReadonlyMap<string, NodeSnapshot>>(new Map());

export type FeedState = 'connecting' | 'open' | 'down';
export const feedState = signal<FeedState>('connecting');
/** Epoch ms (hub clock, like `now`) of the last frame from the live feed (any type, heartbeats included). */
export const lastFrameAt = signal<number>(0);

/**
 * The hub's clock minus this browser's (ms), taken from each session answer: "today", ages and
 * staleness follow the hub that stamped the data, not a tablet whose clock is off.
 */
let hubSkewMs = 0;

export function setHubClock(hubNow: number): void {
  if (Number.isFinite(hubNow)) hubSkewMs = hubNow - Date.now();
  now.value = hubClockNow();
}

/** Epoch ms on the hub's clock. */
export function hubClockNow(): number {
  return Date.now() + hubSkewMs;
}

/** The hub's clock, ticking every second so durations and staleness stay current without feed traffic. */
export const now = signal<number>(Date.now());

export function nodeKey(site: string, node: string): string {
  return `${site}/${node}`;
}

export function replaceNodes(list: NodeSnapshot[]): void {
  nodes.value = new Map(list.map((n) => [nodeKey(n.site, n.node), n]));
}

export function upsertNode(node: NodeSnapshot): void {
  const next = new Map(nodes.value);
  next.set(nodeKey(node.site, node.node), node);
  nodes.value = next;
}
