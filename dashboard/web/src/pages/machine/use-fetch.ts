/**
 * GET a JSON API for a component: loading, data, error (ApiError carries the server's
 * message). A new path aborts the old request; `refreshMs` re-reads in the background and
 * keeps showing the last answer meanwhile (today's timeline grows while a supervisor watches).
 */
import { useEffect, useState } from 'preact/hooks';
import { apiGet, ApiError } from '../../api.js';

export type Fetched<T> = { data: T | null; error: ApiError | null; loading: boolean };

/** `reloadKey`: a new value re-reads in the background (a live update said the data changed). */
export function useFetch<T>(path: string | null, refreshMs = 0, reloadKey: unknown = 0): Fetched<T> {
  const [state, setState] = useState<Fetched<T> & { path: string | null }>({ data: null, error: null, loading: path !== null, path });
  useEffect(() => {
    if (path === null) return;
    let controller = new AbortController();
    const load = (background: boolean) => {
      controller = new AbortController();
      const { signal } = controller;
      if (!background) setState({ data: null, error: null, loading: true, path });
      apiGet<T>(path, signal).then(
        (data) => !signal.aborted && setState({ data, error: null, loading: false, path }),
        (err: unknown) => {
          if (signal.aborted) return;
          const error = err instanceof ApiError ? err : new ApiError(0, 'NETWORK', err instanceof Error ? err.message : String(err));
          // A failed background refresh keeps the data on screen and says so.
          setState((s) => ({ data: background ? s.data : null, error, loading: false, path }));
        },
      );
    };
    // Same path, new reloadKey: keep the answer on screen while the new one comes.
    load(state.path === path && state.data !== null);
    const timer = refreshMs > 0 ? setInterval(() => load(true), refreshMs) : null;
    return () => {
      controller.abort();
      if (timer) clearInterval(timer);
    };
  }, [path, refreshMs, reloadKey]);
  // Until the effect has run for a new path, the old answer must not show as the new one.
  return state.path === path ? state : { data: null, error: null, loading: path !== null };
}
