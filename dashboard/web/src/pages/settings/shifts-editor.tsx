/** Work shifts (name, start, end, weekdays) and the quiet hours of notifications. */
import { t, type MessageKey } from '../../i18n/index.js';
import { FieldIssues, hasIssue, Section } from './fields.js';
import type { SectionProps } from './section-props.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export function ShiftsEditor({ s, set, server, hints }: SectionProps) {
  const add = () => {
    const taken = new Set(s.shifts.map((x) => x.name));
    let n = s.shifts.length + 1;
    while (taken.has(`shift-${n}`)) n += 1;
    set(['shifts'], [...s.shifts, { name: `shift-${n}`, start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }]);
  };
  return (
    <Section title={t('settings_shifts')} help={t('settings_shiftsHelp')} testid="settings-shifts">
      {s.shifts.length === 0 && <p class="muted">{t('settings_noShifts')}</p>}
      <div class="shift-list">
        {s.shifts.map((sh, i) => (
          <div class="shift-row" key={i} data-testid="shift-row">
            <label>
              <span class="label">{t('settings_shiftName')}</span>
              <input
                type="text"
                value={sh.name}
                class={hasIssue(server, hints, ['shifts', i, 'name']) ? 'invalid' : undefined}
                onInput={(e) => set(['shifts', i, 'name'], e.currentTarget.value)}
              />
            </label>
            <label>
              <span class="label">{t('settings_start')}</span>
              <input type="time" value={sh.start} onInput={(e) => set(['shifts', i, 'start'], e.currentTarget.value)} />
            </label>
            <label>
              <span class="label">{t('settings_end')}</span>
              <input type="time" value={sh.end} onInput={(e) => set(['shifts', i, 'end'], e.currentTarget.value)} />
            </label>
            <fieldset class="days">
              <legend class="label">{t('settings_days')}</legend>
              {DAYS.map((d) => (
                <label key={d} class="day">
                  <input
                    type="checkbox"
                    checked={sh.days.includes(d)}
                    onChange={(e) =>
                      set(['shifts', i, 'days'], e.currentTarget.checked ? DAYS.filter((x) => x === d || sh.days.includes(x)) : sh.days.filter((x) => x !== d))
                    }
                  />
                  {t(`settings_day_${d}` as MessageKey)}
                </label>
              ))}
            </fieldset>
            <button type="button" class="remove" onClick={() => set(['shifts'], s.shifts.filter((_x, j) => j !== i))}>
              {t('settings_remove')}
            </button>
            <div class="row-issues">
              <FieldIssues server={server} hints={hints} path={['shifts', i]} />
            </div>
          </div>
        ))}
      </div>
      <button type="button" onClick={add} data-testid="shift-add">
        + {t('settings_addShift')}
      </button>
      <FieldIssues server={server} hints={hints} path={['shifts']} />
    </Section>
  );
}

export function QuietHours({ s, set, server, hints }: SectionProps) {
  const q = s.quietHours;
  return (
    <Section title={t('settings_quiet')} help={t('settings_quietHelp')} testid="settings-quiet">
      <div class="quiet-row">
        <label class="check">
          <input
            type="checkbox"
            data-testid="quiet-enabled"
            checked={q !== null}
            onChange={(e) => set(['quietHours'], e.currentTarget.checked ? { start: '22:00', end: '06:00' } : null)}
          />
          {t('settings_quietEnabled')}
        </label>
        {q && (
          <>
            <label>
              <span class="label">{t('settings_start')}</span>
              <input type="time" value={q.start} onInput={(e) => set(['quietHours', 'start'], e.currentTarget.value)} />
            </label>
            <label>
              <span class="label">{t('settings_end')}</span>
              <input type="time" value={q.end} onInput={(e) => set(['quietHours', 'end'], e.currentTarget.value)} />
            </label>
          </>
        )}
      </div>
      <FieldIssues server={server} hints={hints} path={['quietHours']} />
    </Section>
  );
}
