/**
 * The settings page's state: the version loaded, the draft being edited, saving it with the
 * version it started from, and what the server said about it.
 */
import { useComputed, useSignal, type ReadonlySignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { ApiError, apiGet, apiSend } from '../../api.js';
import { t } from '../../i18n/index.js';
import type { RuntimeSettings, SettingsView } from '../../types.js';
import { clientChecks, indexIssues, pathKey, setIn, type Issue, type Path } from './settings-form.js';

export type Load = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready' };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Leaving the page (reload, closing the tab) with unsaved edits asks first. */
function useLeaveGuard(dirty: ReadonlySignal<boolean>): void {
  useEffect(() => {
    const onLeave = (ev: BeforeUnloadEvent) => {
      if (dirty.value) ev.preventDefault();
    };
    addEventListener('beforeunload', onLeave);
    return () => removeEventListener('beforeunload', onLeave);
  }, []);
}

export function useSettingsEditor() {
  const load = useSignal<Load>({ status: 'loading' });
  const reloads = useSignal(0);
  const view = useSignal<SettingsView | null>(null);
  const draft = useSignal<RuntimeSettings | null>(null);
  const saving = useSignal(false);
  const savedAt = useSignal<number | null>(null);
  const serverIssues = useSignal<Issue[]>([]);
  const saveError = useSignal<string | null>(null);
  const conflict = useSignal<SettingsView | null>(null);

  const dirty = useComputed(() => view.value !== null && draft.value !== null && !same(view.value.settings, draft.value));
  const hints = useComputed(() => indexIssues(draft.value ? clientChecks(draft.value) : []));
  const server = useComputed(() => indexIssues(serverIssues.value));

  useEffect(() => {
    const ctrl = new AbortController();
    load.value = { status: 'loading' };
    apiGet<SettingsView>('/api/settings', ctrl.signal)
      .then((v) => {
        if (ctrl.signal.aborted) return;
        view.value = v;
        draft.value = structuredClone(v.settings);
        load.value = { status: 'ready' };
      })
      .catch((err: unknown) => {
        if (!ctrl.signal.aborted) load.value = { status: 'error', message: err instanceof Error ? err.message : String(err) };
      });
    return () => ctrl.abort();
  }, [reloads.value]);

  useLeaveGuard(dirty);

  const set = (path: Path, value: unknown) => {
    if (!draft.value) return;
    draft.value = setIn(draft.value, path, value);
    savedAt.value = null;
    // The server's word on a field no longer holds once the user changed it.
    const under = (i: Issue) => pathKey(i.path) === pathKey(path) || pathKey(i.path).startsWith(`${pathKey(path)}.`);
    if (serverIssues.value.some(under)) serverIssues.value = serverIssues.value.filter((i) => !under(i));
  };

  const adopt = (v: SettingsView) => {
    view.value = v;
    draft.value = structuredClone(v.settings);
    serverIssues.value = [];
    saveError.value = null;
    conflict.value = null;
  };

  const save = async () => {
    const base = view.value;
    const edited = draft.value;
    if (!base || !edited || saving.value) return;
    saving.value = true;
    saveError.value = null;
    savedAt.value = null;
    try {
      const next = await apiSend<SettingsView>('PUT', '/api/settings', { version: base.version, settings: edited });
      adopt(next);
      savedAt.value = Date.now();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'SETTINGS_INVALID' && Array.isArray(err.details.issues)) {
        serverIssues.value = err.details.issues as Issue[];
        saveError.value = t('settings_invalid', { n: serverIssues.value.length });
      } else if (err instanceof ApiError && err.code === 'CONFLICT' && err.details.current) {
        serverIssues.value = [];
        conflict.value = err.details.current as SettingsView;
      } else {
        saveError.value = t('settings_saveFailed', { msg: err instanceof Error ? err.message : String(err) });
      }
    } finally {
      saving.value = false;
    }
  };

  const discard = () => {
    if (view.value) adopt(view.value);
    savedAt.value = null;
  };

  return { load, reloads, view, draft, saving, savedAt, serverIssues, saveError, conflict, dirty, hints, server, set, adopt, save, discard };
}
