/**
 * The last ten minutes of current as a small inline SVG line (no chart library on the first
 * page). Time runs left to right over the whole window, so a gap in the feed shows as a gap.
 */
import { HISTORY_WINDOW_MS, readingsOf } from '../../live-history.js';
import { t } from '../../i18n/index.js';

const W = 240;
const H = 48;

export function Sparkline(props: { site: string; node: string; at: number }) {
  const readings = readingsOf(props.site, props.node, props.at);
  if (readings.length < 2) {
    return (
      <div class="spark spark-empty muted" data-testid="node-sparkline" data-points={readings.length}>
        {t('sparkEmpty')}
      </div>
    );
  }
  const start = props.at - HISTORY_WINDOW_MS;
  let max = 0;
  for (const r of readings) max = Math.max(max, r.amps);
  // Headroom above the peak; a flat zero line still sits at the bottom, not mid-air.
  const top = max > 0 ? max * 1.15 : 1;
  const points = readings
    .map((r) => {
      const x = Math.max(0, Math.min(W, ((r.ts - start) / HISTORY_WINDOW_MS) * W));
      const y = H - 2 - (r.amps / top) * (H - 4);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return (
    <svg
      class="spark"
      data-testid="node-sparkline"
      data-points={readings.length}
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={t('sparkLabel')}
    >
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" stroke-linejoin="round" />
    </svg>
  );
}
