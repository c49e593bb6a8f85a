/**
 * Coloured bands over a time range (a machine's states over a day or a week). Plain SVG:
 * one rect per band at a percentage position, so it is crisp at any width and each band is
 * a DOM element with its own tooltip. The part of the range after `now` stays empty.
 */
import './charts.css';
import { formatter } from '../site-time.js';

export type Band = { key: string; start: number; end: number; color: string; title: string };

export type BandTimelineProps = {
  from: number;
  to: number;
  bands: Band[];
  now: number;
  locale: string;
  timeZone: string;
  label: string;
  'data-testid'?: string;
};

const HOUR = 3_600_000;

function tickStep(span: number): number {
  if (span <= 6 * HOUR) return HOUR;
  if (span <= 36 * HOUR) return 3 * HOUR;
  return 24 * HOUR;
}

export function BandTimeline(props: BandTimelineProps) {
  const { from, to, locale, timeZone } = props;
  const span = to - from;
  const pct = (t: number) => `${(((Math.min(Math.max(t, from), to) - from) / span) * 100).toFixed(4)}%`;
  const step = tickStep(span);
  const daily = step >= 24 * HOUR;
  const tickFormat = !daily ? formatter(locale, timeZone, { hour: '2-digit', minute: '2-digit', hour12: false }) : formatter(locale, timeZone, { month: 'numeric', day: 'numeric', weekday: 'short' });
  // Phones get the bare day number (CSS picks long or short).
  const dayFormat = formatter(locale, timeZone, { day: 'numeric' });
  const ticks: number[] = [];
  for (let t = from; t <= to; t += step) ticks.push(t);
  const nowInside = props.now > from && props.now < to;
  return (
    <div class="band-timeline" data-testid={props['data-testid']} data-bands={props.bands.length}>
      <svg class="band-timeline-bars" role="img" aria-label={props.label} width="100%" height="44">
        <rect class="band-timeline-bg" x="0" y="0" width="100%" height="44" />
        {props.bands.map((b) => (
          <rect class="band" data-key={b.key} data-start={b.start} data-end={b.end} x={pct(b.start)} y="0" width={`${(((Math.min(b.end, to) - Math.max(b.start, from)) / span) * 100).toFixed(4)}%`} height="44" style={{ fill: b.color }}>
            <title>{b.title}</title>
          </rect>
        ))}
        {ticks.map((t) => (
          <line class="band-timeline-grid" x1={pct(t)} x2={pct(t)} y1="0" y2="44" />
        ))}
        {nowInside && <line class="band-timeline-now" x1={pct(props.now)} x2={pct(props.now)} y1="0" y2="44" />}
      </svg>
      <div class="band-timeline-ticks" aria-hidden="true">
        {ticks.map((t, i) =>
          // Days are labelled in their middle; hours at their start, every other one hidden on narrow screens.
          daily ? (
            t < to && (
              <span class="tick day" style={{ left: pct(t + step / 2) }}>
                <span class="long">{tickFormat.format(t)}</span>
                <span class="short">{dayFormat.format(t)}</span>
              </span>
            )
          ) : (
            <span class={`tick${i % 2 === 1 ? ' minor' : ''}${i === 0 ? ' first' : ''}${t === to ? ' last' : ''}`} style={{ left: pct(t) }}>
              {tickFormat.format(t)}
            </span>
          ),
        )}
      </div>
    </div>
  );
}
