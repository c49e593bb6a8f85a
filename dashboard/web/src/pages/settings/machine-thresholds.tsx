/** Current thresholds per machine: a row each, amperes and seconds. */
import { t, type MessageKey } from '../../i18n/index.js';
import { FieldIssues, hasIssue, NumberField, Section } from './fields.js';
import type { SectionProps } from './section-props.js';

const FIELDS: ReadonlyArray<{ key: 'offBelowA' | 'runningAboveA' | 'hysteresisA' | 'minDwellS'; label: MessageKey; unit: string }> = [
  { key: 'offBelowA', label: 'settings_offBelowA', unit: 'A' },
  { key: 'runningAboveA', label: 'settings_runningAboveA', unit: 'A' },
  { key: 'hysteresisA', label: 'settings_hysteresisA', unit: 'A' },
  { key: 'minDwellS', label: 'settings_minDwellS', unit: 's' },
];

export function MachineThresholds({ s, set, server, hints }: SectionProps) {
  const ids = Object.keys(s.machines).sort();
  return (
    <Section title={t('settings_machines')} help={t('settings_machinesHelp')} testid="settings-machines">
      {ids.length === 0 ? (
        <p class="muted">{t('settings_noMachines')}</p>
      ) : (
        <div class="table-scroll">
          <table class="settings-table">
            <thead>
              <tr>
                <th scope="col">{t('settings_machine')}</th>
                <th scope="col">{t('settings_name')}</th>
                {FIELDS.map((f) => (
                  <th scope="col" key={f.key}>
                    {t(f.label)} ({f.unit})
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {ids.map((id) => {
                const m = s.machines[id]!;
                return (
                  <tr key={id} data-testid={`machine-threshold-${id}`}>
                    <th scope="row" class="mono">
                      {id}
                    </th>
                    <td>
                      <input
                        type="text"
                        maxLength={100}
                        aria-label={`${id} ${t('settings_name')}`}
                        data-testid={`machine-threshold-${id}-name`}
                        value={m.name ?? ''}
                        onInput={(e) => set(['machines', id, 'name'], e.currentTarget.value.trim() === '' ? null : e.currentTarget.value)}
                      />
                      <FieldIssues server={server} hints={hints} path={['machines', id, 'name']} />
                    </td>
                    {FIELDS.map((f) => (
                      <td key={f.key}>
                        <NumberField
                          value={m[f.key]}
                          label={`${id} ${t(f.label)}`}
                          unit={f.unit}
                          testid={`machine-threshold-${id}-${f.key}`}
                          invalid={hasIssue(server, hints, ['machines', id, f.key])}
                          onChange={(v) => set(['machines', id, f.key], v)}
                        />
                        <FieldIssues server={server} hints={hints} path={['machines', id, f.key]} />
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
