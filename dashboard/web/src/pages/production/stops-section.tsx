/**
 * The stops of the range shown, each with its reason: a stop without one takes a reason from
 * anyone (the kiosk too); changing a given reason (re-classifying) is for admins. Microstops
 * are only counted here (grouped, never asked about).
 */
import type { DowntimeReason, StopReasonResult, StopsAnswer } from '@mieruka/protocol';
import { useEffect, useState } from 'preact/hooks';
import { apiSend, ApiError } from '../../api.js';
import { formatDuration } from '../../format.js';
import { lang, locale, t } from '../../i18n/index.js';
import { productionChanged, productionVersion, reasonsFor } from '../../production-store.js';
import { formatter } from '../../site-time.js';
import { kiosk, now, user } from '../../store.js';
import { Empty, ErrorNote, Loading } from '../machine/status.js';
import { useFetch } from '../machine/use-fetch.js';

export function useReasons(site: string, node: string): DowntimeReason[] {
  const [reasons, setReasons] = useState<DowntimeReason[]>([]);
  useEffect(() => {
    let alive = true;
    reasonsFor(site, node).then(
      (r) => alive && setReasons(r),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [site, node]);
  return reasons;
}

export function reasonLabel(reasons: readonly DowntimeReason[], code: string): string {
  const r = reasons.find((x) => x.code === code);
  return r ? (lang.value === 'ja' ? r.ja : r.en) : code;
}

export async function saveReason(site: string, node: string, start: number, code: string): Promise<StopReasonResult> {
  const result = await apiSend<StopReasonResult>('PUT', `/api/machines/${encodeURIComponent(site)}/${encodeURIComponent(node)}/stops/${start}/reason`, { code });
  productionChanged();
  return result;
}

export function StopsSection(props: { site: string; node: string; base: string; first: string; end: string; timeZone: string }) {
  const { site, node, base, first, end, timeZone } = props;
  const stops = useFetch<StopsAnswer>(`${base}/stops?from=${first}&to=${end}`, 60_000, productionVersion.value);
  const reasons = useReasons(site, node);
  const [saved, setSaved] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const mayReclassify = user.value?.role === 'admin' && !kiosk.value;
  const fmt = formatter(locale.value, timeZone, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
  const at = now.value;
  const pick = async (start: number, code: string) => {
    setError(null);
    setSaved(null);
    try {
      await saveReason(site, node, start, code);
      setSaved(start);
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <section class="card" aria-labelledby="stops-title" data-testid="stops-section">
      <h3 id="stops-title">{t('prod_stopsTitle')}</h3>
      {error && (
        <p class="error" role="alert" data-testid="stop-reason-error">
          {error}
        </p>
      )}
      {stops.error ? (
        <ErrorNote error={stops.error} />
      ) : !stops.data ? (
        <Loading />
      ) : (
        <>
          {stops.data.stops.length === 0 ? (
            <Empty>{t('prod_stopsEmpty')}</Empty>
          ) : (
            <div class="table-wrap">
              <table class="data-table" data-testid="stops-table">
                <thead>
                  <tr>
                    <th scope="col">{t('prod_stopStart')}</th>
                    <th scope="col" class="num">{t('prod_stopDuration')}</th>
                    <th scope="col">{t('prod_stopState')}</th>
                    <th scope="col">{t('prod_stopReason')}</th>
                    <th scope="col">{t('prod_stopBy')}</th>
                  </tr>
                </thead>
                <tbody>
                  {stops.data.stops.map((s) => {
                    const locked = s.reason !== null && !mayReclassify;
                    const durationMs = s.end === null ? at - s.start : s.durationS * 1000;
                    return (
                      <tr key={s.start} class={s.needsReason ? 'stop-needs' : undefined} data-testid="stop-row" data-start={s.start} data-reason={s.reason?.code ?? ''}>
                        <td>{fmt.format(s.start)}</td>
                        <td class="num">
                          {formatDuration(durationMs)}
                          {s.end === null && <span class="flag flag-interrupted">{t('prod_stopOngoing')}</span>}
                        </td>
                        <td>{t(`state_${s.state}`)}</td>
                        <td>
                          {locked ? (
                            <span title={t('prod_reclassifyAdmin')}>{reasonLabel(reasons, s.reason!.code)}</span>
                          ) : (
                            <select class="reason-select" data-testid="stop-reason" value={s.reason?.code ?? ''} onChange={(e) => void pick(s.start, e.currentTarget.value)}>
                              {s.reason === null && <option value="">{t('prod_noReason')}</option>}
                              {reasons.map((r) => (
                                <option key={r.code} value={r.code}>
                                  {lang.value === 'ja' ? r.ja : r.en}
                                </option>
                              ))}
                            </select>
                          )}
                          {saved === s.start && <span class="saved-flag" data-testid="stop-reason-saved">✓ {t('prod_reasonSaved')}</span>}
                        </td>
                        <td class="muted">{s.reason?.by ?? ''}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {stops.data.microstops.count > 0 && (
            <p class="note muted" data-testid="microstops">
              {t('prod_microstops', { n: stops.data.microstops.count, d: formatDuration(stops.data.microstops.totalS * 1000) })}
            </p>
          )}
        </>
      )}
    </section>
  );
}
