/**
 * Runtime settings (admin): edit a draft, save it with the version it started from. The
 * server validates and applies; its problems show next to their fields and in a summary.
 * Nothing the user typed is lost on a failed save: the draft stays until they discard it,
 * reload someone else's version, or save successfully.
 */
import { formatDateTime } from '../../format.js';
import { t } from '../../i18n/index.js';
import type { SettingsView } from '../../types.js';
import { AlarmRules } from './alarm-rules.js';
import { DowntimeReasons } from './downtime-reasons.js';
import { MachineThresholds } from './machine-thresholds.js';
import { NewNodes } from './new-nodes.js';
import { RecipientsEditor } from './recipients-editor.js';
import { useSettingsEditor } from './settings-editor.js';
import { pathLabel, type Issue } from './settings-form.js';
import { QuietHours, ShiftsEditor } from './shifts-editor.js';
import { StationSlots } from './station-slots.js';
import './settings.css';

function SettingsHead({ view: v }: { view: SettingsView }) {
  return (
    <div class="settings-head">
      <div>
        <h2>{t('settings_title')}</h2>
        <p class="muted">{t('settings_intro')}</p>
      </div>
      <p class="muted last-saved" data-testid="settings-last-saved">
        {v.updatedAt !== null ? t('settings_lastSaved', { who: v.updatedBy ?? '—', t: formatDateTime(v.updatedAt) }) : t('settings_neverSaved')}
      </p>
    </div>
  );
}

/** Someone else saved since this draft was loaded: take theirs, or overwrite it. */
function ConflictNotice({ other, onReload, onOverwrite }: { other: SettingsView; onReload: () => void; onOverwrite: () => void }) {
  return (
    <div class="notice notice-warn" role="alert" data-testid="settings-conflict">
      <strong>{t('settings_conflictTitle')}</strong>
      <p>{t('settings_conflictText', { who: other.updatedBy ?? '—', t: other.updatedAt ? formatDateTime(other.updatedAt) : '' })}</p>
      <div class="notice-actions">
        <button type="button" data-testid="settings-conflict-reload" onClick={onReload}>
          {t('settings_conflictReload')}
        </button>
        <button type="button" class="primary" data-testid="settings-conflict-overwrite" onClick={onOverwrite}>
          {t('settings_conflictOverwrite')}
        </button>
      </div>
    </div>
  );
}

function SaveErrorNotice({ message, issues }: { message: string; issues: readonly Issue[] }) {
  return (
    <div class="notice notice-error" role="alert" data-testid="settings-error">
      <strong>{message}</strong>
      {issues.length > 0 && (
        <ul>
          {issues.map((i, n) => (
            <li key={n}>
              <span class="issue-path">{pathLabel(i.path)}</span>: {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function SaveBar(props: { saved: boolean; dirty: boolean; saving: boolean; onDiscard: () => void; onSave: () => void }) {
  const { saved, dirty, saving } = props;
  return (
    <div class="save-bar" role="region" aria-label={t('settings_save')}>
      <span class="save-state" aria-live="polite">
        {saved && !dirty ? (
          <span class="saved" data-testid="settings-saved">
            ✓ {t('settings_saved')}
          </span>
        ) : dirty ? (
          <span class="unsaved">● {t('settings_unsaved')}</span>
        ) : (
          <span class="muted">{t('settings_noChanges')}</span>
        )}
      </span>
      <button type="button" onClick={props.onDiscard} disabled={!dirty || saving} data-testid="settings-discard">
        {t('settings_discard')}
      </button>
      <button type="button" class="primary" onClick={props.onSave} disabled={!dirty || saving} data-testid="settings-save">
        {saving ? t('settings_saving') : t('settings_save')}
      </button>
    </div>
  );
}

export function SettingsPage() {
  const { load, reloads, view, draft, saving, savedAt, serverIssues, saveError, conflict, dirty, hints, server, set, adopt, save, discard } = useSettingsEditor();

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
      <SettingsHead view={v} />

      {other && (
        <ConflictNotice
          other={other}
          onReload={() => adopt(other)}
          onOverwrite={() => {
            // Keep the draft, take their version number: the next save replaces theirs on purpose.
            view.value = other;
            conflict.value = null;
            void save();
          }}
        />
      )}

      {saveError.value && <SaveErrorNotice message={saveError.value} issues={serverIssues.value} />}

      <MachineThresholds {...props} />
      <StationSlots {...props} />
      <ShiftsEditor {...props} />
      <QuietHours {...props} />
      <RecipientsEditor {...props} />
      <AlarmRules {...props} />
      <DowntimeReasons {...props} />
      <NewNodes {...props} />

      <SaveBar saved={savedAt.value !== null} dirty={dirty.value} saving={saving.value} onDiscard={discard} onSave={() => void save()} />
    </main>
  );
}
