/** Photo times per work-bench station, as removable chips plus a time input to add one. */
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { FieldIssues, Section } from './fields.js';
import type { SectionProps } from './section-props.js';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function StationSlots({ s, set, server, hints }: SectionProps) {
  const ids = Object.keys(s.stations).sort();
  return (
    <Section title={t('settings_stations')} testid="settings-stations">
      {ids.length === 0 ? (
        <p class="muted">{t('settings_noStations')}</p>
      ) : (
        <div class="station-list">
          {ids.map((id) => (
            <StationRow key={id} id={id} s={s} set={set} server={server} hints={hints} />
          ))}
        </div>
      )}
    </Section>
  );
}

function StationRow({ id, s, set, server, hints }: SectionProps & { id: string }) {
  const st = s.stations[id]!;
  const [adding, setAdding] = useState('');
  const add = () => {
    if (!HHMM.test(adding) || st.slots.includes(adding)) return;
    set(['stations', id, 'slots'], [...st.slots, adding].sort());
    setAdding('');
  };
  return (
    <div class="station-row" data-testid={`station-slots-${id}`}>
      <div class="station-name">
        <strong class="mono">{id}</strong>
        <input
          type="text"
          maxLength={100}
          placeholder={t('settings_name')}
          aria-label={`${id} ${t('settings_name')}`}
          value={st.name ?? ''}
          onInput={(e) => set(['stations', id, 'name'], e.currentTarget.value.trim() === '' ? null : e.currentTarget.value)}
        />
      </div>
      <div class="chips">
        {st.slots.length === 0 && <span class="muted">{t('settings_noSlots')}</span>}
        {st.slots.map((slot, i) => (
          <span class="chip" key={`${slot}-${i}`}>
            {slot}
            <button
              type="button"
              class="chip-remove"
              aria-label={t('settings_removeSlot', { slot })}
              onClick={() => set(['stations', id, 'slots'], st.slots.filter((_x, j) => j !== i))}
            >
              ×
            </button>
          </span>
        ))}
        <span class="chip-add">
          <input type="time" aria-label={t('settings_addSlot')} value={adding} onInput={(e) => setAdding(e.currentTarget.value)} />
          <button type="button" onClick={add} disabled={!HHMM.test(adding) || st.slots.includes(adding)} data-testid={`station-slot-add-${id}`}>
            {t('settings_addSlot')}
          </button>
        </span>
      </div>
      <FieldIssues server={server} hints={hints} path={['stations', id]} />
    </div>
  );
}
