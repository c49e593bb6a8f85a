/** Utilization per day over the last 14 days (running ÷ known time), as bars. */
import { BarChart } from '../../charts/bar-chart.js';
import { cssColor } from '../../charts/colors.js';
import { locale, t } from '../../i18n/index.js';
import { Empty, ErrorNote, Loading } from './status.js';
import type { UtilizationAnswer } from './types.js';
import { useFetch } from './use-fetch.js';

export const UTILIZATION_DAYS = 14;
const DAY_MS = 86_400_000;

const percent = (ratio: number | null) => (ratio === null ? '—' : `${(ratio * 100).toFixed(1)}%`);

export function UtilizationSection(props: { base: string; first: string; end: string; timeZone: string }) {
  const usage = useFetch<UtilizationAnswer>(`${props.base}/utilization?by=day&from=${props.first}&to=${props.end}`, 5 * 60_000);
  const rows = usage.data?.rows ?? [];
  const hasData = rows.some((r) => r.knownS > 0);
  return (
    <section class="card" aria-labelledby="util-title">
      <div class="card-head">
        <h3 id="util-title">{t('machine_utilTitle')}</h3>
        {usage.data && hasData && (
          <span class="big-value" data-testid="utilization-total">
            {t('machine_utilTotal', { p: percent(usage.data.total.utilization) })}
          </span>
        )}
      </div>
      {usage.error ? (
        <ErrorNote error={usage.error} />
      ) : !usage.data ? (
        <Loading />
      ) : (
        <>
          <BarChart
            x={rows.map((r) => r.start)}
            y={rows.map((r) => (r.utilization === null ? null : Math.round(r.utilization * 1000) / 10))}
            stepMs={DAY_MS}
            names={{ value: t('machine_utilValue'), time: t('machine_utilDay') }}
            unit="%"
            color={cssColor('--running')}
            locale={locale.value}
            timeZone={props.timeZone}
            yRange={[0, 100]}
            label={t('machine_utilLabel')}
            data-testid="utilization-chart"
          />
          {!hasData && <Empty>{t('machine_utilEmpty')}</Empty>}
          <p class="note muted">{t('machine_utilNote')}</p>
        </>
      )}
    </section>
  );
}
