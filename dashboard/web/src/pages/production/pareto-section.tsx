/** The lost-time Pareto of one machine (the machine page's range) or of all machines (overview: today, this week, this month). */
import type { DowntimePareto } from '@mieruka/protocol';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { productionVersion } from '../../production-store.js';
import { addDays, localDate, weekdayMon0 } from '../../site-time.js';
import { hubClockNow, siteTimeZone } from '../../store.js';
import { ErrorNote, Loading } from '../machine/status.js';
import { useFetch } from '../machine/use-fetch.js';
import { ParetoChart } from './pareto-chart.js';
import '../machine/detail.css';
import './production.css';

export function ParetoSection(props: { path: string; first: string; end: string; title?: string; children?: ComponentChildren }) {
  const pareto = useFetch<DowntimePareto>(`${props.path}?from=${props.first}&to=${props.end}`, 5 * 60_000, productionVersion.value);
  return (
    <section class="card" aria-labelledby="pareto-title" data-testid="pareto-section">
      <div class="card-head">
        <h3 id="pareto-title">{props.title ?? t('prod_paretoTitle')}</h3>
        {props.children}
      </div>
      {pareto.error ? <ErrorNote error={pareto.error} /> : !pareto.data ? <Loading /> : <ParetoChart bars={pareto.data.bars} totalS={pareto.data.totalS} />}
    </section>
  );
}

type Period = 'today' | 'week' | 'month';

/** All machines, on the overview. */
export function OverviewPareto() {
  const [period, setPeriod] = useState<Period>('today');
  const zone = siteTimeZone.value ?? 'Asia/Tokyo';
  const today = localDate(hubClockNow(), zone);
  const first = period === 'today' ? today : period === 'week' ? addDays(today, -weekdayMon0(today)) : `${today.slice(0, 7)}-01`;
  return (
    <ParetoSection path="/api/production/pareto" first={first} end={addDays(today, 1)}>
      <div class="segmented" role="group">
        {(['today', 'week', 'month'] as const).map((p) => (
          <button key={p} type="button" aria-pressed={period === p} onClick={() => setPeriod(p)} data-testid={`pareto-${p}`}>
            {t(`prod_${p}`)}
          </button>
        ))}
      </div>
    </ParetoSection>
  );
}
