/** Values per period (e.g. utilization per day) as bars on a time axis; a null value is no bar. */
import uPlot from 'uplot';
import { timeAxis, timeAxisOptions, valueAxis } from './axes.js';
import { formatter } from '../site-time.js';
import { UPlotChart } from './uplot-chart.js';

export type BarChartProps = {
  /** Period starts (epoch ms) and values. */
  x: number[];
  y: Array<number | null>;
  /** Width of one period: bars are centred in it and the axis is padded by half of it. */
  stepMs: number;
  names: { value: string; time: string };
  unit: string;
  decimals?: number;
  /** #rrggbb. */
  color: string;
  locale: string;
  timeZone: string;
  yRange?: [number, number];
  height?: number;
  label: string;
  'data-testid'?: string;
};

const bars = uPlot.paths.bars!({ size: [0.7, 48], align: 0 });

export function BarChart(props: BarChartProps) {
  const { locale, timeZone, unit, stepMs } = props;
  const decimals = props.decimals ?? 1;
  // Centre each bar in its period.
  const data: uPlot.AlignedData = [props.x.map((t) => t + stepMs / 2), props.y];
  const options = (): Omit<uPlot.Options, 'width' | 'height'> => {
    const day = formatter(locale, timeZone, { month: 'numeric', day: 'numeric', weekday: 'short' });
    const label = formatter(locale, timeZone, { month: 'numeric', day: 'numeric' });
    return {
      ...timeAxisOptions(timeZone),
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: (_u, min, max) => [min - stepMs / 2, max + stepMs / 2] },
        y: { range: props.yRange ? () => props.yRange! : (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [
        {
          ...timeAxis(locale, timeZone),
          // One label per bar, under its middle; every second or third one when the bars are narrow.
          splits: (u) => [...(u.data[0] ?? [])],
          values: (u, splits) => {
            const every = Math.ceil((splits.length * 44) / Math.max(1, u.bbox.width / devicePixelRatio));
            return splits.map((x, i) => ((splits.length - 1 - i) % every === 0 ? label.format(x - stepMs / 2) : ''));
          },
        },
        valueAxis(unit, 50),
      ],
      series: [
        { label: props.names.time, value: (_u, v) => (v == null ? '—' : day.format(v - stepMs / 2)) },
        {
          label: props.names.value,
          stroke: props.color,
          fill: props.color,
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u, v) => (v == null ? '—' : `${v.toFixed(decimals)}${unit}`),
        },
      ],
    };
  };
  return (
    <UPlotChart
      options={options}
      optionsKey={`${locale}|${timeZone}|${unit}|${stepMs}|${props.names.value}`}
      data={data}
      height={props.height ?? 220}
      label={props.label}
      data-testid={props['data-testid']}
    />
  );
}
