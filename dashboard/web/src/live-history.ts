/**
 * The last few minutes of current readings per node, kept in memory for the overview's
 * sparklines (the overview is the first page load: no chart library, no extra request).
 * Filled by the live feed from node updates; bounded in time and in points per node.
 */
import { signal } from '@preact/signals';
import { nodeKey } from './store.js';
import type { NodeSnapshot } from './types.js';

export const HISTORY_WINDOW_MS = 10 * 60_000;
/** One reading a second for ten minutes, plus slack; older points fall off first. */
const MAX_POINTS = 660;

export type Reading = { ts: number; amps: number };

const series = new Map<string, Reading[]>();

/** Bumped on every change, so components reading it re-render (the arrays mutate in place). */
export const historyVersion = signal(0);

/** Adds the node's current reading (the largest channel: the machine's load) if it is new. */
export function recordReading(node: NodeSnapshot): void {
  const current = node.current;
  if (!current || current.irms.length === 0) return;
  const amps = Math.max(...current.irms);
  if (!Number.isFinite(amps)) return;
  const key = nodeKey(node.site, node.node);
  const list = series.get(key) ?? [];
  const last = list[list.length - 1];
  // Snapshots after a reconnect repeat the last reading; keep the series in time order.
  if (last && current.ts <= last.ts) return;
  list.push({ ts: current.ts, amps });
  const cutoff = current.ts - HISTORY_WINDOW_MS;
  let drop = 0;
  while (drop < list.length && list[drop]!.ts < cutoff) drop += 1;
  if (list.length - drop > MAX_POINTS) drop = list.length - MAX_POINTS;
  if (drop > 0) list.splice(0, drop);
  series.set(key, list);
  historyVersion.value += 1;
}

/** Readings of the last HISTORY_WINDOW_MS before `at`, oldest first. */
export function readingsOf(site: string, node: string, at: number): readonly Reading[] {
  // Read the version so a component calling this subscribes to changes.
  void historyVersion.value;
  const list = series.get(nodeKey(site, node));
  if (!list) return [];
  const cutoff = at - HISTORY_WINDOW_MS;
  const first = list.findIndex((r) => r.ts >= cutoff);
  if (first === -1) return [];
  return first === 0 ? list : list.slice(first);
}

/** Forgets everything (logout: the next user starts clean). */
export function clearHistory(): void {
  series.clear();
  historyVersion.value += 1;
}
