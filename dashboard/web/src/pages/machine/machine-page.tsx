/**
 * One machine: live state and current, OEE (today, week, month; losses, energy), the state timeline and jobs of a day or week (range
 * in the URL) with its stops, their reasons, the lost-time Pareto and quality counts, utilization of the last 14 days, and CSV exports of what is shown.
 */
import type { ComponentChildren } from 'preact';
import { addDays, localDate } from '../../site-time.js';
import { hubClockNow } from '../../store.js';
import { lang, t } from '../../i18n/index.js';
import { navigate, paths, search } from '../../router.js';
import { CurrentSection } from './current-section.js';
import { MachineHeader } from './machine-header.js';
import { rangeDates, rangeFrom, rangeSearch, shiftRange, type MachineRange } from './machine-range.js';
import { ErrorNote, Loading } from './status.js';
import { TimelineSection } from './timeline-section.js';
import type { MachinesAnswer } from './types.js';
import { useFetch } from './use-fetch.js';
import { UTILIZATION_DAYS, UtilizationSection } from './utilization-section.js';
import { OeeSection } from '../production/oee-section.js';
import { ParetoSection } from '../production/pareto-section.js';
import { QualitySection } from '../production/quality-section.js';
import { StopsSection } from '../production/stops-section.js';
import './detail.css';
import './machine.css';

export function MachinePage(props: { site: string; node: string }) {
  const { site, node } = props;
  const list = useFetch<MachinesAnswer>('/api/machines');
  if (list.error) return <Frame><ErrorNote error={list.error} /></Frame>;
  if (!list.data) return <Frame><Loading /></Frame>;
  const machine = list.data.machines.find((m) => m.site === site && m.node === node);
  if (!machine) {
    return (
      <Frame>
        <p class="error" role="alert" data-testid="machine-unknown">
          {t('machine_unknown')}
        </p>
      </Frame>
    );
  }
  const timeZone = list.data.timeZone;
  // "Today" is the hub's today, in its zone.
  const today = localDate(hubClockNow(), timeZone);
  const range = rangeFrom(search.value, today);
  const go = (next: MachineRange) => navigate(`${paths.machine(site, node)}${rangeSearch(next, today)}`, { replace: true });
  const base = `/api/machines/${encodeURIComponent(site)}/${encodeURIComponent(node)}`;
  const { first, end } = rangeDates(range);
  const utilFirst = addDays(today, 1 - UTILIZATION_DAYS);
  const utilEnd = addDays(today, 1);
  const l = lang.value;
  return (
    <Frame>
      <MachineHeader site={site} node={node} name={machine.name} state={machine.state} since={machine.since} timeZone={timeZone} />
      <CurrentSection site={site} node={node} timeZone={timeZone} />
      <OeeSection base={base} today={today} />
      <TimelineSection
        base={base}
        range={range}
        today={today}
        timeZone={timeZone}
        onView={(view) => go({ ...range, view })}
        onShift={(direction) => go(shiftRange(range, direction, today))}
        onToday={() => go({ ...range, date: today })}
      />
      <StopsSection site={site} node={node} base={base} first={first} end={end} timeZone={timeZone} />
      <ParetoSection path={`${base}/pareto`} first={first} end={end} />
      <QualitySection base={base} first={first} end={end} timeZone={timeZone} />
      <UtilizationSection base={base} first={utilFirst} end={utilEnd} timeZone={timeZone} />
      <section class="card" aria-labelledby="csv-title">
        <h3 id="csv-title">{t('machine_csvTitle')}</h3>
        <p class="note muted">{t('machine_csvNote')}</p>
        <div class="csv-links">
          <a class="button-link" download href={`${base}/timeline.csv?from=${first}&to=${end}&lang=${l}`} data-testid="csv-timeline">
            {t('machine_csvTimeline')}
          </a>
          <a class="button-link" download href={`${base}/jobs.csv?from=${first}&to=${end}&lang=${l}`} data-testid="csv-jobs">
            {t('machine_csvJobs')}
          </a>
          <a class="button-link" download href={`${base}/utilization.csv?by=day&from=${utilFirst}&to=${utilEnd}&lang=${l}`} data-testid="csv-utilization">
            {t('machine_csvUtilization')}
          </a>
        </div>
      </section>
    </Frame>
  );
}

function Frame(props: { children: ComponentChildren }) {
  return (
    <main class="page detail-page" data-testid="machine-page">
      {props.children}
    </main>
  );
}
