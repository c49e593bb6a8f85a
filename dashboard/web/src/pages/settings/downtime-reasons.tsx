/**
 * The downtime reasons operators pick when a stop asks for one (runtime setting
 * `downtimeReasons`): code, Japanese and English text, the loss category (docs/oee.md) and the
 * machines it is offered for (none ticked: every machine). Codes stay with the stops they were
 * given to, so a code is best left as it is once used; change the texts instead.
 */
import { LOSS_CATEGORIES } from '@mieruka/protocol/model';
import { t, type MessageKey } from '../../i18n/index.js';
import { FieldIssues, hasIssue, Section } from './fields.js';
import type { SectionProps } from './section-props.js';

type Reason = NonNullable<SectionProps['s']['downtimeReasons']>[number];

export function DowntimeReasons({ s, set, server, hints }: SectionProps) {
  const reasons: Reason[] = s.downtimeReasons ?? [];
  const machines = Object.keys(s.machines).sort();
  const add = () => {
    const taken = new Set(reasons.map((r) => r.code));
    let n = reasons.length + 1;
    while (taken.has(`reason-${n}`)) n += 1;
    set(['downtimeReasons'], [...reasons, { code: `reason-${n}`, en: '', ja: '', category: 'other', machines: [] }]);
  };
  const invalid = (path: Array<string | number>) => (hasIssue(server, hints, path) ? 'invalid' : undefined);
  return (
    <Section title={t('settings_reasons')} help={t('settings_reasonsHelp')} testid="settings-reasons">
      {reasons.length === 0 && <p class="muted">{t('settings_noReasons')}</p>}
      {reasons.length > 0 && (
        <div class="table-scroll">
          <table class="settings-table">
            <thead>
              <tr>
                <th scope="col">{t('settings_reasonCode')}</th>
                <th scope="col">{t('settings_reasonJa')}</th>
                <th scope="col">{t('settings_reasonEn')}</th>
                <th scope="col">{t('settings_reasonCategory')}</th>
                <th scope="col">{t('settings_reasonMachines')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {reasons.map((r, i) => (
                <tr key={i} data-testid="reason-row">
                  <td>
                    <input type="text" class={invalid(['downtimeReasons', i, 'code'])} value={r.code} aria-label={t('settings_reasonCode')} data-testid="reason-code" onInput={(e) => set(['downtimeReasons', i, 'code'], e.currentTarget.value)} />
                  </td>
                  <td>
                    <input type="text" class={invalid(['downtimeReasons', i, 'ja'])} value={r.ja} aria-label={t('settings_reasonJa')} data-testid="reason-ja" onInput={(e) => set(['downtimeReasons', i, 'ja'], e.currentTarget.value)} />
                  </td>
                  <td>
                    <input type="text" class={invalid(['downtimeReasons', i, 'en'])} value={r.en} aria-label={t('settings_reasonEn')} data-testid="reason-en" onInput={(e) => set(['downtimeReasons', i, 'en'], e.currentTarget.value)} />
                  </td>
                  <td>
                    <select value={r.category} aria-label={t('settings_reasonCategory')} data-testid="reason-category" onChange={(e) => set(['downtimeReasons', i, 'category'], e.currentTarget.value)}>
                      {LOSS_CATEGORIES.map((c) => (
                        <option key={c} value={c}>
                          {t(`prod_cat_${c}` as MessageKey)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <fieldset class="days">
                      <legend class="label">{r.machines.length === 0 ? t('settings_reasonAllMachines') : t('settings_reasonMachines')}</legend>
                      {machines.map((id) => (
                        <label key={id} class="day">
                          <input
                            type="checkbox"
                            checked={r.machines.includes(id)}
                            onChange={(e) => set(['downtimeReasons', i, 'machines'], e.currentTarget.checked ? machines.filter((x) => x === id || r.machines.includes(x)) : r.machines.filter((x) => x !== id))}
                          />
                          {s.machines[id]?.name ?? id}
                        </label>
                      ))}
                    </fieldset>
                  </td>
                  <td>
                    <button type="button" class="remove" onClick={() => set(['downtimeReasons'], reasons.filter((_x, j) => j !== i))} data-testid="reason-remove">
                      {t('settings_remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {reasons.map((_r, i) => (
        <FieldIssues key={i} server={server} hints={hints} path={['downtimeReasons', i]} />
      ))}
      <button type="button" onClick={add} data-testid="reason-add">
        + {t('settings_addReason')}
      </button>
      <FieldIssues server={server} hints={hints} path={['downtimeReasons']} />
    </Section>
  );
}
