/** Every score of the last 30 days as points on a line (0–100). */
import { cssColor } from '../../charts/colors.js';
import { TimeSeriesChart } from '../../charts/time-series-chart.js';
import { locale, t } from '../../i18n/index.js';
import { Empty, ErrorNote, Loading } from '../machine/status.js';
import type { Fetched } from '../machine/use-fetch.js';
import type { BenchTrendAnswer } from '../machine/types.js';

export function ScoreTrend(props: { trend: Fetched<BenchTrendAnswer>; timeZone: string }) {
  const { data, error } = props.trend;
  return (
    <section class="card" aria-labelledby="trend-title">
      <h3 id="trend-title">{t('bench_trendTitle')}</h3>
      {error ? (
        <ErrorNote error={error} />
      ) : !data ? (
        <Loading />
      ) : (
        <>
          <TimeSeriesChart
            series={{ x: data.scores.map((s) => s.ts), y: data.scores.map((s) => s.score) }}
            names={{ line: t('bench_score'), time: t('bench_time') }}
            unit=""
            decimals={0}
            color={cssColor('--accent')}
            locale={locale.value}
            timeZone={props.timeZone}
            xRange={[data.from, data.to]}
            yRange={[0, 100]}
            showPoints
            label={t('bench_trendLabel')}
            data-testid="score-trend"
          />
          {data.scores.length === 0 && <Empty>{t('bench_trendEmpty')}</Empty>}
          {data.truncated && <p class="note muted">{t('bench_trendTruncated')}</p>}
        </>
      )}
    </section>
  );
}
