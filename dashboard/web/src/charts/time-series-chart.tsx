/**
 * A value over time: one line, optionally with a shaded min–max band around it (downsampled
 * readings keep their peaks visible), optionally with point markers (sparse series).
 */
import uPlot from 'uplot';
import { withAlpha } from './colors.js';
import { timeAxis, timeAxisOptions, timeLegend, valueAxis } from './axes.js';
import { UPlotChart } from './uplot-chart.js';

export type TimeSeries = {
  x: number[];
  y: Array<number | null>;
  /** Same length as x. */
  band?: { min: Array<number | null>; max: Array<number | null> };
};

export type TimeSeriesChartProps = {
  series: TimeSeries;
  /** Legend names: the line, and the band's edges. */
  names: { line: string; min?: string; max?: string; time: string };
  unit: string;
  /** Digits in the legend. */
  decimals?: number;
  /** A #rrggbb colour (canvas: no CSS variables; see cssColor). */
  color: string;
  locale: string;
  timeZone: string;
  height?: number;
  xRange?: [number, number] | null;
  /** Fixed y range (scores 0–100); otherwise from 0 up to the data. */
  yRange?: [number, number];
  showPoints?: boolean;
  label: string;
  'data-testid'?: string;
};

export function TimeSeriesChart(props: TimeSeriesChartProps) {
  const { series, unit, locale, timeZone, color } = props;
  const decimals = props.decimals ?? 2;
  const fmt = (_u: uPlot, v: number | null) => (v == null ? '—' : `${v.toFixed(decimals)} ${unit}`.trim());
  const data: uPlot.AlignedData = series.band ? [series.x, series.y, series.band.min, series.band.max] : [series.x, series.y];
  const hasBand = series.band !== undefined;
  const options = (): Omit<uPlot.Options, 'width' | 'height'> => ({
    ...timeAxisOptions(timeZone),
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      y: { range: props.yRange ? () => props.yRange! : (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
    },
    axes: [timeAxis(locale, timeZone), valueAxis(unit ? ` ${unit}` : '')],
    series: [
      { label: props.names.time, value: timeLegend(locale, timeZone) },
      {
        label: props.names.line,
        stroke: color,
        width: 2,
        value: fmt,
        points: { show: props.showPoints ?? false, size: 6, fill: color },
      },
      ...(hasBand
        ? [
            { label: props.names.min ?? 'min', stroke: 'transparent', width: 0, value: fmt, points: { show: false } },
            { label: props.names.max ?? 'max', stroke: 'transparent', width: 0, value: fmt, points: { show: false } },
          ]
        : []),
    ],
    bands: hasBand ? [{ series: [3, 2], fill: withAlpha(color, 0.2) }] : [],
  });
  return (
    <UPlotChart
      options={options}
      optionsKey={`${locale}|${timeZone}|${unit}|${hasBand}|${props.names.line}`}
      data={data}
      height={props.height ?? 240}
      xRange={props.xRange ?? null}
      label={props.label}
      data-testid={props['data-testid']}
    />
  );
}
