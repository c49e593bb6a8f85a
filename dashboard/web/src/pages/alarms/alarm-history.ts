/** The alarm history of the alarms page: loaded from the API, kept current from live changes. */
import { useSignal, type Signal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { lastAlarmChange } from '../../alarms-store.js';
import { ApiError, apiGet } from '../../api.js';
import { search } from '../../router.js';
import type { AlarmItem } from '../../types.js';
import { matches, readFilters } from './alarm-filters.js';

export type History = { status: 'loading' } | { status: 'ok'; alarms: AlarmItem[] } | { status: 'error'; message: string };

export function errorText(err: unknown): string {
  return err instanceof ApiError || err instanceof Error ? err.message : String(err);
}

/** Loads `historyKey` (null: nothing to load) again whenever it or `reloads` changes. */
export function useAlarmHistory(historyKey: string | null): { history: Signal<History>; reloads: Signal<number> } {
  const history = useSignal<History>({ status: 'loading' });
  const reloads = useSignal(0);

  useEffect(() => {
    if (historyKey === null) return;
    const ctrl = new AbortController();
    history.value = { status: 'loading' };
    apiGet<{ alarms: AlarmItem[] }>(historyKey, ctrl.signal)
      .then((body) => {
        if (!ctrl.signal.aborted) history.value = { status: 'ok', alarms: body.alarms };
      })
      .catch((err: unknown) => {
        if (!ctrl.signal.aborted) history.value = { status: 'error', message: errorText(err) };
      });
    return () => ctrl.abort();
  }, [historyKey, reloads.value]);

  // Live changes: update rows already shown, add new alarms that match the filters.
  useEffect(() => {
    const change = lastAlarmChange.value;
    const h = history.peek();
    if (!change || h.status !== 'ok') return;
    const f = readFilters(search.peek());
    const i = h.alarms.findIndex((a) => a.id === change.alarm.id);
    if (i >= 0) {
      const next = [...h.alarms];
      next[i] = change.alarm;
      history.value = { status: 'ok', alarms: next };
    } else if (f.tab === 'history' && matches(change.alarm, f)) {
      history.value = { status: 'ok', alarms: [change.alarm, ...h.alarms] };
    }
  }, [lastAlarmChange.value]);

  return { history, reloads };
}
