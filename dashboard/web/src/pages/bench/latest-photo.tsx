/** The latest annotated shot (click for full size) with its score, slot and time. */
import { formatter } from '../../site-time.js';
import { locale, t } from '../../i18n/index.js';
import { Empty } from '../machine/status.js';
import type { ScoreWithUrls } from '../machine/types.js';
import { scoreClass } from './score-scale.js';

export function LatestPhoto(props: { node: string; latest: ScoreWithUrls | null; timeZone: string }) {
  const s = props.latest;
  return (
    <section class="card" aria-labelledby="latest-title">
      <h3 id="latest-title">{t('bench_latestTitle')}</h3>
      {!s ? (
        <Empty>{t('bench_noScore')}</Empty>
      ) : (
        <div class="latest">
          {s.imageUrl ? (
            <a href={s.imageUrl} target="_blank" rel="noopener" class="photo-link" title={t('bench_openFull')}>
              <img class="photo" data-testid="bench-photo" src={s.imageUrl} alt={t('bench_photoAlt', { node: props.node })} />
            </a>
          ) : (
            <div class="photo photo-missing" data-testid="bench-photo-missing">
              {t('bench_noPhoto')}
            </div>
          )}
          <dl class="latest-facts">
            <dt>{t('bench_score')}</dt>
            <dd>
              <span class={`score ${scoreClass(s.score)}`} data-testid="bench-score">
                {Math.round(s.score)}
              </span>{' '}
              <span class="muted">{t('bench_scoreOf')}</span>
            </dd>
            <dd class="muted">{t('bench_covered', { p: `${(s.coveredRatio * 100).toFixed(1)}%` })}</dd>
            <dd>{t('bench_slot', { slot: s.slot })}</dd>
            <dd>{t('bench_taken', { t: formatter(locale.value, props.timeZone, { year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(s.ts) })}</dd>
          </dl>
        </div>
      )}
    </section>
  );
}
