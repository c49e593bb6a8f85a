/** Lost time by reason, largest first, as horizontal bars with the cumulative share (a Pareto chart). */
import type { ParetoBar } from '@mieruka/protocol';
import { formatDuration } from '../../format.js';
import { lang, t, type MessageKey } from '../../i18n/index.js';
import { percentText } from './figures.js';

export function ParetoChart(props: { bars: readonly ParetoBar[]; totalS: number; testid?: string }) {
  const { bars, totalS } = props;
  if (bars.length === 0 || totalS <= 0) {
    return (
      <p class="section-state empty-state" data-testid="pareto-empty">
        {t('prod_paretoEmpty')}
      </p>
    );
  }
  const max = Math.max(...bars.map((b) => b.totalS));
  let cumulative = 0;
  return (
    <div class="pareto" data-testid={props.testid ?? 'pareto'} data-total={totalS}>
      <p class="note muted">{t('prod_paretoTotal', { d: formatDuration(totalS * 1000) })}</p>
      <ol class="pareto-bars">
        {bars.map((b) => {
          cumulative += b.totalS;
          return (
            <li key={b.code} class={`pareto-row cat-${b.category}`} data-testid="pareto-bar" data-code={b.code} data-seconds={b.totalS}>
              <span class="pareto-label" title={t(`prod_cat_${b.category}` as MessageKey)}>
                {lang.value === 'ja' ? b.ja : b.en}
              </span>
              <span class="pareto-track" aria-hidden="true">
                <span class="pareto-fill" style={{ width: `${(b.totalS / max) * 100}%` }} />
              </span>
              <span class="pareto-value">
                {formatDuration(b.totalS * 1000)} · {t('prod_paretoCount', { n: b.count })}
              </span>
              <span class="pareto-cum muted">{t('prod_paretoCumulative', { p: percentText(cumulative / totalS) })}</span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
