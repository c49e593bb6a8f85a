/** The alarms page's head (title, active/history tabs) and its filters (node, severity, dates). */
import { activeAlarms, SEVERITIES } from '../../alarms-store.js';
import { t } from '../../i18n/index.js';
import { nodeLabel } from '../../node-names.js';
import { nodes } from '../../store.js';
import type { AlarmFilters } from './alarm-filters.js';

type Props = { filters: AlarmFilters; go: (next: Partial<AlarmFilters>) => void };

export function AlarmTabs({ filters, go }: Props) {
  return (
    <div class="alarms-head">
      <h2>{t('alarms_title')}</h2>
      <div class="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          class="tab"
          aria-selected={filters.tab === 'active'}
          data-testid="alarms-tab-active"
          onClick={() => go({ tab: 'active' })}
        >
          {t('alarms_tabActive')}
          <span class="tab-count">{activeAlarms.value.size}</span>
        </button>
        <button
          type="button"
          role="tab"
          class="tab"
          aria-selected={filters.tab === 'history'}
          data-testid="alarms-tab-history"
          onClick={() => go({ tab: 'history' })}
        >
          {t('alarms_tabHistory')}
        </button>
      </div>
    </div>
  );
}

/** Every node the viewer might mean: known live nodes plus any that has alarms, by label. */
function nodeOptions(selected: string | null): Array<[string, string]> {
  const options = new Map<string, string>();
  for (const n of nodes.value.values()) options.set(`${n.site}/${n.node}`, nodeLabel(n.site, n.node));
  for (const a of activeAlarms.value.values()) options.set(`${a.site}/${a.node}`, nodeLabel(a.site, a.node));
  if (selected && !options.has(selected)) options.set(selected, selected.split('/')[1] ?? selected);
  return [...options.entries()].sort((x, y) => x[1].localeCompare(y[1]));
}

export function AlarmFilterBar({ filters, go }: Props) {
  const sortedNodes = nodeOptions(filters.node);
  return (
    <div class="alarm-filters">
      <label>
        <span class="label">{t('alarms_filterNode')}</span>
        <select data-testid="alarm-filter-node" value={filters.node ?? ''} onChange={(e) => go({ node: e.currentTarget.value || null })}>
          <option value="">{t('alarms_filterAllNodes')}</option>
          {sortedNodes.map(([key, label]) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <fieldset class="sev-filter" data-testid="alarm-filter-severity">
        <legend class="label">{t('alarms_filterSeverity')}</legend>
        {SEVERITIES.map((s) => (
          <label key={s} class={`sev-toggle sev-${s}`}>
            <input
              type="checkbox"
              value={s}
              checked={filters.severity.includes(s)}
              onChange={(e) => go({ severity: e.currentTarget.checked ? [...filters.severity, s] : filters.severity.filter((x) => x !== s) })}
            />
            {t(`severity_${s}`)}
          </label>
        ))}
      </fieldset>
      {filters.tab === 'history' && (
        <>
          <label>
            <span class="label">{t('alarms_filterFrom')}</span>
            <input type="date" data-testid="alarm-filter-from" value={filters.from ?? ''} onChange={(e) => go({ from: e.currentTarget.value || null })} />
          </label>
          <label>
            <span class="label">{t('alarms_filterTo')}</span>
            <input type="date" data-testid="alarm-filter-to" value={filters.to ?? ''} onChange={(e) => go({ to: e.currentTarget.value || null })} />
          </label>
        </>
      )}
      {(filters.node || filters.severity.length > 0 || filters.from || filters.to) && (
        <button type="button" class="link-button" onClick={() => go({ node: null, severity: [], from: null, to: null })}>
          {t('alarms_filterClear')}
        </button>
      )}
    </div>
  );
}
