/** One machine: state colour, current now and its last ten minutes, today's utilization, alarms, connectivity. */
import { formatAmps, formatDuration, formatDateTime, formatPercent, formatTime } from '../../format.js';
import { t } from '../../i18n/index.js';
import { nodeLabel } from '../../node-names.js';
import { paths } from '../../router.js';
import { now } from '../../store.js';
import type { NodeSnapshot } from '../../types.js';
import { CatchingUp } from '../../components/catching-up.js';
import { Sparkline } from './sparkline.js';
import { AlarmBadge, connectivity, TileFrame, TileHead } from './tile-parts.js';
import { useUtilization } from './use-utilization.js';

export function MachineTile({ node }: { node: NodeSnapshot }) {
  const at = now.value;
  const conn = connectivity(node, at);
  const machine = node.state?.state ?? 'unknown';
  const name = nodeLabel(node.site, node.node);
  // The state change refetches at once; otherwise once a minute.
  const util = useUtilization(node.site, node.node, `${machine}:${node.state?.since ?? 0}`, node.state !== null);
  return (
    <article class={`tile tile-${machine} conn-${conn}`} data-testid={`tile-${node.site}-${node.node}`} data-state={machine}>
      <TileFrame href={paths.machine(node.site, node.node)} label={t('openDetails', { node: name })}>
        <TileHead node={node} name={name} conn={conn} />

        <div class={`machine machine-${machine}`} data-testid="node-state" data-state={machine}>
          <span class="machine-label">{t(`state_${machine}`)}</span>
          {node.state && (
            <span class="machine-since" title={formatDateTime(node.state.since)}>
              {t('sinceFor', { d: formatDuration(at - node.state.since) })}
            </span>
          )}
        </div>

        <AlarmBadge site={node.site} node={node.node} />
        <CatchingUp node={node} at={at} />

        <div class="tile-row">
          <div class="current" data-testid="node-current">
            <span class="label">{t('current')}</span>
            <span class="channels">
              {node.current ? (
                node.current.irms.map((a, i) => (
                  <span class="channel" key={i}>
                    {node.current!.irms.length > 1 && <small>CH{i + 1}</small>}
                    {formatAmps(a)}
                  </span>
                ))
              ) : (
                <span class="muted">—</span>
              )}
            </span>
          </div>
          <div class="util" data-testid="node-utilization" data-status={util.status} data-ratio={util.status === 'ok' && util.ratio !== null ? util.ratio.toFixed(4) : undefined}>
            <span class="label">{t('utilToday')}</span>
            <UtilizationValue util={util} />
          </div>
        </div>

        <div class={`spark-wrap spark-${machine}`}>
          <Sparkline site={node.site} node={node.node} at={at} />
        </div>

        <footer class="tile-foot muted">
          {node.lastSeen === null ? t('neverSeen') : t('lastSeen', { t: formatTime(node.lastSeen, at) })}
        </footer>
      </TileFrame>
    </article>
  );
}

function UtilizationValue({ util }: { util: ReturnType<typeof useUtilization> }) {
  if (util.status === 'loading') return <span class="util-value muted">…</span>;
  if (util.status === 'error') return <span class="util-value muted" title={util.message}>{t('utilError')}</span>;
  if (util.status === 'none' || util.ratio === null) return <span class="util-value muted">{t('utilNone')}</span>;
  return (
    <span class="util-value">
      {formatPercent(util.ratio)}
      <span class="util-bar" aria-hidden="true">
        <span style={{ width: `${Math.round(Math.min(1, Math.max(0, util.ratio)) * 100)}%` }} />
      </span>
    </span>
  );
}
