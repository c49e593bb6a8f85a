/**
 * The active alarms, for the nav badge, the overview tiles and the alarms page: loaded from
 * GET /api/alarms?state=active whenever the live feed (re)connects, then kept current from
 * the feed's `alarm` messages. Anything missed while disconnected is healed by the reload.
 */
import { computed, signal } from '@preact/signals';
import { ALARM_SEVERITIES } from '@mieruka/protocol/model';
import { apiGet } from './api.js';
import { nodeKey } from './store.js';
import type { AlarmChangeKind, AlarmItem, AlarmSeverity } from './types.js';

/** Most severe first; the index is the rank. */
export const SEVERITIES: readonly AlarmSeverity[] = ALARM_SEVERITIES;

export const activeAlarms = signal<ReadonlyMap<string, AlarmItem>>(new Map());
export const alarmsLoadError = signal<string | null>(null);
/** The latest change from the feed, so pages showing history can merge it in. */
export const lastAlarmChange = signal<{ change: AlarmChangeKind; alarm: AlarmItem } | null>(null);

/** Active alarms nobody has acknowledged yet (the nav badge). */
export const unacknowledgedCount = computed(() => {
  let n = 0;
  for (const a of activeAlarms.value.values()) if (!a.acknowledged) n += 1;
  return n;
});

export type NodeAlarmSummary = { count: number; unacknowledged: number; worst: AlarmSeverity };

/** Per `site/node`: how many active alarms and the most severe of them. */
export const alarmsByNode = computed(() => {
  const out = new Map<string, NodeAlarmSummary>();
  for (const a of activeAlarms.value.values()) {
    const key = nodeKey(a.site, a.node);
    const prev = out.get(key);
    const worst = prev && severityRank(prev.worst) <= severityRank(a.severity) ? prev.worst : a.severity;
    out.set(key, { count: (prev?.count ?? 0) + 1, unacknowledged: (prev?.unacknowledged ?? 0) + (a.acknowledged ? 0 : 1), worst });
  }
  return out;
});

export function severityRank(s: AlarmSeverity): number {
  const i = SEVERITIES.indexOf(s);
  return i === -1 ? SEVERITIES.length : i;
}

let loading: AbortController | null = null;
/** Feed changes that arrive while a load is in flight: newer than that answer may be. */
let duringLoad: AlarmItem[] = [];

/** (Re)loads the active list; a newer call supersedes one still in flight. */
export async function loadActiveAlarms(): Promise<void> {
  loading?.abort();
  const ctrl = new AbortController();
  loading = ctrl;
  duringLoad = [];
  try {
    const body = await apiGet<{ alarms: AlarmItem[] }>('/api/alarms?state=active&limit=1000', ctrl.signal);
    if (ctrl.signal.aborted) return;
    const next = new Map(body.alarms.map((a) => [a.id, a]));
    for (const a of duringLoad) {
      if (a.active) next.set(a.id, a);
      else next.delete(a.id);
    }
    activeAlarms.value = next;
    alarmsLoadError.value = null;
  } catch (err) {
    if (ctrl.signal.aborted) return;
    alarmsLoadError.value = err instanceof Error ? err.message : String(err);
  } finally {
    if (loading === ctrl) {
      loading = null;
      duringLoad = [];
    }
  }
}

/** Applies one alarm as the server now sees it (from the feed or an acknowledge answer). */
export function applyAlarm(alarm: AlarmItem, change: AlarmChangeKind = 'updated'): void {
  if (loading) duringLoad.push(alarm);
  const next = new Map(activeAlarms.value);
  if (alarm.active) next.set(alarm.id, alarm);
  else next.delete(alarm.id);
  activeAlarms.value = next;
  lastAlarmChange.value = { change, alarm };
}

export function clearAlarms(): void {
  loading?.abort();
  loading = null;
  activeAlarms.value = new Map();
  lastAlarmChange.value = null;
}
