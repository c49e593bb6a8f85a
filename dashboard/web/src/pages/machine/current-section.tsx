/** Live current: the last 30 minutes from the API, extended by every reading of the live feed. */
import { formatAmps } from '../../format.js';
import { cssColor } from '../../charts/colors.js';
import { TimeSeriesChart } from '../../charts/time-series-chart.js';
import { locale, t } from '../../i18n/index.js';
import { now } from '../../store.js';
import { LIVE_WINDOW_MS, useLiveCurrent } from './live-current.js';
import { Empty, ErrorNote, Loading } from './status.js';

export function CurrentSection(props: { site: string; node: string; timeZone: string }) {
  const { live, error } = useLiveCurrent(props.site, props.node);
  const at = now.value;
  const lastValue = live ? live.series.y.findLast((v) => v !== null) : undefined;
  return (
    <section class="card" aria-labelledby="current-title">
      <div class="card-head">
        <h3 id="current-title">{t('machine_currentTitle')}</h3>
        {lastValue != null && <span class="big-value" data-testid="current-now">{t('machine_currentNow', { a: formatAmps(lastValue) })}</span>}
      </div>
      {error ? (
        <ErrorNote error={error} />
      ) : !live ? (
        <Loading />
      ) : (
        <>
          <TimeSeriesChart
            series={live.series}
            names={{ line: t('machine_currentAvg'), min: t('machine_currentMin'), max: t('machine_currentMax'), time: t('machine_time') }}
            unit="A"
            color={cssColor('--accent')}
            locale={locale.value}
            timeZone={props.timeZone}
            xRange={[at - LIVE_WINDOW_MS, at]}
            label={t('machine_currentLabel')}
            data-testid="current-chart"
          />
          {live.series.x.length === 0 && <Empty>{t('machine_currentEmpty')}</Empty>}
          <p class="note muted">
            {t('machine_currentChannel', { ch: live.channel })}
            {live.bucketMs > 0 && ` · ${t('machine_currentBucket', { s: live.bucketMs / 1000 })}`}
          </p>
        </>
      )}
    </section>
  );
}
