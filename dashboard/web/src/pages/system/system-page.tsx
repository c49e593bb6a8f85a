/**
 * System (admin): the hub's counters since it started, where it listens, what it refused and
 * why, and the nodes asking to join. Re-read every few seconds and after each action.
 */
import { CatchingUp, isCatchingUp } from '../../components/catching-up.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { nodeLabel } from '../../node-names.js';
import { nodes, now } from '../../store.js';
import { t, type MessageKey } from '../../i18n/index.js';
import type { SystemAnswer } from '../../types.js';
import { JoinRequests } from './join-requests.js';
import { RefusalTables } from './refusal-tables.js';
import { RetentionStatus } from './retention-status.js';
import { useSystemInfo } from './use-system-info.js';
import './system.css';

function Overview({ info }: { info: SystemAnswer }) {
  const s = info.stats;
  const items: Array<[MessageKey, number, string]> = [
    ['system_clients', s.clientsConnected, 'clients'],
    ['system_received', s.messagesReceived, 'received'],
    ['system_invalid', s.messagesInvalid, 'invalid'],
    ['system_rows', s.rowsWritten, 'rows'],
    ['system_duplicates', s.messagesDuplicate ?? 0, 'duplicates'],
  ];
  return (
    <section class="system-section" data-testid="system-overview">
      <h3>{t('system_overview')}</h3>
      <p class="muted" data-testid="system-started">
        {t('system_startedAt', { t: formatDateTime(s.startedAt), d: formatDuration(info.uptimeMs) })}
      </p>
      <dl class="system-counters">
        {items.map(([label, n, id]) => (
          <div key={id}>
            <dt>{t(label)}</dt>
            <dd data-testid={`system-${id}`}>{n.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** Nodes sending what they stored during an outage (from the live feed; nothing when none). */
function CatchingUpNodes() {
  const list = [...nodes.value.values()].filter(isCatchingUp);
  if (list.length === 0) return null;
  const at = now.value;
  return (
    <section class="system-section" data-testid="system-catching-up">
      <h3>{t('system_catchingUp')}</h3>
      <p class="muted">{t('system_catchingUpHelp')}</p>
      <ul class="system-catching-up">
        {list.map((n) => (
          <li key={`${n.site}/${n.node}`} data-node={n.node}>
            <span class="system-node">{`${nodeLabel(n.site, n.node)} (${n.site}/${n.node})`}</span>
            <CatchingUp node={n} at={at} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function Listeners({ info }: { info: SystemAnswer }) {
  const { mqtt, mqttWs, http } = info.listeners;
  return (
    <section class="system-section" data-testid="system-listeners">
      <h3>{t('system_listeners')}</h3>
      <table class="system-table">
        <tbody>
          <tr>
            <th scope="row">{t('system_mqtt')}</th>
            <td>
              <code data-testid="system-mqtt">{`${mqtt.host}:${mqtt.port}`}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">{t('system_anonymous')}</th>
            <td data-testid="system-anonymous">
              <code>{mqtt.anonymous}</code> — {t(`system_anonymous_${mqtt.anonymous}` as MessageKey)}
            </td>
          </tr>
          <tr>
            <th scope="row">{t('system_mqttWs')}</th>
            <td>{t('system_wsOnHttp', { path: mqttWs.path })}</td>
          </tr>
          <tr>
            <th scope="row">{t('system_http')}</th>
            <td>
              <code>{`${http.host}:${http.port}`}</code>
            </td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}

export function SystemPage() {
  const { state, reload } = useSystemInfo();
  const info = state.data;
  return (
    <main class="page system-page" data-testid="system-page">
      <h2>{t('system_title')}</h2>
      <p class="muted">{t('system_intro')}</p>
      {state.error && (
        <p class="error" role="alert" data-testid="system-error">
          {t('system_loadFailed', { msg: state.error })}
        </p>
      )}
      {info === null ? (
        state.error ? null : <p class="loading">{t('loading')}</p>
      ) : (
        <>
          <JoinRequests info={info} onChanged={reload} />
          <CatchingUpNodes />
          <RefusalTables stats={info.stats} />
          <Overview info={info} />
          <Listeners info={info} />
          <RetentionStatus info={info} />
        </>
      )}
    </main>
  );
}
