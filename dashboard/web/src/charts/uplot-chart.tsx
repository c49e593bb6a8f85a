/**
 * A uPlot instance as a Preact component: created in an effect, sized to its container
 * (ResizeObserver), fed new data without being re-created, destroyed on unmount. Options
 * change only with `optionsKey` (language, time zone, units): then the plot is rebuilt.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './charts.css';
import { useEffect, useRef } from 'preact/hooks';

export type UPlotChartProps = {
  /** Everything but the size; called again only when optionsKey changes. */
  options: () => Omit<uPlot.Options, 'width' | 'height'>;
  optionsKey: string;
  data: uPlot.AlignedData;
  height: number;
  /** A fixed x window (e.g. "the last 30 minutes"); otherwise x follows the data. */
  xRange?: [number, number] | null;
  label: string;
  'data-testid'?: string;
};

export function UPlotChart(props: UPlotChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const p = latest.current;
    const u = new uPlot({ ...p.options(), width: Math.max(200, el.clientWidth), height: p.height }, p.data, el);
    plot.current = u;
    if (p.xRange) u.setScale('x', { min: p.xRange[0], max: p.xRange[1] });
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, Math.floor(el.clientWidth));
      if (width !== u.width) u.setSize({ width, height: latest.current.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [props.optionsKey, props.height]);

  const [from, to] = props.xRange ?? [null, null];
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    if (from !== null && to !== null) {
      u.setData(props.data, false);
      u.setScale('x', { min: from, max: to });
    } else {
      u.setData(props.data, true);
    }
  }, [props.data, from, to]);

  const points = props.data[0]?.length ?? 0;
  return <div class="chart" ref={box} role="img" aria-label={props.label} data-testid={props['data-testid']} data-points={points} />;
}
