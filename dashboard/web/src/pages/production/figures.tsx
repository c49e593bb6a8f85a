/** OEE figures in words: a ratio as a percentage, or what it could not be computed without ("no plan", not 0 %). */
import type { OeeMissing } from '@mieruka/protocol';
import { t, type MessageKey } from '../../i18n/index.js';

export type Part = 'availability' | 'performance' | 'quality' | 'oee';

/** Which of the missing inputs stop each part (docs/oee.md). */
const BLOCKS: Record<Part, readonly OeeMissing[]> = {
  availability: ['plan', 'data'],
  performance: ['plan', 'data', 'cycles', 'ideal_cycle'],
  quality: ['quality'],
  oee: ['plan', 'data', 'cycles', 'ideal_cycle', 'quality'],
};

export function percentText(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** The words for a part that is null: the first missing input that blocks it, else "no run time". */
export function missingText(part: Part, missing: readonly OeeMissing[]): string {
  const why = BLOCKS[part].find((m) => missing.includes(m));
  return why ? t(`prod_missing_${why}` as MessageKey) : t('prod_noRun');
}

export function ratioText(part: Part, value: number | null, missing: readonly OeeMissing[]): string {
  return value === null ? missingText(part, missing) : percentText(value);
}

/** One figure with its label; `data-value` carries the ratio for tests and scripts, `data-missing` the reason. */
export function Figure(props: { part: Part; value: number | null; missing: readonly OeeMissing[]; big?: boolean; testid?: string }) {
  const { part, value, missing } = props;
  return (
    <div class={`figure figure-${part}${props.big ? ' figure-big' : ''}${value === null ? ' figure-missing' : ''}`} data-testid={props.testid ?? `figure-${part}`} data-value={value === null ? '' : value.toFixed(4)}>
      <span class="label">{t(`prod_${part}` as MessageKey)}</span>
      <span class="figure-value">{ratioText(part, value, missing)}</span>
    </div>
  );
}
