/** The nightly pruning of old rows (hub.retention): what is kept how long, the last run per table, the next. */
import { formatDateTime } from '../../format.js';
import { t } from '../../i18n/index.js';
import type { SystemAnswer } from '../../types.js';

const days = (n: number) => (n === 0 ? t('system_retentionForever') : t('system_retentionDays', { n }));

export function RetentionStatus({ info }: { info: SystemAnswer }) {
  const r = info.retention;
  if (!r) return null;
  const last = r.lastRun;
  const perTable = last ? Object.entries(last.deleted).filter(([, n]) => n > 0) : [];
  return (
    <section class="system-section" data-testid="system-retention">
      <h3>{t('system_retention')}</h3>
      <p class="muted">{t('system_retentionPolicy', { raw: days(r.readingsDays), history: days(r.historyDays), at: r.at })}</p>
      <p data-testid="system-retention-last">
        {last ? t('system_retentionLast', { t: formatDateTime(last.startedAt), n: last.total.toLocaleString() }) : t('system_retentionNever')}
        {perTable.length > 0 && ` (${perTable.map(([table, n]) => `${table} ${n.toLocaleString()}`).join(', ')})`}
      </p>
      {last?.error && (
        <p class="error" data-testid="system-retention-error">
          {t('system_retentionFailed', { msg: last.error })}
        </p>
      )}
      {r.nextRunAt !== null && <p class="muted">{t('system_retentionNext', { t: formatDateTime(r.nextRunAt) })}</p>}
    </section>
  );
}
