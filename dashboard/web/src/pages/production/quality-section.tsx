/**
 * Good and scrap counts of a job or shift: a form (times in the site's zone) and the entries of
 * the range shown. An entry overlapping earlier ones is refused by the hub; the form then offers
 * to replace them. Admins delete any entry, others their own; the kiosk only adds.
 */
import type { QualityAnswer, QualityEntryResult } from '@mieruka/protocol';
import { useState } from 'preact/hooks';
import { apiSend, ApiError } from '../../api.js';
import { lang, locale, t, type MessageKey } from '../../i18n/index.js';
import { productionChanged, productionVersion } from '../../production-store.js';
import { formatter, localDate, localHhmm, localInstant } from '../../site-time.js';
import { hubClockNow, kiosk, user } from '../../store.js';
import { Empty, ErrorNote, Loading } from '../machine/status.js';
import { useFetch } from '../machine/use-fetch.js';

type Draft = { startDate: string; startTime: string; endDate: string; endTime: string; good: string; scrap: string; startupScrap: string; note: string };

/** A shift's worth before now (on the hour) up to now: a sensible start that is never after the end. */
function initialDraft(timeZone: string): Draft {
  const now = hubClockNow();
  const from = Math.floor((now - 8 * 3_600_000) / 3_600_000) * 3_600_000;
  return { startDate: localDate(from, timeZone), startTime: localHhmm(from, timeZone), endDate: localDate(now, timeZone), endTime: localHhmm(now, timeZone), good: '', scrap: '0', startupScrap: '0', note: '' };
}

const HHMM = /^(\d{2}):(\d{2})$/;
function instant(date: string, time: string, timeZone: string): number {
  const m = HHMM.exec(time);
  return m ? localInstant(date, Number(m[1]), Number(m[2]), timeZone) : NaN;
}
const count = (text: string) => (text.trim() === '' ? 0 : Number(text));

export function QualitySection(props: { base: string; first: string; end: string; timeZone: string }) {
  const { base, first, end, timeZone } = props;
  const list = useFetch<QualityAnswer>(`${base}/quality?from=${first}&to=${end}`, 0, productionVersion.value);
  const [draft, setDraft] = useState<Draft>(() => initialDraft(timeZone));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [overlap, setOverlap] = useState<number[] | null>(null);
  const [added, setAdded] = useState(false);
  const field = (k: keyof Draft) => (e: Event) => {
    setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
    setAdded(false);
  };
  const submit = async (replace: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await apiSend<QualityEntryResult>('POST', `${base}/quality`, {
        start: instant(draft.startDate, draft.startTime, timeZone),
        end: instant(draft.endDate, draft.endTime, timeZone),
        good: count(draft.good),
        scrap: count(draft.scrap),
        startupScrap: count(draft.startupScrap),
        note: draft.note.trim() === '' ? null : draft.note.trim(),
        replace,
      });
      setOverlap(null);
      setAdded(true);
      setDraft({ ...draft, good: '', scrap: '0', startupScrap: '0', note: '' });
      productionChanged();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CONFLICT') setOverlap(Array.isArray(err.details.overlapping) ? (err.details.overlapping as number[]) : []);
      else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (id: number) => {
    if (!confirm(t('prod_qualityDeleteConfirm'))) return;
    try {
      await apiSend('DELETE', `${base}/quality/${id}`);
      productionChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const me = user.value;
  const mayDelete = (by: string) => !kiosk.value && (me?.role === 'admin' || me?.username === by);
  const fmt = formatter(locale.value, timeZone, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
  const num = (n: number) => n.toLocaleString(locale.value);
  return (
    <section class="card" aria-labelledby="quality-title" data-testid="quality-section">
      <h3 id="quality-title">{t('prod_qualityTitle')}</h3>
      <p class="note muted">{t('prod_qualityHelp')}</p>
      <form
        class="quality-form"
        data-testid="quality-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(false);
        }}
      >
        <label>
          {t('prod_qualityStart')}
          <span>
            <input type="date" value={draft.startDate} onInput={field('startDate')} data-testid="quality-start-date" required />
            <input type="time" value={draft.startTime} onInput={field('startTime')} data-testid="quality-start-time" required />
          </span>
        </label>
        <label>
          {t('prod_qualityEnd')}
          <span>
            <input type="date" value={draft.endDate} onInput={field('endDate')} data-testid="quality-end-date" required />
            <input type="time" value={draft.endTime} onInput={field('endTime')} data-testid="quality-end-time" required />
          </span>
        </label>
        <label>
          {t('prod_qualityGood')}
          <input type="number" min="0" step="1" inputMode="numeric" value={draft.good} onInput={field('good')} data-testid="quality-good" />
        </label>
        <label>
          {t('prod_qualityScrap')}
          <input type="number" min="0" step="1" inputMode="numeric" value={draft.scrap} onInput={field('scrap')} data-testid="quality-scrap" />
        </label>
        <label>
          {t('prod_qualityStartup')}
          <input type="number" min="0" step="1" inputMode="numeric" value={draft.startupScrap} onInput={field('startupScrap')} data-testid="quality-startup" />
        </label>
        <label>
          {t('prod_qualityNote')}
          <input type="text" maxLength={200} value={draft.note} onInput={field('note')} data-testid="quality-note" />
        </label>
        <button type="submit" class="primary" disabled={busy} data-testid="quality-add">
          {t('prod_qualityAdd')}
        </button>
        {added && <span class="saved-flag" data-testid="quality-added">✓ {t('prod_qualityAdded')}</span>}
      </form>
      {overlap && (
        <div class="notice notice-warn" role="alert" data-testid="quality-overlap">
          <span>{t('prod_qualityOverlap', { n: overlap.length })}</span>
          <div class="notice-actions">
            {!kiosk.value && (
              <button type="button" class="primary" onClick={() => void submit(true)} disabled={busy} data-testid="quality-replace">
                {t('prod_qualityReplace')}
              </button>
            )}
            <button type="button" onClick={() => setOverlap(null)}>
              {t('prod_qualityCancel')}
            </button>
          </div>
        </div>
      )}
      {error && (
        <p class="notice notice-error" role="alert" data-testid="quality-error">
          {error}
        </p>
      )}
      {list.error ? (
        <ErrorNote error={list.error} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.entries.length === 0 ? (
        <Empty>{t('prod_qualityEmpty')}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="data-table" data-testid="quality-table">
            <thead>
              <tr>
                <th scope="col">{t('prod_qualityPeriod')}</th>
                <th scope="col" class="num">{t('prod_qualityGood')}</th>
                <th scope="col" class="num">{t('prod_qualityScrap')}</th>
                <th scope="col" class="num">{t('prod_qualityStartup')}</th>
                <th scope="col">{t('prod_qualitySource')}</th>
                <th scope="col">{t('prod_qualityNote')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {list.data.entries.map((e) => (
                <tr key={e.id} data-testid="quality-row" data-id={e.id}>
                  <td>{e.start === e.end ? fmt.format(e.start) : `${fmt.format(e.start)} – ${fmt.format(e.end)}`}</td>
                  <td class="num">{num(e.good)}</td>
                  <td class="num">{num(e.scrap)}</td>
                  <td class="num">{num(e.startupScrap)}</td>
                  <td>
                    {t(`prod_source_${e.source}` as MessageKey)} · {e.by}
                  </td>
                  <td>{e.note ?? ''}</td>
                  <td>
                    {mayDelete(e.by) && (
                      <button type="button" onClick={() => void remove(e.id)} data-testid="quality-delete" lang={lang.value}>
                        {t('prod_qualityDelete')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
