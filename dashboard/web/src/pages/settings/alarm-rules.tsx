/** Alarm rules: on/off, severity and the rule's one number. */
import { t, type MessageKey } from '../../i18n/index.js';
import type { RuntimeSettings } from '../../types.js';
import { FieldIssues, hasIssue, NumberField, Section, SeveritySelect } from './fields.js';
import type { SectionProps } from './section-props.js';

type Rules = RuntimeSettings['rules'];
type RuleName = keyof Rules;
/** The number each rule has, if any, and how to say it. */
const NUMBER: Partial<Record<RuleName, { field: string; unit: MessageKey }>> = {
  runningLong: { field: 'afterMin', unit: 'settings_unitMin' },
  idleLong: { field: 'afterMin', unit: 'settings_unitMin' },
  sensorOffline: { field: 'silentAfterS', unit: 'settings_unitS' },
  clutterHigh: { field: 'above', unit: 'settings_unitScore' },
};
const ORDER: RuleName[] = ['machineStopped', 'jobFinished', 'runningLong', 'idleLong', 'sensorOffline', 'sensorFault', 'clutterHigh'];

export function AlarmRules({ s, set, server, hints }: SectionProps) {
  return (
    <Section title={t('settings_rules')} testid="settings-rules">
      <div class="table-scroll">
        <table class="settings-table rules-table">
          <thead>
            <tr>
              <th scope="col">{t('settings_rule')}</th>
              <th scope="col">{t('settings_enabled')}</th>
              <th scope="col">{t('settings_severity')}</th>
              <th scope="col">{t('settings_value')}</th>
            </tr>
          </thead>
          <tbody>
            {ORDER.map((name) => {
              const rule = s.rules[name] as ({ enabled: boolean; severity: string } & Record<string, unknown>) | undefined;
              // A hub older than the rule does not send it.
              if (!rule) return null;
              const num = NUMBER[name];
              const label = t(`settings_rule_${name}` as MessageKey);
              return (
                <tr key={name} data-testid={`rule-${name}`} class={rule.enabled ? undefined : 'rule-off'}>
                  <th scope="row">{label}</th>
                  <td>
                    <input
                      type="checkbox"
                      class="big-check"
                      aria-label={`${label} ${t('settings_enabled')}`}
                      data-testid={`rule-${name}-enabled`}
                      checked={rule.enabled}
                      onChange={(e) => set(['rules', name, 'enabled'], e.currentTarget.checked)}
                    />
                  </td>
                  <td>
                    <SeveritySelect value={rule.severity} label={`${label} ${t('settings_severity')}`} testid={`rule-${name}-severity`} onChange={(v) => set(['rules', name, 'severity'], v)} />
                  </td>
                  <td>
                    {num ? (
                      <NumberField
                        value={rule[num.field] as number}
                        label={`${label} ${t(num.unit)}`}
                        unit={t(num.unit)}
                        testid={`rule-${name}-${num.field}`}
                        invalid={hasIssue(server, hints, ['rules', name, num.field])}
                        onChange={(v) => set(['rules', name, num.field], v)}
                      />
                    ) : (
                      <span class="muted">—</span>
                    )}
                    <FieldIssues server={server} hints={hints} path={['rules', name]} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Section>
  );
}
