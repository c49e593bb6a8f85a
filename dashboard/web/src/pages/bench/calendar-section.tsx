/** Daily clutter scores as a month or year calendar (period in the URL), with prev/next. */
import { CalendarHeatmap, type HeatDay } from '../../charts/calendar-heatmap.js';
import { locale, t } from '../../i18n/index.js';
import { Empty, ErrorNote, Loading } from '../machine/status.js';
import type { BenchCalendarAnswer } from '../machine/types.js';
import { useFetch } from '../machine/use-fetch.js';
import { periodQuery, periodText, type CalendarPeriod } from './calendar-period.js';
import { SCORE_STEPS, scoreColor } from './score-scale.js';

export function CalendarSection(props: {
  base: string;
  period: CalendarPeriod;
  today: string;
  onKind: (kind: CalendarPeriod['kind']) => void;
  onShift: (direction: -1 | 1) => void;
}) {
  const { period, today } = props;
  const calendar = useFetch<BenchCalendarAnswer>(`${props.base}/calendar?${periodQuery(period)}`);
  const thisPeriod = period.kind === 'year' ? today.slice(0, 4) : today.slice(0, 7);
  const title = period.kind === 'year' ? t('bench_yearFormat', { y: period.year }) : t('bench_monthFormat', { y: period.year, m: period.month });
  const days = new Map<string, HeatDay>();
  for (const d of calendar.data?.days ?? []) {
    days.set(d.date, { value: d.last, title: t('bench_dayTitle', { date: d.date, last: Math.round(d.last), mean: d.mean, max: Math.round(d.max), min: Math.round(d.min), n: d.count }) });
  }
  return (
    <section class="card" aria-labelledby="calendar-title">
      <div class="card-head">
        <h3 id="calendar-title">{t('bench_calendarTitle')}</h3>
        <div class="toolbar">
          <div class="segmented">
            {(['month', 'year'] as const).map((k) => (
              <button type="button" aria-pressed={period.kind === k} data-testid={`calendar-${k}`} onClick={() => props.onKind(k)}>
                {t(k === 'month' ? 'bench_viewMonth' : 'bench_viewYear')}
              </button>
            ))}
          </div>
          <button type="button" data-testid="calendar-prev" disabled={period.kind === 'year' ? period.year <= 2000 : period.year <= 2000 && period.month <= 1} onClick={() => props.onShift(-1)}>
            {t('bench_prev')}
          </button>
          <button type="button" data-testid="calendar-next" disabled={periodText(period) >= thisPeriod} onClick={() => props.onShift(1)}>
            {t('bench_next')}
          </button>
        </div>
      </div>
      <p class="range-text" data-testid="calendar-period">
        {title}
      </p>
      {calendar.error ? (
        <ErrorNote error={calendar.error} />
      ) : !calendar.data ? (
        <Loading />
      ) : (
        <>
          <CalendarHeatmap
            period={period}
            days={days}
            color={scoreColor}
            legend={SCORE_STEPS.map((s) => ({ color: s.color, label: s.label }))}
            noDataLabel={t('bench_noData')}
            locale={locale.value}
            label={t('bench_calendarLabel', { period: title })}
            today={today}
            data-testid="calendar-heatmap"
          />
          {days.size === 0 ? <Empty>{t('bench_calendarEmpty')}</Empty> : <p class="note muted">{t('bench_calendarNote')}</p>}
        </>
      )}
    </section>
  );
}
