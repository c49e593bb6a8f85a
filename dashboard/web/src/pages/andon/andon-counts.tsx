/**
 * Counts from the floor: on the andon board an operator enters the good and scrap pieces just
 * finished, as an entry at this instant (like the Pi's push buttons; instants never overlap
 * a job's or shift's entry). Large fields for a touch screen.
 */
import { useState } from 'preact/hooks';
import type { QualityEntryResult } from '@mieruka/protocol';
import { apiSend } from '../../api.js';
import { t } from '../../i18n/index.js';
import { productionChanged } from '../../production-store.js';
import { hubClockNow } from '../../store.js';

export function AndonCounts(props: { site: string; node: string }) {
  const [open, setOpen] = useState(false);
  const [counts, setCounts] = useState({ good: '', scrap: '', startupScrap: '' });
  const [state, setState] = useState<'idle' | 'saving' | 'saved' | { error: string }>('idle');
  if (!open) {
    return (
      <button type="button" class="andon-counts-open" onClick={() => setOpen(true)} data-testid="andon-counts-open">
        {t('prod_andonCounts')}
        {state === 'saved' && <span class="saved-flag"> ✓ {t('prod_qualityAdded')}</span>}
      </button>
    );
  }
  const n = (s: string) => (s.trim() === '' ? 0 : Number(s));
  const save = async () => {
    setState('saving');
    const at = hubClockNow();
    try {
      await apiSend<QualityEntryResult>('POST', `/api/machines/${encodeURIComponent(props.site)}/${encodeURIComponent(props.node)}/quality`, {
        start: at,
        end: at,
        good: n(counts.good),
        scrap: n(counts.scrap),
        startupScrap: n(counts.startupScrap),
      });
      setState('saved');
      setCounts({ good: '', scrap: '', startupScrap: '' });
      setOpen(false);
      productionChanged();
    } catch (err) {
      setState({ error: err instanceof Error ? err.message : String(err) });
    }
  };
  const field = (key: keyof typeof counts, label: string) => (
    <label>
      {label}
      <input type="number" min="0" step="1" inputMode="numeric" value={counts[key]} onInput={(e) => setCounts({ ...counts, [key]: e.currentTarget.value })} data-testid={`andon-${key}`} />
    </label>
  );
  return (
    <form
      class="andon-counts"
      data-testid="andon-counts"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {field('good', t('prod_qualityGood'))}
      {field('scrap', t('prod_qualityScrap'))}
      {field('startupScrap', t('prod_qualityStartup'))}
      <div class="notice-actions">
        <button type="submit" class="primary" disabled={state === 'saving'} data-testid="andon-counts-save">
          {t('prod_qualityAdd')}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          {t('prod_qualityCancel')}
        </button>
      </div>
      {typeof state === 'object' && (
        <p class="andon-counts-error" role="alert" data-testid="andon-counts-error">
          {state.error}
        </p>
      )}
    </form>
  );
}
