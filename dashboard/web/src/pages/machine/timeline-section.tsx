/**
 * The state timeline of one day or week (range in the URL), with time per state and the jobs
 * of the same range below it.
 */
import { BandTimeline, type Band } from '../../charts/band-timeline.js';
import { formatter } from '../../site-time.js';
import { formatDuration } from '../../format.js';
import { locale, t } from '../../i18n/index.js';
import { JobsTable } from './jobs-table.js';
import { rangeDates, type MachineRange, type RangeView } from './machine-range.js';
import { Empty, ErrorNote, Loading } from './status.js';
import type { JobsAnswer, MachineState, TimelineAnswer } from './types.js';
import { useFetch } from './use-fetch.js';

const STATES: MachineState[] = ['running', 'idle', 'off', 'unknown'];
const REFRESH_MS = 60_000;

export function TimelineSection(props: {
  base: string;
  range: MachineRange;
  today: string;
  timeZone: string;
  onView: (view: RangeView) => void;
  onShift: (direction: -1 | 1) => void;
  onToday: () => void;
}) {
  const { range, today, timeZone } = props;
  const { first, end } = rangeDates(range);
  const query = `?from=${first}&to=${end}`;
  // Today's timeline grows: re-read it every minute. Past days do not change.
  const refresh = range.date === today ? REFRESH_MS : 0;
  const timeline = useFetch<TimelineAnswer>(`${props.base}/timeline${query}`, refresh);
  const jobs = useFetch<JobsAnswer>(`${props.base}/jobs${query}`, refresh);
  const loc = locale.value;
  const dateFmt = formatter(loc, 'UTC', { year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short' });
  const dateText = (d: string) => dateFmt.format(Date.parse(`${d}T00:00:00Z`));
  const rangeText = range.view === 'day' ? dateText(first) : `${dateText(first)} – ${dateText(range.date)}`;
  const timeFmt = formatter(loc, timeZone, { ...(range.view === 'week' ? { month: 'numeric', day: 'numeric' } : {}), hour: '2-digit', minute: '2-digit', hour12: false });

  const data = timeline.data;
  const totals: Record<MachineState, number> = { running: 0, idle: 0, off: 0, unknown: 0 };
  const bands: Band[] = [];
  if (data) {
    for (const i of data.intervals) {
      totals[i.state] += i.durationS * 1000;
      const endTs = i.end ?? data.now;
      bands.push({
        key: i.state,
        start: i.start,
        end: endTs,
        color: `var(--${i.state})`,
        title: t('machine_bandTitle', { state: t(`state_${i.state}`), start: timeFmt.format(i.start), end: i.end === null ? t('machine_stillGoing') : timeFmt.format(i.end), d: formatDuration(endTs - i.start) }),
      });
    }
  }

  return (
    <section class="card" aria-labelledby="timeline-title">
      <div class="card-head">
        <h3 id="timeline-title">{t('machine_timelineTitle')}</h3>
        <div class="toolbar" role="group" aria-label={t('machine_rangeLabel')}>
          <div class="segmented">
            {(['day', 'week'] as const).map((v) => (
              <button type="button" aria-pressed={range.view === v} data-testid={`view-${v}`} onClick={() => props.onView(v)}>
                {t(v === 'day' ? 'machine_viewDay' : 'machine_viewWeek')}
              </button>
            ))}
          </div>
          <button type="button" data-testid="range-prev" onClick={() => props.onShift(-1)}>
            {t('machine_prev')}
          </button>
          <button type="button" data-testid="range-next" disabled={range.date >= today} onClick={() => props.onShift(1)}>
            {t('machine_next')}
          </button>
          <button type="button" disabled={range.date === today} onClick={props.onToday}>
            {t('machine_today')}
          </button>
        </div>
      </div>
      <p class="range-text" data-testid="range-text">
        {rangeText}
      </p>
      {timeline.error ? (
        <ErrorNote error={timeline.error} />
      ) : !data ? (
        <Loading />
      ) : (
        <>
          <BandTimeline from={data.from} to={data.to} bands={bands} now={data.now} locale={loc} timeZone={timeZone} label={t('machine_timelineLabel', { range: rangeText })} data-testid="state-timeline" />
          {bands.length === 0 ? (
            <Empty>{t('machine_timelineEmpty')}</Empty>
          ) : (
            <ul class="state-totals" data-testid="state-totals">
              {STATES.map((s) => (
                <li data-state={s}>
                  <span class={`swatch state-swatch-${s}`} />
                  {t(`state_${s}`)} <strong>{formatDuration(totals[s])}</strong>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <h4>{t('machine_jobsTitle')}</h4>
      {jobs.error ? <ErrorNote error={jobs.error} /> : !jobs.data ? <Loading /> : <JobsTable jobs={jobs.data.jobs} now={jobs.data.now} timeZone={timeZone} day={range.view === 'day' ? range.date : null} />}
    </section>
  );
}
