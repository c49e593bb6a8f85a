/**
 * Today's utilization of one machine (running share of the time the hub knew its state),
 * from GET …/utilization?by=day with the server's default range (today, local). Fetched on
 * mount, every minute, and whenever the machine's state changes.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, apiGet } from '../../api.js';
import type { UsageReport } from '../../types.js';

const REFRESH_MS = 60_000;

export type Utilization = { status: 'loading' } | { status: 'ok'; ratio: number | null } | { status: 'none' } | { status: 'error'; message: string };

/** `known` false: the node never reported a state, so the reports have nothing on it (no request). */
export function useUtilization(site: string, node: string, stateKey: string, known: boolean): Utilization {
  const [value, setValue] = useState<Utilization>(known ? { status: 'loading' } : { status: 'none' });
  useEffect(() => {
    if (!known) {
      setValue({ status: 'none' });
      return;
    }
    let ctrl: AbortController | null = null;
    const load = () => {
      ctrl?.abort();
      const mine = new AbortController();
      ctrl = mine;
      apiGet<UsageReport>(`/api/machines/${encodeURIComponent(site)}/${encodeURIComponent(node)}/utilization?by=day`, mine.signal)
        .then((report) => {
          if (!mine.signal.aborted) setValue({ status: 'ok', ratio: report.total.utilization });
        })
        .catch((err: unknown) => {
          if (mine.signal.aborted) return;
          // Not a machine the reports know (yet): nothing to show, not an error.
          if (err instanceof ApiError && err.status === 404) setValue({ status: 'none' });
          else setValue({ status: 'error', message: err instanceof Error ? err.message : String(err) });
        });
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      clearInterval(timer);
      ctrl?.abort();
    };
  }, [site, node, stateKey, known]);
  return value;
}
