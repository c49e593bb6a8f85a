/** One work-bench station: last clutter score with its photo and slot, motion, alarms, connectivity. */
import { thumbnailUrl } from '../../api.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n/index.js';
import { nodeLabel } from '../../node-names.js';
import { paths } from '../../router.js';
import { now } from '../../store.js';
import type { NodeSnapshot } from '../../types.js';
import { CatchingUp } from '../../components/catching-up.js';
import { AlarmBadge, connectivity, TileFrame, TileHead } from './tile-parts.js';

export function StationTile({ node }: { node: NodeSnapshot }) {
  const at = now.value;
  const conn = connectivity(node, at);
  const name = nodeLabel(node.site, node.node);
  const clutter = node.clutter;
  return (
    <article class={`tile tile-station conn-${conn}`} data-testid={`tile-${node.site}-${node.node}`}>
      <TileFrame href={paths.bench(node.site, node.node)} label={t('openDetails', { node: name })}>
        <TileHead node={node} name={name} conn={conn} />

        <AlarmBadge site={node.site} node={node.node} />

        {clutter ? (
          <div class="clutter" data-testid="node-score">
            {clutter.imageId ? (
              <img
                class="thumb"
                data-testid="node-thumb"
                src={thumbnailUrl(node.site, node.node, clutter.imageId)}
                alt={t('clutterImage', { node: name })}
                loading="lazy"
                width={120}
                height={90}
              />
            ) : (
              <div class="thumb thumb-none" aria-hidden="true" />
            )}
            <div>
              <span class="label">{t('lastScore')}</span>
              <span class={`score ${scoreClass(clutter.score)}`}>{Math.round(clutter.score)}</span>
              <small class="muted">
                {t('slot', { slot: clutter.slot })} · {formatTime(clutter.ts, at)}
              </small>
            </div>
          </div>
        ) : (
          <p class="muted no-score">{t('noScoreYet')}</p>
        )}

        {node.motion && (
          <div class="motion" data-testid="node-motion" data-active={String(node.motion.active)}>
            <span class={`dot ${node.motion.active ? 'dot-on' : ''}`} />
            <span>
              {t('motion')}: {node.motion.active ? t('motionActive') : t('motionIdle')}
            </span>
            <small class="muted">{formatTime(node.motion.ts, at)}</small>
          </div>
        )}

        <CatchingUp node={node} at={at} />
        <footer class="tile-foot muted">
          {node.lastSeen === null ? t('neverSeen') : t('lastSeen', { t: formatTime(node.lastSeen, at) })}
        </footer>
      </TileFrame>
    </article>
  );
}

function scoreClass(score: number): string {
  if (score < 30) return 'score-low';
  if (score < 60) return 'score-mid';
  return 'score-high';
}
