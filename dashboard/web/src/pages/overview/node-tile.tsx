/** One machine or station: connectivity, machine state, current, clutter score, motion. */
import { imageUrl } from '../api.js';
import { formatAmps, formatDuration, formatTime, NODE_STALE_MS } from '../format.js';
import { t, type MessageKey } from '../i18n.js';
import { now } from '../store.js';
import type { NodeSnapshot } from '../types.js';

type Connectivity = 'online' | 'offline' | 'stale' | 'unknown';

function connectivity(node: NodeSnapshot, at: number): Connectivity {
  if (node.online === false) return 'offline';
  if (node.online === null) return 'unknown';
  if (node.lastSeen === null || at - node.lastSeen > NODE_STALE_MS) return 'stale';
  return 'online';
}

const CONNECTIVITY_LABEL: Record<Connectivity, MessageKey> = {
  online: 'online',
  offline: 'offline',
  stale: 'stale',
  unknown: 'unknownStatus',
};

export function NodeTile({ node }: { node: NodeSnapshot }) {
  const at = now.value;
  const conn = connectivity(node, at);
  const machine = node.state?.state ?? 'unknown';
  // A clutter station has no machine state; an "unknown" block there would only mislead.
  const isMachine = node.state !== null || node.current !== null || node.clutter === null;
  return (
    <article
      class={`tile ${isMachine ? `tile-${machine}` : 'tile-station'} conn-${conn}`}
      data-testid={`tile-${node.site}-${node.node}`}
      data-state={isMachine ? machine : undefined}
    >
      <header class="tile-head">
        <div>
          <h2 class="tile-node">{node.node}</h2>
          <span class="tile-site">{node.site}</span>
        </div>
        <span class={`badge badge-${conn}`} data-testid="node-online" data-connectivity={conn}>
          {t(CONNECTIVITY_LABEL[conn])}
        </span>
      </header>

      {isMachine && (
        <div class={`machine machine-${machine}`} data-testid="node-state" data-state={machine}>
          <span class="machine-label">{t(`state_${machine}`)}</span>
          {node.state && (
            <span class="machine-since" title={new Date(node.state.since).toLocaleString()}>
              {t('sinceFor', { d: formatDuration(at - node.state.since) })}
            </span>
          )}
        </div>
      )}

      {node.current && (
        <div class="current" data-testid="node-current">
          <span class="label">{t('current')}</span>
          <span class="channels">
            {node.current.irms.map((a, i) => (
              <span class="channel" key={i}>
                {node.current!.irms.length > 1 && <small>CH{i + 1}</small>}
                {formatAmps(a)}
              </span>
            ))}
          </span>
        </div>
      )}

      {node.clutter ? (
        <div class="clutter" data-testid="node-score">
          {node.clutter.imageId && (
            <a href={imageUrl(node.site, node.node, node.clutter.imageId)} target="_blank" rel="noopener">
              <img
                class="thumb"
                data-testid="node-thumb"
                src={imageUrl(node.site, node.node, node.clutter.imageId)}
                alt={t('clutterImage', { node: node.node })}
                loading="lazy"
                width={120}
                height={90}
              />
            </a>
          )}
          <div>
            <span class="label">{t('clutter')}</span>
            <span class={`score ${scoreClass(node.clutter.score)}`}>{Math.round(node.clutter.score)}</span>
            <small class="muted">
              {t('slot', { slot: node.clutter.slot })} · {formatTime(node.clutter.ts, at)}
            </small>
          </div>
        </div>
      ) : null}

      {node.motion && (
        <div class="motion" data-testid="node-motion" data-active={String(node.motion.active)}>
          <span class={`dot ${node.motion.active ? 'dot-on' : ''}`} />
          <span>
            {t('motion')}: {node.motion.active ? t('motionActive') : t('motionIdle')}
          </span>
          <small class="muted">{formatTime(node.motion.ts, at)}</small>
        </div>
      )}

      <footer class="tile-foot muted">
        {node.lastSeen === null ? t('neverSeen') : t('lastSeen', { t: formatTime(node.lastSeen, at) })}
        {node.agent && ` · ${node.agent}${node.version ? ` ${node.version}` : ''}`}
      </footer>
    </article>
  );
}

function scoreClass(score: number): string {
  if (score < 30) return 'score-low';
  if (score < 60) return 'score-mid';
  return 'score-high';
}
