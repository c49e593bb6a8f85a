/**
 * Production state shared by the pages: the stops waiting for a reason (the prompt reads them),
 * a counter that moves on every `production` live update (sections re-read when it moves),
 * and the reasons offered per machine.
 */
import { signal } from '@preact/signals';
import type { DowntimeReason, ReasonsAnswer, StopsNeedingReasonAnswer, DowntimeStop } from '@mieruka/protocol';
import { apiGet } from './api.js';

/** Moves on every production change the hub reports (a stop waiting, a reason or counts saved). */
export const productionVersion = signal(0);
/** Stops of every machine that wait for a reason, newest first. */
export const waitingStops = signal<readonly DowntimeStop[]>([]);

let loading: Promise<void> | null = null;
let again = false;

/** Re-reads the waiting stops; calls during a read are folded into one more read after it. */
export function loadWaitingStops(): Promise<void> {
  if (loading) {
    again = true;
    return loading;
  }
  loading = apiGet<StopsNeedingReasonAnswer>('/api/production/stops-needing-reason')
    .then(
      (answer) => {
        waitingStops.value = answer.stops;
      },
      () => undefined, // The prompt waits for the next change; the pages show their own errors.
    )
    .finally(() => {
      loading = null;
      if (again) {
        again = false;
        void loadWaitingStops();
      }
    });
  return loading;
}

/** A live `production` update: everything that shows production figures re-reads. */
export function productionChanged(): void {
  productionVersion.value += 1;
  void loadWaitingStops();
}

const reasonCache = new Map<string, { at: number; reasons: Promise<DowntimeReason[]> }>();
const REASONS_TTL_MS = 5 * 60_000;

/** The reasons offered for a machine (admins may change the list: kept five minutes). */
export function reasonsFor(site: string, node: string): Promise<DowntimeReason[]> {
  const key = `${site}/${node}`;
  const hit = reasonCache.get(key);
  if (hit && Date.now() - hit.at < REASONS_TTL_MS) return hit.reasons;
  const reasons = apiGet<ReasonsAnswer>(`/api/machines/${encodeURIComponent(site)}/${encodeURIComponent(node)}/reasons`).then((a) => a.reasons);
  reasonCache.set(key, { at: Date.now(), reasons });
  reasons.catch(() => reasonCache.delete(key));
  return reasons;
}

export function clearProduction(): void {
  waitingStops.value = [];
  reasonCache.clear();
}
