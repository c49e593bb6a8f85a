/**
 * GET /api/system for the System page: re-read every few seconds and after an admin's action,
 * keeping the last answer on screen while it loads (counters change all the time).
 */
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { apiGet, ApiError } from '../../api.js';
import type { SystemAnswer } from '../../types.js';

export const SYSTEM_REFRESH_MS = 5000;

export type SystemState = { data: SystemAnswer | null; error: string | null };

export function useSystemInfo(): { state: SystemState; reload: () => void } {
  const state = useSignal<SystemState>({ data: null, error: null });
  const reloads = useSignal(0);
  useEffect(() => {
    const controller = new AbortController();
    const load = () =>
      apiGet<SystemAnswer>('/api/system', controller.signal).then(
        (data) => {
          if (!controller.signal.aborted) state.value = { data, error: null };
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          // A failed refresh keeps the last answer and says so.
          state.value = { data: state.value.data, error: err instanceof ApiError || err instanceof Error ? err.message : String(err) };
        },
      );
    void load();
    const timer = setInterval(() => void load(), SYSTEM_REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [reloads.value]);
  return { state: state.value, reload: () => (reloads.value += 1) };
}
