/**
 * One work bench: the latest annotated photo and score, the score trend of the last 30 days,
 * a calendar of daily scores (month or year, in the URL), and CSV exports of what is shown.
 */
import type { ComponentChildren } from 'preact';
import { Link } from '../../components/link.js';
import { localDate } from '../../site-time.js';
import { hubClockNow } from '../../store.js';
import { lang, t } from '../../i18n/index.js';
import { navigate, paths, search } from '../../router.js';
import { ErrorNote, Loading } from '../machine/status.js';
import type { BenchLatestAnswer, BenchTrendAnswer } from '../machine/types.js';
import { useFetch } from '../machine/use-fetch.js';
import { periodFrom, periodQuery, periodSearch, shiftPeriod, switchKind, type CalendarPeriod } from './calendar-period.js';
import { CalendarSection } from './calendar-section.js';
import { LatestPhoto } from './latest-photo.js';
import { ScoreTrend } from './score-trend.js';
import '../machine/detail.css';
import './bench.css';

export function BenchPage(props: { site: string; node: string }) {
  const { site, node } = props;
  const base = `/api/benches/${encodeURIComponent(site)}/${encodeURIComponent(node)}`;
  // A new shot comes a few times a day: re-reading every minute is plenty.
  const latest = useFetch<BenchLatestAnswer>(`${base}/latest`, 60_000);
  const trend = useFetch<BenchTrendAnswer>(`${base}/trend`, 5 * 60_000);
  if (latest.error && !latest.data) return <Frame><ErrorNote error={latest.error} /></Frame>;
  if (!latest.data) return <Frame><Loading /></Frame>;
  const { timeZone, name } = latest.data;
  const today = localDate(hubClockNow(), timeZone);
  const period = periodFrom(search.value, today.slice(0, 7));
  const go = (next: CalendarPeriod) => navigate(`${paths.bench(site, node)}${periodSearch(next)}`, { replace: true });
  const l = lang.value;
  return (
    <Frame>
      <header class="detail-head">
        <Link href={paths.overview()} class="back">
          {t('machine_back')}
        </Link>
        <div class="detail-title">
          <div>
            <h2>
              {t('bench_title')} {name ?? node}
            </h2>
            <span class="muted">
              {name ? `${node} · ` : ''}
              {t('machine_site', { site })}
            </span>
          </div>
        </div>
      </header>
      <LatestPhoto node={node} latest={latest.data.latest} timeZone={timeZone} />
      <ScoreTrend trend={trend} timeZone={timeZone} />
      <CalendarSection base={base} period={period} today={today} onKind={(kind) => go(switchKind(period, kind, today.slice(0, 7)))} onShift={(d) => go(shiftPeriod(period, d))} />
      <section class="card" aria-labelledby="bench-csv-title">
        <h3 id="bench-csv-title">{t('bench_csvTitle')}</h3>
        <p class="note muted">{t('machine_csvNote')}</p>
        <div class="csv-links">
          {trend.data && (
            <a class="button-link" download href={`${base}/trend?format=csv&from=${trend.data.from}&to=${trend.data.to}&lang=${l}`} data-testid="csv-trend">
              {t('bench_csvTrend')}
            </a>
          )}
          <a class="button-link" download href={`${base}/calendar?format=csv&${periodQuery(period)}&lang=${l}`} data-testid="csv-calendar">
            {t('bench_csvCalendar')}
          </a>
        </div>
      </section>
    </Frame>
  );
}

function Frame(props: { children: ComponentChildren }) {
  return (
    <main class="page detail-page" data-testid="bench-page">
      {props.children}
    </main>
  );
}
