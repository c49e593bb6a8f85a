/** Axis and legend formatting shared by the time-based charts (times in the hub's zone). */
import uPlot from 'uplot';
import { cssColor } from './colors.js';
import { formatter } from '../site-time.js';

/** uPlot picks splits in the given zone (ms timestamps); labels come from Intl in that zone. */
export function timeAxisOptions(timeZone: string): Pick<uPlot.Options, 'ms' | 'tzDate'> {
  return { ms: 1, tzDate: (ts: number) => uPlot.tzDate(new Date(ts), timeZone) };
}

export function timeAxis(locale: string, timeZone: string): uPlot.Axis {
  const hm = formatter(locale, timeZone, { hour: '2-digit', minute: '2-digit', hour12: false });
  const md = formatter(locale, timeZone, { month: 'numeric', day: 'numeric' });
  return {
    ...axisColors(),
    values: (u, splits) => {
      const span = (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0);
      // Under two days a tick is a time of day; beyond, a date.
      return splits.map((ts) => (span <= 2 * 86_400_000 ? hm.format(ts) : md.format(ts)));
    },
  };
}

export function valueAxis(unit: string, size = 56): uPlot.Axis {
  return {
    ...axisColors(),
    size,
    values: (_u, splits) => splits.map((v) => `${+v.toFixed(2)}${unit}`),
  };
}

/** The x value in the legend: date and time in the hub's zone. */
export function timeLegend(locale: string, timeZone: string): (u: uPlot, v: number | null) => string {
  const f = formatter(locale, timeZone, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return (_u, v) => (v == null ? '—' : f.format(v));
}

function axisColors(): Pick<uPlot.Axis, 'stroke' | 'grid' | 'ticks'> {
  const line = cssColor('--line');
  return { stroke: cssColor('--muted'), grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
}
