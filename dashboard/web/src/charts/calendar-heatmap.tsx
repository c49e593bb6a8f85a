/**
 * Daily values as a calendar: a month (weeks × Mon–Sun, with day numbers) or a year (GitHub
 * style: one column per week, Mon–Sun rows, month names on top). Plain SVG; every day with a
 * value carries its date and value and a tooltip. Colours come from the caller's scale.
 */
import './charts.css';
import { useEffect, useRef } from 'preact/hooks';
import { addDays, daysInMonth, formatter, weekdayMon0 } from '../site-time.js';

export type HeatDay = { value: number; title: string };
export type HeatScaleStep = { color: string; label: string };

export type CalendarHeatmapProps = {
  period: { kind: 'month'; year: number; month: number } | { kind: 'year'; year: number };
  days: ReadonlyMap<string, HeatDay>;
  /** Colour of a value (use the same steps as `legend`). */
  color: (value: number) => string;
  legend: HeatScaleStep[];
  noDataLabel: string;
  locale: string;
  label: string;
  /** Today (local date): outlined, and days after it are drawn fainter. */
  today: string;
  'data-testid'?: string;
};

const pad = (n: number) => String(n).padStart(2, '0');

/** Day numbers go white on dark cells (relative luminance of a #rrggbb colour). */
function isDark(color: string): boolean {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return false;
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h!, 16) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5;
}

function weekdayNames(locale: string): string[] {
  // 2024-01-01 was a Monday.
  const f = formatter(locale, 'UTC', { weekday: 'short' });
  return Array.from({ length: 7 }, (_v, i) => f.format(Date.UTC(2024, 0, 1 + i)));
}

export function CalendarHeatmap(props: CalendarHeatmapProps) {
  return (
    <figure class="heatmap" data-testid={props['data-testid']} data-days={props.days.size}>
      {props.period.kind === 'month' ? <MonthGrid {...props} year={props.period.year} month={props.period.month} /> : <YearGrid {...props} year={props.period.year} />}
      <figcaption class="heatmap-legend">
        <span class="legend-item">
          <span class="swatch swatch-empty" />
          {props.noDataLabel}
        </span>
        {props.legend.map((step) => (
          <span class="legend-item">
            <span class="swatch" style={{ background: step.color }} />
            {step.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function DayCell(props: CalendarHeatmapProps & { date: string; x: number; y: number; size: number; text?: string }) {
  const day = props.days.get(props.date);
  const future = props.date > props.today;
  const cls = `cell${day ? '' : ' cell-empty'}${future ? ' cell-future' : ''}${props.date === props.today ? ' cell-today' : ''}`;
  const gap = props.size > 20 ? 3 : 2;
  return (
    <g {...(day ? { 'data-testid': 'heatmap-day', 'data-date': props.date, 'data-value': day.value } : {})}>
      <rect class={cls} x={props.x + gap / 2} y={props.y + gap / 2} width={props.size - gap} height={props.size - gap} rx={props.size > 20 ? 4 : 2} style={day ? { fill: props.color(day.value) } : undefined}>
        <title>{day ? day.title : props.date}</title>
      </rect>
      {props.text !== undefined && (
        <text class={day && isDark(props.color(day.value)) ? 'cell-text on-dark' : 'cell-text'} x={props.x + 6} y={props.y + 16}>
          {props.text}
        </text>
      )}
    </g>
  );
}

function MonthGrid(props: CalendarHeatmapProps & { year: number; month: number }) {
  const size = 48;
  const head = 22;
  const first = `${props.year}-${pad(props.month)}-01`;
  const offset = weekdayMon0(first);
  const count = daysInMonth(props.year, props.month);
  const rows = Math.ceil((offset + count) / 7);
  const names = weekdayNames(props.locale);
  return (
    <svg class="heatmap-month" viewBox={`0 0 ${7 * size} ${head + rows * size}`} role="img" aria-label={props.label}>
      {names.map((n, i) => (
        <text class="heatmap-head" x={i * size + size / 2} y={15} text-anchor="middle">
          {n}
        </text>
      ))}
      {Array.from({ length: count }, (_v, i) => {
        const cellIndex = offset + i;
        return <DayCell {...props} date={addDays(first, i)} x={(cellIndex % 7) * size} y={head + Math.floor(cellIndex / 7) * size} size={size} text={String(i + 1)} />;
      })}
    </svg>
  );
}

function YearGrid(props: CalendarHeatmapProps & { year: number }) {
  const size = 14;
  const left = 30;
  const head = 16;
  const first = `${props.year}-01-01`;
  const offset = weekdayMon0(first);
  const count = props.year % 4 === 0 && (props.year % 100 !== 0 || props.year % 400 === 0) ? 366 : 365;
  const weeks = Math.ceil((offset + count) / 7);
  const names = weekdayNames(props.locale);
  const monthName = formatter(props.locale, 'UTC', { month: 'short' });
  const scroller = useRef<HTMLDivElement>(null);
  // On a narrow screen the year scrolls sideways: start at the recent end, where today is.
  useEffect(() => {
    const el = scroller.current;
    if (el) el.scrollLeft = el.scrollWidth;
  }, [props.year]);
  const cells = [];
  const months = [];
  for (let i = 0; i < count; i++) {
    const date = addDays(first, i);
    const col = Math.floor((offset + i) / 7);
    if (date.endsWith('-01')) {
      const m = Number(date.slice(5, 7));
      months.push(
        <text class="heatmap-head" x={left + col * size} y={11}>
          {monthName.format(Date.UTC(props.year, m - 1, 1))}
        </text>,
      );
    }
    cells.push(<DayCell {...props} date={date} x={left + col * size} y={head + ((offset + i) % 7) * size} size={size} />);
  }
  return (
    <div class="heatmap-scroll" ref={scroller}>
      <svg class="heatmap-year" viewBox={`0 0 ${left + weeks * size} ${head + 7 * size}`} role="img" aria-label={props.label}>
        {months}
        {[0, 2, 4].map((d) => (
          <text class="heatmap-head" x={0} y={head + d * size + 11}>
            {names[d]}
          </text>
        ))}
        {cells}
      </svg>
    </div>
  );
}
