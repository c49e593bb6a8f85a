/** Machine name, site, the live state badge (colours of the overview tiles) and since when. */
import { CatchingUp } from '../../components/catching-up.js';
import { Link } from '../../components/link.js';
import { formatDuration } from '../../format.js';
import { formatter } from '../../site-time.js';
import { locale, t } from '../../i18n/index.js';
import { paths } from '../../router.js';
import { nodeKey, nodes, now } from '../../store.js';
import type { MachineState } from './types.js';

export function MachineHeader(props: { site: string; node: string; name: string | null; state: MachineState; since: number | null; timeZone: string }) {
  // The live feed knows better than the list fetched at page load.
  const snapshot = nodes.value.get(nodeKey(props.site, props.node));
  const live = snapshot?.state ?? null;
  const state = live?.state ?? props.state;
  const since = live?.since ?? props.since;
  const at = now.value;
  const sinceText = since === null ? null : formatter(locale.value, props.timeZone, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(since);
  return (
    <header class="detail-head">
      <Link href={paths.overview()} class="back">
        {t('machine_back')}
      </Link>
      <div class="detail-title">
        <div>
          <h2>{props.name ?? props.node}</h2>
          <span class="muted">
            {props.name ? `${props.node} · ` : ''}
            {t('machine_site', { site: props.site })}
          </span>
        </div>
        <div class={`machine machine-${state} state-badge`} data-testid="machine-state" data-state={state}>
          <span class="machine-label">{t(`state_${state}`)}</span>
          {since !== null && (
            <span class="machine-since">
              {t('machine_since', { t: sinceText! })} · {t('sinceFor', { d: formatDuration(at - since) })}
            </span>
          )}
        </div>
      </div>
      <CatchingUp node={snapshot} at={at} />
    </header>
  );
}
