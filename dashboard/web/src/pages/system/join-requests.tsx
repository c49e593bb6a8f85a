/** Nodes asking to join, with Admit / Dismiss, and whether new nodes join by themselves. */
import { useSignal } from '@preact/signals';
import { apiSend } from '../../api.js';
import { Link } from '../../components/link.js';
import { formatDateTime } from '../../format.js';
import { t } from '../../i18n/index.js';
import { paths } from '../../router.js';
import type { SystemAnswer } from '../../types.js';

type Props = { info: SystemAnswer; onChanged: () => void };

export function JoinRequests({ info, onChanged }: Props) {
  const busy = useSignal<string | null>(null);
  const error = useSignal<string | null>(null);
  const { admission, joinRequests } = info;

  const act = async (site: string, node: string, action: 'admit' | 'dismiss') => {
    busy.value = `${site}/${node}`;
    error.value = null;
    try {
      await apiSend('POST', `/api/system/join-requests/${encodeURIComponent(site)}/${encodeURIComponent(node)}/${action}`);
    } catch (err) {
      error.value = t('system_actionFailed', { msg: err instanceof Error ? err.message : String(err) });
    } finally {
      busy.value = null;
      onChanged();
    }
  };

  return (
    <section class="system-section" data-testid="system-join-requests">
      <h3>{t('system_joinTitle')}</h3>
      <p data-testid="system-auto-join" class={admission.autoJoin ? undefined : 'auto-join-off'}>
        {admission.autoJoin ? t('system_autoJoinOn', { nodes: admission.maxNodesPerSite, sites: admission.maxSites }) : t('system_autoJoinOff')}{' '}
        <Link href={paths.settings()} data-testid="system-auto-join-link">
          {t('system_autoJoinChange')}
        </Link>
      </p>
      <p class="muted">{t('system_joinHelp')}</p>
      {error.value && (
        <p class="error" role="alert" data-testid="system-action-error">
          {error.value}
        </p>
      )}
      {joinRequests.length === 0 ? (
        <p class="muted" data-testid="system-join-empty">
          {t('system_joinEmpty')}
        </p>
      ) : (
        <table class="system-table">
          <thead>
            <tr>
              <th scope="col">{t('system_node')}</th>
              <th scope="col">{t('system_firstSeen')}</th>
              <th scope="col">{t('system_lastSeen')}</th>
              <th scope="col" class="num">
                {t('system_attempts')}
              </th>
              <th scope="col">{t('system_actions')}</th>
            </tr>
          </thead>
          <tbody>
            {joinRequests.map((r) => {
              const id = `${r.site}/${r.node}`;
              return (
                <tr key={id} data-testid={`join-request-${r.site}-${r.node}`}>
                  <td>
                    <code>{id}</code>
                  </td>
                  <td>{formatDateTime(r.firstAt)}</td>
                  <td>{formatDateTime(r.lastAt)}</td>
                  <td class="num">{r.count.toLocaleString()}</td>
                  <td class="actions">
                    <button type="button" class="primary" disabled={busy.value === id} data-testid={`admit-${r.site}-${r.node}`} onClick={() => void act(r.site, r.node, 'admit')}>
                      {t('system_admit')}
                    </button>
                    <button type="button" disabled={busy.value === id} data-testid={`dismiss-${r.site}-${r.node}`} onClick={() => void act(r.site, r.node, 'dismiss')}>
                      {t('system_dismiss')}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
