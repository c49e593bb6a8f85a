/** Runs of the machine: start, end, duration and what is uncertain about them. */
import { formatter, localDate } from '../../site-time.js';
import { formatDuration } from '../../format.js';
import { locale, t } from '../../i18n/index.js';
import { Empty } from './status.js';
import type { JobsAnswer } from './types.js';

export function JobsTable(props: { jobs: JobsAnswer['jobs']; now: number; timeZone: string; day: string | null }) {
  if (props.jobs.length === 0) return <Empty>{t('machine_jobsEmpty')}</Empty>;
  // Times of the day shown need no date; a job reaching into another day shows it.
  const full = formatter(locale.value, props.timeZone, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const time = formatter(locale.value, props.timeZone, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const fmt = (ts: number) => (props.day !== null && localDate(ts, props.timeZone) === props.day ? time : full).format(ts);
  const totalMs = props.jobs.reduce((s, j) => s + j.durationS * 1000, 0);
  return (
    <>
      <div class="table-wrap">
        <table class="data-table" data-testid="jobs-table">
          <thead>
            <tr>
              <th scope="col">{t('machine_jobStart')}</th>
              <th scope="col">{t('machine_jobEnd')}</th>
              <th scope="col" class="num">
                {t('machine_jobDuration')}
              </th>
              <th scope="col">{t('machine_jobFlags')}</th>
            </tr>
          </thead>
          <tbody>
            {props.jobs.map((j) => (
              <tr data-testid="job-row" data-start={j.start} data-end={j.end ?? ''}>
                <td>{fmt(j.start)}</td>
                <td>{j.end === null ? <span class="flag flag-running">{t('machine_jobRunning')}</span> : fmt(j.end)}</td>
                <td class="num">{formatDuration(j.durationS * 1000)}</td>
                <td>
                  {j.partial && <span class="flag flag-partial">{t('machine_jobPartial')}</span>}
                  {j.interrupted && <span class="flag flag-interrupted">{t('machine_jobInterrupted')}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="note muted">{t('machine_jobsCount', { n: props.jobs.length, d: formatDuration(totalMs) })}</p>
    </>
  );
}
