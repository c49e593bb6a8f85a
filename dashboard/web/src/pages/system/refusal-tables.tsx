/** Refusals per category and reason, each reason word with a one-line explanation. */
import { isMessageKey, t, type MessageKey } from '../../i18n/index.js';
import type { SystemAnswer } from '../../types.js';

type Category = 'connect' | 'publish' | 'subscribe' | 'limits' | 'invalid' | 'metrics';

/** Publish and subscribe share their reasons (the ACL). */
function meaning(category: Category, reason: string): string {
  const group = category === 'publish' || category === 'subscribe' ? 'pubsub' : category;
  const key = `system_why_${group}_${reason.replace(/-/g, '_')}`;
  return isMessageKey(key) ? t(key) : '—';
}

function ReasonTable({ category, counts }: { category: Category; counts: Record<string, number> }) {
  const rows = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const title = t(`system_cat_${category}` as MessageKey);
  return (
    <div class="refusal-group" data-testid={`refusals-${category}`}>
      <h4>{title}</h4>
      {rows.length === 0 ? (
        <p class="muted">{t('system_none')}</p>
      ) : (
        <table class="system-table">
          <thead>
            <tr>
              <th scope="col">{t('system_reason')}</th>
              <th scope="col" class="num">
                {t('system_count')}
              </th>
              <th scope="col">{t('system_meaning')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([reason, n]) => (
              <tr key={reason} data-testid={`refusal-${category}-${reason}`}>
                <td>
                  <code>{reason}</code>
                </td>
                <td class="num">{n.toLocaleString()}</td>
                <td>{meaning(category, reason)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function RefusalTables({ stats }: { stats: SystemAnswer['stats'] }) {
  const refused = stats.mqttRefused;
  return (
    <section class="system-section" data-testid="system-refusals">
      <h3>{t('system_refusals')}</h3>
      <p class="muted">{t('system_refusalsHelp')}</p>
      <div class="refusal-grid">
        <ReasonTable category="connect" counts={refused.connect} />
        <ReasonTable category="publish" counts={refused.publish} />
        <ReasonTable category="subscribe" counts={refused.subscribe} />
        <ReasonTable category="limits" counts={refused.limits} />
        <ReasonTable category="invalid" counts={stats.invalidByReason ?? {}} />
        <ReasonTable category="metrics" counts={stats.metricsRefused ?? {}} />
      </div>
    </section>
  );
}
