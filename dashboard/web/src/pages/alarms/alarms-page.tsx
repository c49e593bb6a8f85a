/**
 * Alarms: what is active now (live from the alarms store) and the history (from the API,
 * merged with live changes), filtered by node, severity and dates kept in the URL.
 */
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { activeAlarms, alarmsLoadError, applyAlarm, lastAlarmChange, SEVERITIES, severityRank } from '../../alarms-store.js';
import { ApiError, apiGet, apiSend } from '../../api.js';
import { t } from '../../i18n/index.js';
import { loadNodeNames, nodeLabel } from '../../node-names.js';
import { navigate, search } from '../../router.js';
import { nodes } from '../../store.js';
import type { AlarmAckResult, AlarmItem } from '../../types.js';
import { badRange, filtersHref, HISTORY_LIMIT, historyUrl, matches, readFilters, type AlarmFilters } from './alarm-filters.js';
import { AlarmTable } from './alarm-table.js';
import './alarms.css';

type History = { status: 'loading' } | { status: 'ok'; alarms: AlarmItem[] } | { status: 'error'; message: string };

function errorText(err: unknown): string {
  return err instanceof ApiError || err instanceof Error ? err.message : String(err);
}

export function AlarmsPage() {
  const filters = readFilters(search.value);
  const history = useSignal<History>({ status: 'loading' });
  const reloads = useSignal(0);
  const busy = useSignal<ReadonlySet<string>>(new Set());
  const ackErrors = useSignal<ReadonlyMap<string, string>>(new Map());
  const historyKey = filters.tab === 'history' && !badRange(filters) ? historyUrl(filters) : null;

  useEffect(() => {
    void loadNodeNames();
  }, []);

  useEffect(() => {
    if (historyKey === null) return;
    const ctrl = new AbortController();
    history.value = { status: 'loading' };
    apiGet<{ alarms: AlarmItem[] }>(historyKey, ctrl.signal)
      .then((body) => {
        if (!ctrl.signal.aborted) history.value = { status: 'ok', alarms: body.alarms };
      })
      .catch((err: unknown) => {
        if (!ctrl.signal.aborted) history.value = { status: 'error', message: errorText(err) };
      });
    return () => ctrl.abort();
  }, [historyKey, reloads.value]);

  // Live changes: update rows already shown, add new alarms that match the filters.
  useEffect(() => {
    const change = lastAlarmChange.value;
    const h = history.peek();
    if (!change || h.status !== 'ok') return;
    const f = readFilters(search.peek());
    const i = h.alarms.findIndex((a) => a.id === change.alarm.id);
    if (i >= 0) {
      const next = [...h.alarms];
      next[i] = change.alarm;
      history.value = { status: 'ok', alarms: next };
    } else if (f.tab === 'history' && matches(change.alarm, f)) {
      history.value = { status: 'ok', alarms: [change.alarm, ...h.alarms] };
    }
  }, [lastAlarmChange.value]);

  const go = (next: Partial<AlarmFilters>) => navigate(filtersHref({ ...filters, ...next }), { replace: true });

  const acknowledge = async (id: string) => {
    if (busy.value.has(id)) return;
    busy.value = new Set([...busy.value, id]);
    const errors = new Map(ackErrors.value);
    errors.delete(id);
    ackErrors.value = errors;
    try {
      const result = await apiSend<AlarmAckResult>('POST', `/api/alarms/${encodeURIComponent(id)}/ack`, {});
      if (result.alarm) applyAlarm(result.alarm, 'acknowledged');
    } catch (err) {
      ackErrors.value = new Map(ackErrors.value).set(id, errorText(err));
    } finally {
      const rest = new Set(busy.value);
      rest.delete(id);
      busy.value = rest;
    }
  };

  // Every node the viewer might mean: known live nodes plus any that has alarms.
  const nodeOptions = new Map<string, string>();
  for (const n of nodes.value.values()) nodeOptions.set(`${n.site}/${n.node}`, nodeLabel(n.site, n.node));
  for (const a of activeAlarms.value.values()) nodeOptions.set(`${a.site}/${a.node}`, nodeLabel(a.site, a.node));
  if (filters.node && !nodeOptions.has(filters.node)) nodeOptions.set(filters.node, filters.node.split('/')[1] ?? filters.node);
  const sortedNodes = [...nodeOptions.entries()].sort((x, y) => x[1].localeCompare(y[1]));

  let body;
  if (filters.tab === 'active') {
    const list = [...activeAlarms.value.values()]
      .filter((a) => matches(a, filters))
      .sort((x, y) => Number(x.acknowledged) - Number(y.acknowledged) || severityRank(x.severity) - severityRank(y.severity) || y.activeSince - x.activeSince);
    body = (
      <>
        {alarmsLoadError.value && (
          <p class="error" role="alert" data-testid="alarms-error">
            {t('alarms_loadFailed', { msg: alarmsLoadError.value })}
          </p>
        )}
        {list.length === 0 ? (
          <p class="empty" data-testid="alarms-empty">
            {t('alarms_emptyActive')}
          </p>
        ) : (
          <AlarmTable alarms={list} ack={{ busy: busy.value, errors: ackErrors.value }} onAck={acknowledge} />
        )}
      </>
    );
  } else if (badRange(filters)) {
    body = (
      <p class="error" role="alert">
        {t('alarms_badRange')}
      </p>
    );
  } else {
    const h = history.value;
    if (h.status === 'loading') body = <p class="loading">{t('loading')}</p>;
    else if (h.status === 'error')
      body = (
        <div class="error-box" role="alert" data-testid="alarms-error">
          <p class="error">{t('alarms_loadFailed', { msg: h.message })}</p>
          <button type="button" onClick={() => (reloads.value += 1)}>
            {t('retry')}
          </button>
        </div>
      );
    else if (h.alarms.length === 0)
      body = (
        <p class="empty" data-testid="alarms-empty">
          {t('alarms_emptyHistory')}
        </p>
      );
    else
      body = (
        <>
          {h.alarms.length >= HISTORY_LIMIT && <p class="muted">{t('alarms_limitReached', { n: HISTORY_LIMIT })}</p>}
          <AlarmTable alarms={h.alarms} ack={{ busy: busy.value, errors: ackErrors.value }} onAck={acknowledge} />
        </>
      );
  }

  return (
    <main class="page alarms-page" data-testid="alarms-page">
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

      {body}
    </main>
  );
}
