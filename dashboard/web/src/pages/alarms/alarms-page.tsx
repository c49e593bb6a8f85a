/**
 * Alarms: what is active now (live from the alarms store) and the history (from the API,
 * merged with live changes), filtered by node, severity and dates kept in the URL.
 */
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { activeAlarms, alarmsLoadError, applyAlarm, severityRank } from '../../alarms-store.js';
import { apiSend } from '../../api.js';
import { t } from '../../i18n/index.js';
import { loadNodeNames } from '../../node-names.js';
import { navigate, search } from '../../router.js';
import type { AlarmAckResult } from '../../types.js';
import { AlarmFilterBar, AlarmTabs } from './alarm-filter-bar.js';
import { badRange, filtersHref, HISTORY_LIMIT, historyUrl, matches, readFilters, type AlarmFilters } from './alarm-filters.js';
import { errorText, useAlarmHistory, type History } from './alarm-history.js';
import { AlarmTable } from './alarm-table.js';
import './alarms.css';

type AckState = { busy: ReadonlySet<string>; errors: ReadonlyMap<string, string> };
type ListProps = { filters: AlarmFilters; ack: AckState; onAck: (id: string) => void };

/** Acknowledging from the page: one request per alarm at a time, an error shown on its row. */
function useAcknowledge(): { ack: AckState; acknowledge: (id: string) => Promise<void> } {
  const busy = useSignal<ReadonlySet<string>>(new Set());
  const ackErrors = useSignal<ReadonlyMap<string, string>>(new Map());
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
  return { ack: { busy: busy.value, errors: ackErrors.value }, acknowledge };
}

function ActiveAlarms({ filters, ack, onAck }: ListProps) {
  const list = [...activeAlarms.value.values()]
    .filter((a) => matches(a, filters))
    .sort((x, y) => Number(x.acknowledged) - Number(y.acknowledged) || severityRank(x.severity) - severityRank(y.severity) || y.activeSince - x.activeSince);
  return (
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
        <AlarmTable alarms={list} ack={ack} onAck={onAck} />
      )}
    </>
  );
}

function AlarmHistory({ history: h, onRetry, ack, onAck }: { history: History; onRetry: () => void; ack: AckState; onAck: (id: string) => void }) {
  if (h.status === 'loading') return <p class="loading">{t('loading')}</p>;
  if (h.status === 'error')
    return (
      <div class="error-box" role="alert" data-testid="alarms-error">
        <p class="error">{t('alarms_loadFailed', { msg: h.message })}</p>
        <button type="button" onClick={onRetry}>
          {t('retry')}
        </button>
      </div>
    );
  if (h.alarms.length === 0)
    return (
      <p class="empty" data-testid="alarms-empty">
        {t('alarms_emptyHistory')}
      </p>
    );
  return (
    <>
      {h.alarms.length >= HISTORY_LIMIT && <p class="muted">{t('alarms_limitReached', { n: HISTORY_LIMIT })}</p>}
      <AlarmTable alarms={h.alarms} ack={ack} onAck={onAck} />
    </>
  );
}

export function AlarmsPage() {
  const filters = readFilters(search.value);
  const historyKey = filters.tab === 'history' && !badRange(filters) ? historyUrl(filters) : null;

  useEffect(() => {
    void loadNodeNames();
  }, []);

  const { history, reloads } = useAlarmHistory(historyKey);
  const { ack, acknowledge } = useAcknowledge();

  const go = (next: Partial<AlarmFilters>) => navigate(filtersHref({ ...filters, ...next }), { replace: true });

  let body;
  if (filters.tab === 'active') body = <ActiveAlarms filters={filters} ack={ack} onAck={acknowledge} />;
  else if (badRange(filters))
    body = (
      <p class="error" role="alert">
        {t('alarms_badRange')}
      </p>
    );
  else body = <AlarmHistory history={history.value} onRetry={() => (reloads.value += 1)} ack={ack} onAck={acknowledge} />;

  return (
    <main class="page alarms-page" data-testid="alarms-page">
      <AlarmTabs filters={filters} go={go} />
      <AlarmFilterBar filters={filters} go={go} />
      {body}
    </main>
  );
}
