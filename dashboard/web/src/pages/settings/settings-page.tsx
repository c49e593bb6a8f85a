/**
 * Runtime settings (admin): edit a draft, save it with the version it started from. The
 * server validates and applies; its problems show next to their fields and in a summary.
 * Nothing the user typed is lost on a failed save: the draft stays until they discard it,
 * reload someone else's version, or save successfully.
 */
import { useComputed, useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { ApiError, apiGet, apiSend } from '../../api.js';
import { formatDateTime } from '../../format.js';
import { t } from '../../i18n/index.js';
import type { RuntimeSettings, SettingsView } from '../../types.js';
import { AlarmRules } from './alarm-rules.js';
import { MachineThresholds } from './machine-thresholds.js';
import { RecipientsEditor } from './recipients-editor.js';
import { clientChecks, indexIssues, pathKey, pathLabel, setIn, type Issue, type Path } from './settings-form.js';
import { QuietHours, ShiftsEditor } from './shifts-editor.js';
import { StationSlots } from './station-slots.js';
import './settings.css';

type Load = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready' };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function SettingsPage() {
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

  // Leaving the page (reload, closing the tab) with unsaved edits asks first.
  useEffect(() => {
    const onLeave = (ev: BeforeUnloadEvent) => {
      if (dirty.value) ev.preventDefault();
    };
    addEventListener('beforeunload', onLeave);
    return () => removeEventListener('beforeunload', onLeave);
  }, []);

  const set = (path: Path, value: unknown) => {
    if (!draft.value) return;
    draft.value = setIn(draft.value, path, value);
    savedAt.value = null;
    // The server's word on a field no longer holds once the user changed it.
    const key = pathKey(path);
    if (serverIssues.value.some((i) => pathKey(i.path) === key || pathKey(i.path).startsWith(`${key}.`))) {
      serverIssues.value = serverIssues.value.filter((i) => !(pathKey(i.path) === key || pathKey(i.path).startsWith(`${key}.`)));
    }
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

  if (load.value.status === 'loading') return <p class="loading">{t('loading')}</p>;
  if (load.value.status === 'error') {
    return (
      <main class="page settings-page" data-testid="settings-page">
        <div class="error-box" role="alert" data-testid="settings-error">
          <p class="error">{t('settings_loadFailed', { msg: load.value.message })}</p>
          <button type="button" onClick={() => (reloads.value += 1)}>
            {t('retry')}
          </button>
        </div>
      </main>
    );
  }
  const s = draft.value!;
  const v = view.value!;
  const props = { s, set, server: server.value, hints: hints.value };
  const other = conflict.value;

  return (
    <main class="page settings-page" data-testid="settings-page">
      <div class="settings-head">
        <div>
          <h2>{t('settings_title')}</h2>
          <p class="muted">{t('settings_intro')}</p>
        </div>
        <p class="muted last-saved" data-testid="settings-last-saved">
          {v.updatedAt !== null ? t('settings_lastSaved', { who: v.updatedBy ?? '—', t: formatDateTime(v.updatedAt) }) : t('settings_neverSaved')}
        </p>
      </div>

      {other && (
        <div class="notice notice-warn" role="alert" data-testid="settings-conflict">
          <strong>{t('settings_conflictTitle')}</strong>
          <p>{t('settings_conflictText', { who: other.updatedBy ?? '—', t: other.updatedAt ? formatDateTime(other.updatedAt) : '' })}</p>
          <div class="notice-actions">
            <button type="button" data-testid="settings-conflict-reload" onClick={() => adopt(other)}>
              {t('settings_conflictReload')}
            </button>
            <button
              type="button"
              class="primary"
              data-testid="settings-conflict-overwrite"
              onClick={() => {
                // Keep the draft, take their version number: the next save replaces theirs on purpose.
                view.value = other;
                conflict.value = null;
                void save();
              }}
            >
              {t('settings_conflictOverwrite')}
            </button>
          </div>
        </div>
      )}

      {saveError.value && (
        <div class="notice notice-error" role="alert" data-testid="settings-error">
          <strong>{saveError.value}</strong>
          {serverIssues.value.length > 0 && (
            <ul>
              {serverIssues.value.map((i, n) => (
                <li key={n}>
                  <span class="issue-path">{pathLabel(i.path)}</span>: {i.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      <MachineThresholds {...props} />
      <StationSlots {...props} />
      <ShiftsEditor {...props} />
      <QuietHours {...props} />
      <RecipientsEditor {...props} />
      <AlarmRules {...props} />

      <div class="save-bar" role="region" aria-label={t('settings_save')}>
        <span class="save-state" aria-live="polite">
          {savedAt.value !== null && !dirty.value ? (
            <span class="saved" data-testid="settings-saved">
              ✓ {t('settings_saved')}
            </span>
          ) : dirty.value ? (
            <span class="unsaved">● {t('settings_unsaved')}</span>
          ) : (
            <span class="muted">{t('settings_noChanges')}</span>
          )}
        </span>
        <button type="button" onClick={discard} disabled={!dirty.value || saving.value} data-testid="settings-discard">
          {t('settings_discard')}
        </button>
        <button type="button" class="primary" onClick={() => void save()} disabled={!dirty.value || saving.value} data-testid="settings-save">
          {saving.value ? t('settings_saving') : t('settings_save')}
        </button>
      </div>
    </main>
  );
}
