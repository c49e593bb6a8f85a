/**
 * The machine page's OEE section: A/P/Q/OEE for today, this week and this month (a figure that
 * cannot be computed says why in words), a table per day or per shift of this month, the six
 * big losses, energy and its cost, and CSV exports. Definitions: docs/oee.md.
 */
import type { OeeAnswer, OeeRow, SixBigLosses } from '@mieruka/protocol';
import { useState } from 'preact/hooks';
import { formatDuration } from '../../format.js';
import { lang, locale, t, type MessageKey } from '../../i18n/index.js';
import { productionVersion } from '../../production-store.js';
import { addDays, weekdayMon0 } from '../../site-time.js';
import { BarChart } from '../../charts/bar-chart.js';
import { cssColor } from '../../charts/colors.js';
import { ErrorNote, Loading } from '../machine/status.js';
import { useFetch } from '../machine/use-fetch.js';
import { Figure, ratioText } from './figures.js';

const REFRESH_MS = 5 * 60_000;
const PARTS = ['availability', 'performance', 'quality', 'oee'] as const;
const LOSSES: ReadonlyArray<keyof SixBigLosses> = ['breakdownS', 'setupS', 'unexplainedS', 'otherS', 'minorStopS', 'reducedSpeedS', 'defectS', 'startupS'];

function usePeriod(base: string, from: string, to: string, by: 'day' | 'shift') {
  return useFetch<OeeAnswer>(`${base}/oee?from=${from}&to=${to}&by=${by}`, REFRESH_MS, productionVersion.value);
}

function PeriodCard(props: { title: string; answer: ReturnType<typeof usePeriod>; testid: string }) {
  const a = props.answer;
  return (
    <div class="oee-period" data-testid={props.testid}>
      <h4>{props.title}</h4>
      {a.error ? (
        <ErrorNote error={a.error} />
      ) : !a.data ? (
        <Loading />
      ) : (
        <>
          <div class="figures">
            {PARTS.map((p) => (
              <Figure key={p} part={p} value={a.data!.total[p]} missing={a.data!.total.missing} big={p === 'oee'} />
            ))}
          </div>
          <p class="note muted">{t('prod_cycles', { n: a.data.total.cycles.toLocaleString(locale.value) })}</p>
        </>
      )}
    </div>
  );
}

const kwh = (v: number) => `${v.toLocaleString(locale.value, { maximumFractionDigits: 1 })} kWh`;
const yen = (v: number) => `¥${Math.round(v).toLocaleString(locale.value)}`;

function Energy({ today, month }: { today: OeeAnswer | null; month: OeeAnswer | null }) {
  const rows: Array<[string, OeeAnswer | null, string]> = [
    [t('prod_today'), today, 'energy-today'],
    [t('prod_month'), month, 'energy-month'],
  ];
  return (
    <>
      <h4>{t('prod_energyTitle')}</h4>
      <div class="energy">
        {rows.map(([title, a, id]) =>
          a ? (
            <div class="figure" key={id} data-testid={id} data-kwh={a.total.energy.kWh} data-idle-kwh={a.total.energy.idleKWh} data-idle-cost={a.total.energy.idleCostYen}>
              <span class="label">{title}</span>
              <span class="figure-value">{kwh(a.total.energy.kWh)}</span>
              <span class="note">
                {t('prod_energyIdle')} {kwh(a.total.energy.idleKWh)} · {t('prod_energyIdleCost')} <strong>{yen(a.total.energy.idleCostYen)}</strong>
              </span>
            </div>
          ) : null,
        )}
      </div>
      {month && <p class="note muted">{t('prod_energyTariff', { y: month.tariffYenPerKWh })}</p>}
    </>
  );
}

function Losses({ losses }: { losses: SixBigLosses }) {
  const max = Math.max(...LOSSES.map((k) => losses[k]));
  return (
    <>
      <h4>{t('prod_lossesTitle')}</h4>
      {max <= 0 ? (
        <p class="note muted">{t('prod_lossesEmpty')}</p>
      ) : (
        <ol class="loss-bars" data-testid="six-losses">
          {LOSSES.map((k) => (
            <li class="loss-row" key={k} data-loss={k} data-seconds={losses[k]}>
              <span>{t(`prod_loss_${k}` as MessageKey)}</span>
              <span class="loss-track" aria-hidden="true">
                <span class="loss-fill" style={{ width: `${(losses[k] / max) * 100}%` }} />
              </span>
              <span class="loss-value">{formatDuration(losses[k] * 1000)}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

function RowsTable({ rows, by }: { rows: readonly OeeRow[]; by: 'day' | 'shift' }) {
  if (rows.length === 0) return <p class="section-state empty-state">{t('prod_rowsEmpty')}</p>;
  return (
    <div class="table-wrap">
      <table class="data-table" data-testid="oee-rows">
        <thead>
          <tr>
            <th scope="col">{t('prod_period')}</th>
            {by === 'shift' && <th scope="col">{t('prod_shift')}</th>}
            <th scope="col" class="num">{t('prod_planned')}</th>
            <th scope="col" class="num">{t('prod_run')}</th>
            {PARTS.map((p) => (
              <th scope="col" class="num" key={p}>
                {t(`prod_${p}` as MessageKey)}
              </th>
            ))}
            <th scope="col" class="num">kWh</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.start}-${r.shift ?? ''}`} data-testid="oee-row" data-label={r.label}>
              <td>{r.label}</td>
              {by === 'shift' && <td>{r.shift}</td>}
              <td class="num">{formatDuration(r.plannedS * 1000)}</td>
              <td class="num">{formatDuration(r.runS * 1000)}</td>
              {PARTS.map((p) => (
                <td class={r[p] === null ? 'num muted' : 'num'} key={p} data-part={p}>
                  {ratioText(p, r[p], r.missing)}
                </td>
              ))}
              <td class="num">{r.energy.kWh.toLocaleString(locale.value, { maximumFractionDigits: 1 })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function OeeSection(props: { base: string; today: string }) {
  const { base, today } = props;
  const [by, setBy] = useState<'day' | 'shift'>('day');
  const end = addDays(today, 1);
  const weekStart = addDays(today, -weekdayMon0(today));
  const monthStart = `${today.slice(0, 7)}-01`;
  const day = usePeriod(base, today, end, 'day');
  const week = usePeriod(base, weekStart, end, 'day');
  const month = usePeriod(base, monthStart, end, by);
  const ideal = month.data?.idealCycle;
  const l = lang.value;
  return (
    <section class="card" aria-labelledby="oee-title" data-testid="oee-section">
      <div class="card-head">
        <h3 id="oee-title">{t('prod_oeeTitle')}</h3>
        {ideal && ideal.seconds !== null && (
          <span class="muted" data-testid="ideal-cycle">
            {t('prod_idealCycle', { s: ideal.seconds.toLocaleString(locale.value, { maximumFractionDigits: 1 }), source: t(`prod_idealSource_${ideal.source}` as MessageKey) })}
          </span>
        )}
      </div>
      <p class="note muted">{t('prod_oeeHelp')}</p>
      <div class="oee-periods">
        <PeriodCard title={t('prod_today')} answer={day} testid="oee-today" />
        <PeriodCard title={t('prod_week')} answer={week} testid="oee-week" />
        <PeriodCard title={t('prod_month')} answer={month} testid="oee-month" />
      </div>
      <div class="toolbar">
        <div class="segmented" role="group" aria-label={t('prod_period')}>
          <button type="button" aria-pressed={by === 'day'} onClick={() => setBy('day')} data-testid="oee-by-day">
            {t('prod_perDay')}
          </button>
          <button type="button" aria-pressed={by === 'shift'} onClick={() => setBy('shift')} data-testid="oee-by-shift">
            {t('prod_perShift')}
          </button>
        </div>
      </div>
      {month.data && by === 'day' && month.data.rows.length > 0 && (
        <BarChart
          x={month.data.rows.map((r) => r.start)}
          y={month.data.rows.map((r) => (r.oee === null ? null : Math.round(r.oee * 1000) / 10))}
          stepMs={86_400_000}
          names={{ value: t('prod_oee'), time: t('prod_period') }}
          unit="%"
          color={cssColor('--accent')}
          locale={locale.value}
          timeZone={month.data.timeZone}
          yRange={[0, 100]}
          height={180}
          label={t('prod_oeeChart')}
          data-testid="oee-chart"
        />
      )}
      {month.data ? <RowsTable rows={month.data.rows} by={by} /> : month.error ? null : <Loading />}
      {month.data && <Losses losses={month.data.total.losses} />}
      <Energy today={day.data} month={month.data} />
      <div class="csv-links">
        <a class="button-link" download href={`${base}/oee.csv?by=day&from=${monthStart}&to=${end}&lang=${l}`} data-testid="csv-oee">
          {t('prod_csvOee')}
        </a>
        <a class="button-link" download href={`${base}/oee.csv?by=shift&from=${monthStart}&to=${end}&lang=${l}`} data-testid="csv-oee-shift">
          {t('prod_csvOeeShift')}
        </a>
      </div>
    </section>
  );
}
